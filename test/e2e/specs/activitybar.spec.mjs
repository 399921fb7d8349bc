// Foundation e2e: the installed .vsix contributes the GitOps activity bar container, which opens on
// the Applications view; opening it activates the extension (onView), as VS Code's Running Extensions
// view shows. Screenshot of what a person sees.
import assert from 'node:assert/strict';
import { openActivity, runCommand, sel } from '../workbench.mjs';

export async function run({ page, screenshot, log }) {
  await openActivity(page, 'GitOps');
  // A container holding one view merges the view's title into its own ("GITOPS: APPLICATIONS") and
  // hides the pane header; with more views the header shows. Accept either.
  const title = page.locator('.part.sidebar .composite.title');
  await title.waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForFunction(() => {
    const t = document.querySelector('.part.sidebar .composite.title')?.textContent ?? '';
    const header = [...document.querySelectorAll('.part.sidebar .pane-header')].some((h) => /Applications/.test(h.textContent ?? '') && !h.classList.contains('hidden'));
    return /GITOPS/i.test(t) && (/APPLICATIONS/i.test(t) || header);
  }, undefined, { timeout: 20_000 });
  log(`side bar: ${(await title.innerText()).replace(/\s+/g, ' ')}`);
  await page.locator('.part.sidebar .pane-body').first().waitFor({ state: 'visible', timeout: 10_000 });
  // Let the view render its first content (welcome text, message or rows) before the picture.
  await page.waitForTimeout(1500);
  await screenshot('applications-view', { readme: true });

  // Activation proof from VS Code itself: the extension is listed as running, with its activation time.
  await runCommand(page, 'Developer: Show Running Extensions');
  const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'GitOps Workbench' }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  log(`running extensions: ${text}`);
  assert.doesNotMatch(text, /not yet activated/i, 'GitOps Workbench is listed but not activated');
  await screenshot('running-extensions');
}
