#!/usr/bin/env node
// The same in-host suite in desktop VS Code through @vscode/test-electron, for machines that can
// download VS Code and have a display (or xvfb-run). Not used on the offline test machines: there
// runCodeServer.mjs runs it in code-server. Chosen by GITOPS_TEST_HOST=electron (npm test) or run
// directly: `node test/integration/runElectron.mjs [runName ...]`. GITOPS_TEST_VSCODE_VERSION picks
// the VS Code build (default 1.99.3, the engines.vscode floor). Same runs, setup hooks, env and
// summary line as runCodeServer.mjs (see its header for the contract).
import fs from 'node:fs';
import path from 'node:path';
import { buildProject, defaultUserSettings, prepareRun, projectRoot, tempDir } from '../../scripts/lib/host.mjs';
import { bundleRun, planRuns } from './plan.mjs';

export async function runElectron() {
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  const only = [...process.argv.slice(2), ...(process.env.GITOPS_TEST_RUNS ?? '').split(',')].filter(Boolean);
  const version = process.env.GITOPS_TEST_VSCODE_VERSION ?? '1.99.3';
  buildProject();
  const runs = await planRuns({ only });
  const vscodeExecutablePath = await downloadAndUnzipVSCode(version);
  const totals = { passed: 0, failed: 0, pending: 0 };
  for (const run of runs) {
    console.log(`\n--- run ${run.name} (${run.source}) in VS Code ${version}`);
    const suite = await bundleRun(run);
    const prepared = await prepareRun({ name: run.name, needsSandbox: !!run.sandbox, sandboxArgs: run.sandbox?.args, sandboxReadyTimeoutMs: run.sandbox?.readyTimeoutMs, setups: run.setups });
    const userDataDir = tempDir('gitops-electron-');
    const resultFile = path.join(userDataDir, 'result.json');
    try {
      fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
      fs.writeFileSync(path.join(userDataDir, 'User/settings.json'), JSON.stringify({ ...defaultUserSettings, ...prepared.settings }, null, 2));
      try {
        await runTests({
          vscodeExecutablePath,
          extensionDevelopmentPath: projectRoot,
          extensionTestsPath: suite,
          extensionTestsEnv: { ...prepared.env, GITOPS_TEST_RESULT_FILE: resultFile },
          launchArgs: [prepared.workspace, '--user-data-dir', userDataDir, '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
        });
      } catch (err) {
        console.error(`[${run.name}] ${err instanceof Error ? err.message : err}`);
      }
      const r = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : { passed: 0, failed: 1, pending: 0 };
      totals.passed += r.passed; totals.failed += r.failed; totals.pending += r.pending ?? 0;
      console.log(`[${run.name}] ${r.passed} passed, ${r.failed} failed`);
    } finally {
      await prepared.dispose();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  }
  console.log(`extension host (VS Code ${version}): ${totals.passed} passed, ${totals.failed} failed${totals.pending ? `, ${totals.pending} skipped` : ''}`);
  return totals.failed > 0 || totals.passed === 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  runElectron().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
}
