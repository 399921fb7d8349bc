// e2e: a tag bump the way a person does it. Command Palette -> "GitOps: Bump Image Tag" -> pick the
// image -> type the tag -> the modal shows what will roll -> "Commit, Push and Wait Until Live" -> the
// progress notification walks pushed -> agent saw commit -> applying -> healthy -> the live workload
// has the new image. Workspace: a clone of a bare remote whose Argo CD Applications the sandbox agent
// syncs (test/integration/runs/git.run.mjs setup).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kubectl } from '../../integration/runs/gitopsFixture.mjs';
import { setup as gitWorkspace } from '../../integration/runs/git.run.mjs';
import { runCommand, sel } from '../workbench.mjs';

export const sandbox = { args: ['--poll', '2'] };
export const timeoutMs = 300_000;

export async function setup(ctx) {
  const r = await gitWorkspace(ctx);
  return { ...r, settings: { ...(r.settings ?? {}), 'workbench.startupEditor': 'none' } };
}

export async function run({ page, workspace, sandbox, screenshot, log, env }) {
  if (env.GITOPS_TEST_SANDBOX_SKIPPED || !sandbox) { log(`skipped: ${env.GITOPS_TEST_SANDBOX_SKIPPED ?? 'no sandbox'}`); return; }
  const liveImage = () => kubectl(sandbox.kubeconfig, ['get', 'deploy', 'api', '-n', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  assert.equal(liveImage(), 'ghcr.io/acme/api:2.1.0');

  await runCommand(page, 'GitOps: Bump Image Tag', { timeout: 60_000 });
  // The image picker lists every image declared in the workspace.
  const row = page.locator(sel.quickRow('ghcr.io/acme/api')).first();
  await row.waitFor({ state: 'visible', timeout: 90_000 });
  await screenshot('pick-image');
  await row.click();
  // The tag input, pre-filled with the current tag, validated as a Docker tag.
  const input = page.locator(sel.quickInput);
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('not a tag');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: 'not a valid image tag' }).waitFor({ timeout: 10_000 });
  await input.fill('2.2.0');
  await page.keyboard.press('Enter');
  // The modal: what will roll, then the action.
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 90_000 });
  const text = await dialog.innerText();
  log(`dialog: ${text.replace(/\s+/g, ' ')}`);
  assert.match(text, /Bump ghcr\.io\/acme\/api 2\.1\.0 -> 2\.2\.0 in api\?/);
  assert.match(text, /Deployment\/api\/api \[api\]: ghcr\.io\/acme\/api:2\.1\.0 -> ghcr\.io\/acme\/api:2\.2\.0/);
  assert.match(text, /kustomize images: .* override the tag written in the base manifests/);
  await screenshot('plan', { readme: false });
  await dialog.locator('.monaco-button', { hasText: 'Commit, Push and Wait Until Live' }).click();
  // The progress notification shows the steps; the final toast says it is live.
  const steps = new Set();
  const deadline = Date.now() + 150_000;
  let shot = false;
  while (Date.now() < deadline) {
    const messages = await page.locator(sel.toast).allInnerTexts().catch(() => []);
    for (const m of messages) for (const s of ['pushed', 'agent saw commit', 'applying', 'healthy']) if (m.includes(s)) steps.add(s);
    if (!shot && steps.size > 0) { await screenshot('progress'); shot = true; }
    if (messages.some((m) => /live in [\d.]+ s/.test(m))) break;
    await page.waitForTimeout(200);
  }
  log(`progress steps seen: ${[...steps].join(', ')}`);
  assert.ok(steps.size >= 1, 'the progress notification showed the steps');
  await page.locator(sel.toast, { hasText: /live in [\d.]+ s/ }).first().waitFor({ timeout: 5_000 });
  await screenshot('live');
  assert.equal(liveImage(), 'ghcr.io/acme/api:2.2.0');
  const numstat = execFileSync('git', ['show', '--numstat', '--format=', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim();
  assert.equal(numstat, '1\t1\tapps/api/overlays/prod/kustomization.yaml');
}
