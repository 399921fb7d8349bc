#!/usr/bin/env node
// Integration tests INSIDE a real VS Code extension host: code-server 4.99.4 (VS Code 1.99.3) driven
// by Debian's headless Chromium through playwright-core (../shared/vscode-host.md). With
// GITOPS_TEST_HOST=electron this delegates to runElectron.mjs (desktop VS Code via @vscode/test-electron).
//
// ── How to add in-host tests (contract for feature owners) ─────────────────────────────────────────
// 1. Write mocha BDD tests (`describe`/`it`, node:assert, `import * as vscode from 'vscode'`) in
//    test/integration/suite/**/<name>.test.ts. They are bundled by esbuild (CJS, `vscode` and `mocha`
//    external) together with suite/index.ts; you may import src/core/** and test/support/** freely.
// 2. Files that need nothing special run in the `default` run: an almost empty temp workspace
//    folder, no sandbox, the extension loaded from this checkout (extensionDevelopmentPath).
// 3. Files that need a workspace and/or the sandbox get a run module test/integration/runs/<name>.run.mjs:
//      export const tests = ['drift/**/*.test.ts'];      // globs relative to test/integration/suite
//      export const sandbox = true;                      // or { args: ['--no-agent'], readyTimeoutMs }; omit = none
//      export const timeoutMs = 300_000;                 // optional, whole run (default 300 s)
//      export async function setup({ workspace, projectRoot, sandbox, env, settings, log, tempDir }) {
//        // fill `workspace` (an empty temp dir that VS Code opens): copy a fixture, git init, push to a
//        // bare remote in tempDir(), apply manifests with sandbox.kubeconfig ...
//        return { env: { MY_VAR: 'x' }, settings: { 'gitops.agent': 'argocd' }, teardown: async () => {} };
//        // optional `workspace: '/abs/dir'` opens that folder instead (e.g. the sandbox demo's clone)
//      }
//    Each run is its own code-server + workspace + page (~15-20 s). A file claimed by a run module is
//    not also run in `default`. Runs execute one after another.
// 4. Environment the tests see (code-server's env; the extension host inherits it):
//      GITOPS_TEST_WORKSPACE      the opened folder (also vscode.workspace.workspaceFolders[0])
//      GITOPS_TEST_PROJECT_ROOT   this checkout;   GITOPS_TEST_ARTIFACTS  test-artifacts/
//      GITOPS_TEST_RUN            the run's name
//      GITOPS_TEST_KUBECONFIG, KUBECONFIG, GITOPS_TEST_SANDBOX_PORT, GITOPS_TEST_SANDBOX_PID
//                                 only when the run asked for the sandbox and it could start; the user
//                                 setting gitops.kubeconfig is then set to it too
//      GITOPS_TEST_SANDBOX_SKIPPED  why there is no sandbox: tests that need it call this.skip() on it.
//    The sandbox is `node dist/cli.cjs sandbox --port 0 --kubeconfig F --state D` (waits for `ready`);
//    it is skipped while src/cli/sandbox.ts is still the placeholder.
// 5. Options: `node test/integration/runCodeServer.mjs [runName ...]`, GITOPS_TEST_RUNS=a,b,
//    GITOPS_TEST_GREP=<mocha grep>, GITOPS_TEST_KEEP=1 (keep temp dirs), GITOPS_TEST_TIMEOUT_MS,
//    GITOPS_TEST_SKIP_BUILD=1 (dist/ already built), GITOPS_TEST_VERBOSE=1 (browser console too).
// Output: the extension host's output, per run `[run] N passed, N failed`, and finally
// `extension host (VS Code 1.99.3): N passed, N failed`. Exit 1 on any failure, load error or timeout.
// code-server and Chromium are started in their own process groups and killed by PID in finally
// blocks and on SIGINT/SIGTERM/exit.
import fs from 'node:fs';
import path from 'node:path';
import { buildProject, onCleanup, prepareRun, projectRoot, startChromium, startCodeServer, vscodeVersion, workbenchUrl } from '../../scripts/lib/host.mjs';
import { bundleRun, planRuns } from './plan.mjs';

const RESULT_MARKER = 'GITOPS_SUITE_RESULT';
// Workbench chatter that the host forwards too; shown with GITOPS_TEST_VERBOSE=1.
const NOISE = /^\s*(Creation of workbench contribution|Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|Resolving connection token|Resolved connection token|Creating a socket)/;
const verbose = process.env.GITOPS_TEST_VERBOSE === '1';

async function main() {
  if (process.env.GITOPS_TEST_HOST === 'electron') {
    const { runElectron } = await import('./runElectron.mjs');
    return runElectron();
  }
  const only = [...process.argv.slice(2), ...(process.env.GITOPS_TEST_RUNS ?? '').split(',')].filter(Boolean);
  const started = Date.now();
  buildProject();
  const runs = await planRuns({ only });
  if (!runs.length) { console.error('integration: no test files in test/integration/suite'); return 1; }
  console.log(`integration: ${runs.length} run(s): ${runs.map((r) => `${r.name} [${r.tests.join(', ')}]`).join('; ')}`);
  let chromium;
  const totals = { passed: 0, failed: 0, pending: 0 };
  let version = vscodeVersion();
  try {
    chromium = await startChromium();
    onCleanup(() => chromium?.stop());
    for (const run of runs) {
      const r = await runOne(run, chromium);
      if (r.vscode) version = r.vscode;
      totals.passed += r.passed; totals.failed += r.failed; totals.pending += r.pending;
      console.log(`[${run.name}] ${r.passed} passed, ${r.failed} failed${r.pending ? `, ${r.pending} skipped` : ''}${r.error ? ` (${r.error})` : ''}`);
    }
  } catch (err) {
    console.error(`integration: ${err instanceof Error ? err.stack : err}`);
    totals.failed += 1;
  } finally {
    await chromium?.stop();
  }
  console.log(`integration took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`extension host (VS Code ${version}): ${totals.passed} passed, ${totals.failed} failed${totals.pending ? `, ${totals.pending} skipped` : ''}`);
  return totals.failed > 0 || totals.passed === 0 ? 1 : 0;
}

async function runOne(run, chromium) {
  const t0 = Date.now();
  const log = (line) => console.log(line);
  console.log(`\n--- run ${run.name} (${run.source})`);
  const suite = await bundleRun(run);
  const prepared = await prepareRun({ name: run.name, needsSandbox: !!run.sandbox, sandboxArgs: run.sandbox?.args, sandboxReadyTimeoutMs: run.sandbox?.readyTimeoutMs, setups: run.setups, log });
  let server;
  let page;
  const result = { passed: 0, failed: 0, pending: 0, vscode: undefined, error: undefined };
  try {
    server = await startCodeServer({ workspace: prepared.workspace, env: prepared.env, settings: prepared.settings });
    log(`[${run.name}] code-server pid ${server.pid} on ${server.url} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    page = await chromium.newPage();
    let finish;
    const exited = new Promise((resolve) => { finish = resolve; });
    await page.exposeFunction('codeAutomationExit', (code) => finish({ code }));
    await page.exposeFunction('codeAutomationLog', (_level, args) => {
      const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      for (const line of text.split('\n')) {
        const m = line.match(new RegExp(`^${RESULT_MARKER} (.*)$`));
        if (m) { try { Object.assign(result, JSON.parse(m[1])); } catch { /* keep going */ } continue; }
        if (verbose || !NOISE.test(line)) console.log(`  ${line}`);
      }
    });
    if (verbose) {
      page.on('console', (msg) => console.log(`  [browser ${msg.type()}] ${msg.text()}`));
    }
    page.on('pageerror', (err) => console.log(`  [browser error] ${err.message}`));
    const url = workbenchUrl(server.url, {
      folder: prepared.workspace,
      extensionDevelopmentPath: projectRoot,
      extensionTestsPath: suite,
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const timeoutMs = Number(process.env.GITOPS_TEST_TIMEOUT_MS ?? run.timeoutMs ?? 300_000);
    const outcome = await Promise.race([exited, new Promise((r) => setTimeout(() => r({ timeout: true }), timeoutMs).unref())]);
    if (outcome.timeout) {
      result.error = `timed out after ${timeoutMs / 1000} s`;
      result.failed += 1;
      await screenshot(page, `integration-${run.name}-timeout`);
    } else if (outcome.code !== 0) {
      // The host says it failed: make sure that counts even if mocha never reported (load error).
      if (result.failed === 0) { result.failed = 1; result.error = `extension host exit code ${outcome.code} without test failures (suite failed to load?)`; }
    } else if (result.passed + result.failed + result.pending === 0) {
      result.failed = 1; result.error = 'no test result reported';
    }
    log(`[${run.name}] exit ${outcome.code ?? 'timeout'} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    result.failed += 1;
    result.error = err instanceof Error ? err.message : String(err);
    if (server) console.log(`  code-server output:\n${server.output().slice(-3000)}`);
  } finally {
    await page?.close().catch(() => {});
    await server?.stop();
    await prepared.dispose();
  }
  return result;
}

async function screenshot(page, name) {
  try {
    const dir = path.join(projectRoot, 'test-artifacts');
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`) });
    console.log(`  screenshot test-artifacts/${name}.png`);
  } catch { /* the page may be gone */ }
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
