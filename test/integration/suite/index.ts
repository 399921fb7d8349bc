// Mocha inside the VS Code extension host. The runner bundles this file with the run's *.test.ts
// files into one CommonJS module whose `run()` the host calls (the @vscode/test-electron contract,
// also used by code-server through the extensionTestsPath payload). `loadTests` requires the test
// files after mocha has put describe/it/before/after on the global object.
import Mocha from 'mocha';
import fs from 'node:fs';
import util from 'node:util';
import * as vscode from 'vscode';

/** Printed as one line so the runner can count results without parsing the spec reporter. */
export const RESULT_MARKER = 'GITOPS_SUITE_RESULT';

export function runSuite(loadTests: () => void): Promise<void> {
  // The host forwards console arguments unformatted: format them here, as a terminal would.
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog =
    (...a: unknown[]) => console.log(util.format(...a));
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    reporter: 'spec',
    timeout: Number(process.env.GITOPS_TEST_MOCHA_TIMEOUT ?? 60_000),
    slow: 2_000,
    grep: process.env.GITOPS_TEST_GREP || undefined,
  });
  mocha.suite.emit('pre-require', globalThis, 'integration-suite', mocha);
  loadTests();
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const s = runner.stats ?? { passes: 0, failures, pending: 0 };
        const result = JSON.stringify({ passed: s.passes, failed: s.failures, pending: s.pending, vscode: vscode.version });
        console.log(`${RESULT_MARKER} ${result}`);
        // Desktop runners (runElectron.mjs) cannot read the host's console: they read this file.
        if (process.env.GITOPS_TEST_RESULT_FILE) fs.writeFileSync(process.env.GITOPS_TEST_RESULT_FILE, result);
        console.log(`mocha: ${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ''}`);
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      console.error(err);
      reject(err);
    }
  });
}
