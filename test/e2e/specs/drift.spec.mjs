// e2e: what a person sees with a drifted cluster. The workspace is synced to the sandbox, then
// `kubectl scale` changes the web Deployment live. Checks the Applications tree (OutOfSync), the inline
// after-text on the replicas line (read from the ::after pseudo-element), the hover, and the live diff
// editor from the Command Palette; screenshots of each.
import assert from 'node:assert/strict';
import { kubectl, syncedWorkspace, WEB_CONFIGMAP, WEB_DEPLOYMENT } from '../../integration/runs/gitopsFixture.mjs';
import { openActivity, openFile, runCommand, sel, viewRows } from '../workbench.mjs';

export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 240_000;

export async function setup(ctx) {
  syncedWorkspace(ctx, { 'apps/web/deployment.yaml': WEB_DEPLOYMENT, 'apps/web/configmap.yaml': WEB_CONFIGMAP }, ['web']);
  if (ctx.sandbox) kubectl(ctx.sandbox.kubeconfig, ['scale', 'deployment/web', '-n', 'web', '--replicas=5']);
  return { settings: { 'editor.hover.delay': 100, 'gitops.agent': 'none', 'workbench.startupEditor': 'none' } };
}

/** Text of every ::after pseudo-element in the editor's lines that has content. */
async function afterTexts(page) {
  return page.evaluate(() => [...document.querySelectorAll('.editor-instance .view-lines span')]
    .map((s) => getComputedStyle(s, '::after').content)
    .filter((c) => c && c !== 'none' && c !== 'normal'));
}

export async function run({ page, screenshot, log, env }) {
  if (env.GITOPS_TEST_SANDBOX_SKIPPED) { log(`skipped: ${env.GITOPS_TEST_SANDBOX_SKIPPED}`); return; }

  // The tree: context -> apps; the web app OutOfSync.
  await openActivity(page, 'GitOps', { timeout: 90_000 });
  const rowsSel = '.part.sidebar .monaco-list-row';
  await page.waitForFunction((s) => [...document.querySelectorAll(s)].some((r) => /web/.test(r.textContent ?? '') && /OutOfSync/.test(r.textContent ?? '')),
    rowsSel, { timeout: 60_000 });
  const webRow = page.locator(rowsSel, { hasText: 'OutOfSync' }).first();
  await webRow.click(); // expand the app: its resources
  await page.locator(rowsSel, { hasText: 'Deployment/web' }).first().waitFor({ timeout: 10_000 });
  // Its twistie expands it (a click on the label opens the source instead).
  await page.locator(rowsSel, { hasText: 'Deployment/web' }).first().locator('.monaco-tl-twistie').click();
  await page.locator(rowsSel, { hasText: '/spec/replicas' }).first().waitFor({ timeout: 10_000 });
  const rows = await page.locator(rowsSel).allInnerTexts();
  log(`tree: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  assert.ok(rows.some((r) => /\/spec\/replicas/.test(r) && /2 -> 5/.test(r)), 'the drifted field row shows 2 -> 5');
  await screenshot('tree', { readme: false });

  // The decoration's after-text on the replicas line.
  await openFile(page, 'apps/web/deployment.yaml');
  await page.waitForFunction(() => [...document.querySelectorAll('.editor-instance .view-lines span')]
    .some((s) => /live: 5/.test(getComputedStyle(s, '::after').content)), undefined, { timeout: 30_000 });
  const texts = await afterTexts(page);
  const after = texts.find((t) => /live: 5/.test(t));
  log(`after-text: ${after}`);
  assert.match(after, /live: 5 · \S+ · \d+[smhd] ago/);
  await screenshot('decoration', { readme: true });

  // Hover on the drifted value.
  const line = page.locator('.editor-instance .view-line', { hasText: 'replicas:' }).first();
  const valueSpan = line.locator('span span', { hasText: /^2$/ }).first();
  // CodeLens lines appear above objects after the file opens and shift the text: let them settle first.
  await page.locator('.editor-instance .codelens-decoration').first().waitFor({ timeout: 20_000 }).catch(() => {});
  await page.waitForTimeout(500);
  let hoverText = '';
  for (let attempt = 0; attempt < 8 && !/spec\/replicas[\s\S]*Live:/.test(hoverText); attempt++) {
    hoverText = '';
    const box = await valueSpan.boundingBox();
    // Approach along the value's own line: coming from above crosses the labels lines, and a hover opened
    // there stays open while the mouse moves on toward it (a CI run read /metadata/labels that way).
    await page.mouse.move(box.x - 60, box.y + box.height / 2);
    await page.waitForTimeout(200);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    try {
      await page.locator(sel.hover).first().waitFor({ state: 'visible', timeout: 3_000 });
      hoverText = (await page.locator(sel.hover).allInnerTexts()).join('\n');
    } catch { /* first hover can come before the provider: retry */ }
  }
  log(`hover: ${hoverText.replace(/\s+/g, ' ')}`);
  assert.match(hoverText, /Git: 2/);
  assert.match(hoverText, /Live: 5/);
  assert.match(hoverText, /Changed by/);
  await screenshot('hover');

  // "GitOps: Show Live Diff" from the Command Palette with the cursor on the drifted line.
  await page.mouse.move(10, 10);
  await valueSpan.click();
  await runCommand(page, 'GitOps: Show Live Diff');
  await page.locator(sel.activeTab, { hasText: 'live ↔ Git' }).waitFor({ timeout: 20_000 });
  await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(800);
  await screenshot('live-diff');
}
