// The `npm start` demo, end to end: `gitops-workbench sandbox --demo` (API server + pull agent + a demo
// repo it synced, with web scaled by hand to 3 while Git says 2), its clone opened in code-server with
// the installed .vsix. A person sees the apps in the Applications view and the drifted Deployment.
// The screenshot is the README's picture (GITOPS_README_SCREENSHOT=1).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openActivity, openFile, viewRows } from '../workbench.mjs';

export const sandbox = { args: ['--demo'], readyTimeoutMs: 300_000 };
export const timeoutMs = 240_000;

export async function setup({ sandbox: sb, log }) {
  if (!sb) return undefined;
  const clone = sb.output().match(/^demo repo: (.+)$/m)?.[1]?.trim();
  if (!clone || !fs.existsSync(clone)) throw new Error(`sandbox --demo printed no demo repo:\n${sb.output().slice(-2000)}`);
  log(`demo clone ${clone}`);
  return { workspace: clone };
}

function findFile(dir, test, depth = 4) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0) { const f = findFile(p, test, depth - 1); if (f) return f; }
    else if (e.isFile() && /\.ya?ml$/.test(e.name) && test(fs.readFileSync(p, 'utf8'))) return p;
  }
  return undefined;
}

export async function run({ page, workspace, sandbox: sb, screenshot, log, env }) {
  if (!sb) { log(`skipped: no sandbox (${env.GITOPS_TEST_SANDBOX_SKIPPED})`); return; }
  await openActivity(page, 'GitOps');
  // The three demo apps appear once the engine has rendered them and read the cluster.
  await page.waitForFunction(() => document.querySelectorAll('.part.sidebar .monaco-list-row').length >= 3, undefined, { timeout: 90_000 });
  const rows = await viewRows(page, 'Applications').catch(() => []);
  const sidebar = rows.length ? rows : await page.locator('.part.sidebar .monaco-list-row').allInnerTexts();
  log(`applications: ${sidebar.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  assert.ok(sidebar.some((r) => /^\s*web\b|^\s*web(?=[A-Z])/.test(r)), `no web app in the Applications view: ${sidebar.join(' | ')}`);
  const deployment = findFile(workspace, (t) => /kind:\s*Deployment/.test(t) && /name:\s*web\b/.test(t) && /replicas:/.test(t));
  if (deployment) {
    await openFile(page, path.relative(workspace, deployment));
    // Give decorations a moment to land on the replicas line.
    await page.waitForTimeout(3000);
  } else log('no web Deployment file found in the demo clone');
  await page.mouse.move(900, 600); // no activity bar tooltip in the picture
  await page.waitForTimeout(500);
  await screenshot('demo', { readme: true });
}
