// Helpers for e2e specs: drive the VS Code 1.99 workbench (code-server) with playwright-core.
// Selectors were measured on code-server 4.99.4 (../shared/vscode-host.md). Import what you need:
//   import { runCommand, openFile, viewRows } from '../workbench.mjs';

export const sel = {
  workbench: '.monaco-workbench .part.statusbar',
  quickInput: '.quick-input-widget input.input',
  quickRow: (label) => `.quick-input-list .monaco-list-row[aria-label*="${label}"]`,
  editorText: '.editor-instance .view-lines',
  activeTab: '.tabs-container .tab.active .label-name',
  hover: '.monaco-hover:not(.hidden) .monaco-hover-content',
  toast: '.notifications-toasts .notification-list-item-message',
  activityItem: (title) => `.part.activitybar .action-item a[aria-label^="${title}"], .part.activitybar .action-item[aria-label^="${title}"]`,
  paneHeader: (name) => `.pane-header:has-text("${name}")`,
  viewRows: (name) => `.pane:has(.pane-header:has-text("${name}")) .monaco-list-row`,
};

export async function waitForWorkbench(page, timeout = 60_000) {
  await page.waitForSelector(sel.workbench, { timeout });
}

/** Command Palette: type the title, pick the row whose label contains it. The palette computes its
 *  list when it opens, so one opened before the extension's contributions were scanned never shows
 *  them: close and reopen it until the row appears or the timeout runs out. */
export async function runCommand(page, title, { timeout = 15_000 } = {}) {
  const deadline = Date.now() + timeout;
  const input = page.locator(sel.quickInput);
  const row = page.locator(sel.quickRow(title)).first();
  for (;;) {
    await page.keyboard.press('Control+Shift+P');
    await input.waitFor({ state: 'visible', timeout: Math.max(1_000, deadline - Date.now()) });
    await input.fill(`>${title}`);
    const left = deadline - Date.now();
    try {
      await row.waitFor({ state: 'visible', timeout: Math.max(1_000, Math.min(5_000, left)) });
      break;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  await row.click();
}

/** Quick Open a workspace file by relative path and wait for its tab. */
export async function openFile(page, relPath, { timeout = 15_000 } = {}) {
  await page.keyboard.press('Control+P');
  const input = page.locator(sel.quickInput);
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(relPath);
  const base = relPath.split('/').pop();
  await page.locator(sel.quickRow(base)).first().waitFor({ state: 'visible', timeout });
  await page.keyboard.press('Enter');
  await page.locator(sel.activeTab, { hasText: base }).waitFor({ timeout });
}

/** Click an activity bar item (e.g. "GitOps") unless its container is already showing. */
export async function openActivity(page, title, { timeout = 15_000 } = {}) {
  const item = page.locator(sel.activityItem(title)).first();
  await item.waitFor({ state: 'visible', timeout });
  const checked = await item.evaluate((el) => (el.closest('.action-item')?.classList.contains('checked') ?? false));
  if (!checked) await item.click();
}

/** Text of each row of a view, e.g. viewRows(page, 'Applications'). */
export async function viewRows(page, name) {
  return page.locator(sel.viewRows(name)).allInnerTexts();
}

/** Messages of the notification toasts currently shown. */
export async function toasts(page) {
  return page.locator(sel.toast).allInnerTexts();
}
