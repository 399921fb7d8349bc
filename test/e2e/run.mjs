#!/usr/bin/env node
// e2e: the packaged extension (.vsix installed with `code-server --install-extension`) in code-server,
// its workbench UI driven by playwright-core in Debian's headless Chromium. Screenshots go to
// test-artifacts/e2e/. Prints `e2e: N passed, N failed`; exit 1 on any failure.
//
// ── Spec contract (for feature owners) ───────────────────────────────────────────────────────────
// A spec is test/e2e/specs/<name>.spec.mjs:
//   export const sandbox = true;                 // optional: start the sandbox (or { args: [...], readyTimeoutMs })
//   export const timeoutMs = 180_000;            // optional (default 180 s)
//   export async function setup({ workspace, projectRoot, sandbox, env, settings, log, tempDir }) {
//     // optional, runs BEFORE code-server starts: fill the (empty, temp) workspace folder, return
//     // { env, settings, teardown } exactly like an integration run module (runCodeServer.mjs, point 3).
//   }
//   export async function run({ page, workspace, sandbox, screenshot, log, env, server }) {
//     // `page` shows the workbench with `workspace` open, ready (status bar rendered).
//     // Throw (e.g. node:assert) to fail. `await screenshot('name')` -> test-artifacts/e2e/<spec>-name.png;
//     // `screenshot('name', { readme: true })` also marks it as the README picture candidate.
//   }
// Each spec gets its own code-server, user data and workspace; the browser is shared. Helpers for the
// workbench (command palette, quick open, views, toasts): test/e2e/workbench.mjs.
// `sandbox` is the object from scripts/lib/host.mjs startSandboxCli ({kubeconfig, port, pid, ...}) or
// undefined when not requested/unavailable (then env.GITOPS_TEST_SANDBOX_SKIPPED says why: the spec
// should return early, logging it).
//
// Options: `node test/e2e/run.mjs [specName ...]`; GITOPS_E2E_DEV=1 loads the extension from this
// checkout (extensionDevelopmentPath) instead of the .vsix; GITOPS_README_SCREENSHOT=1 copies the
// last screenshot marked { readme: true } to media/screenshot.png (the README's picture);
// GITOPS_TEST_KEEP=1 keeps temp dirs; GITOPS_TEST_SKIP_BUILD=1 packages without rebuilding.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { onCleanup, prepareRun, projectRoot, startChromium, startCodeServer, tempDir, workbenchUrl } from '../../scripts/lib/host.mjs';
import { waitForWorkbench } from './workbench.mjs';

const specsDir = path.join(projectRoot, 'test/e2e/specs');
const artifacts = path.join(projectRoot, 'test-artifacts/e2e');

function packageVsix() {
  const args = [path.join(projectRoot, 'scripts/package.mjs'), '--no-check'];
  const r = spawnSync(process.execPath, args, { cwd: projectRoot, encoding: 'utf8', env: { ...process.env } });
  process.stdout.write(r.stdout.split('\n').filter((l) => /packaged|DONE|WARNING/i.test(l)).map((l) => `${l}\n`).join(''));
  if (r.status !== 0) throw new Error(`packaging failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const vsix = r.stdout.trim().split('\n').pop().trim();
  if (!vsix.endsWith('.vsix') || !fs.existsSync(vsix)) throw new Error(`package.mjs printed no .vsix path:\n${r.stdout}`);
  return vsix;
}

async function main() {
  const only = process.argv.slice(2);
  const specs = (fs.existsSync(specsDir) ? fs.readdirSync(specsDir) : [])
    .filter((f) => f.endsWith('.spec.mjs')).sort()
    .map((f) => ({ name: path.basename(f, '.spec.mjs'), file: path.join(specsDir, f) }))
    .filter((s) => !only.length || only.includes(s.name));
  if (!specs.length) { console.error('e2e: no specs in test/e2e/specs'); return 1; }
  fs.mkdirSync(artifacts, { recursive: true });
  const dev = process.env.GITOPS_E2E_DEV === '1';
  const started = Date.now();
  const extensionsDir = tempDir('gitops-e2e-ext-');
  onCleanup(() => fs.rmSync(extensionsDir, { recursive: true, force: true }));
  const vsix = dev ? undefined : packageVsix();
  let installed = false;
  let chromium;
  let readmeShot;
  const results = [];
  try {
    chromium = await startChromium();
    onCleanup(() => chromium?.stop());
    for (const spec of specs) {
      const mod = await import(pathToFileURL(spec.file).href);
      const r = await runSpec(spec, mod, chromium, { extensionsDir, vsix: installed ? undefined : vsix, dev });
      if (vsix) installed = true;
      if (r.readmeShot) readmeShot = r.readmeShot;
      results.push(r);
      console.log(`${r.ok ? '✔' : '✘'} ${spec.name} (${(r.ms / 1000).toFixed(1)} s)${r.ok ? '' : `\n    ${r.error}`}`);
    }
  } finally {
    await chromium?.stop();
    fs.rmSync(extensionsDir, { recursive: true, force: true });
  }
  if (process.env.GITOPS_README_SCREENSHOT === '1') {
    if (readmeShot) {
      fs.copyFileSync(readmeShot, path.join(projectRoot, 'media/screenshot.png'));
      console.log(`README picture: ${path.relative(projectRoot, readmeShot)} -> media/screenshot.png`);
    } else console.log('README picture: no screenshot was marked { readme: true }');
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e took ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(projectRoot, artifacts)}/`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

async function runSpec(spec, mod, chromium, { extensionsDir, vsix, dev }) {
  const t0 = Date.now();
  const log = (line) => console.log(`  [${spec.name}] ${line}`);
  const result = { name: spec.name, ok: false, ms: 0, error: undefined, readmeShot: undefined };
  if (typeof mod.run !== 'function') { result.error = 'spec exports no run()'; return result; }
  const sandboxOpt = mod.sandbox === true ? { args: [] } : mod.sandbox || undefined;
  let prepared;
  let server;
  let page;
  try {
    prepared = await prepareRun({ name: `e2e-${spec.name}`, needsSandbox: !!sandboxOpt, sandboxArgs: sandboxOpt?.args, sandboxReadyTimeoutMs: sandboxOpt?.readyTimeoutMs,
      setups: mod.setup ? [mod.setup] : [], log });
    server = await startCodeServer({ workspace: prepared.workspace, env: prepared.env, settings: prepared.settings,
      extensionsDir, installVsix: vsix, log });
    log(`code-server pid ${server.pid} on ${server.url}`);
    page = await chromium.newPage();
    page.on('pageerror', (err) => log(`[browser error] ${err.message}`));
    await page.goto(workbenchUrl(server.url, { folder: prepared.workspace, extensionDevelopmentPath: dev ? projectRoot : undefined }),
      { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await waitForWorkbench(page);
    const screenshot = async (name, opts = {}) => {
      const file = path.join(artifacts, `${spec.name}-${name}.png`);
      await page.screenshot({ path: file });
      log(`screenshot ${path.relative(projectRoot, file)}`);
      if (opts.readme) result.readmeShot = file;
      return file;
    };
    const timeoutMs = mod.timeoutMs ?? 180_000;
    let timer;
    await Promise.race([
      mod.run({ page, workspace: prepared.workspace, sandbox: prepared.sandbox, screenshot, log, env: prepared.env, server, projectRoot }),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
    result.ok = true;
  } catch (err) {
    result.error = err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 6).join('\n    ') : String(err);
    if (page) {
      const file = path.join(artifacts, `${spec.name}-FAILED.png`);
      await page.screenshot({ path: file }).then(() => log(`failure screenshot ${path.relative(projectRoot, file)}`), () => {});
    }
    if (server) log(`code-server output (tail):\n${server.output().slice(-1500)}`);
  } finally {
    await page?.close().catch(() => {});
    await server?.stop();
    await prepared?.dispose();
  }
  result.ms = Date.now() - t0;
  return result;
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
