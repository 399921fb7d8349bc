// `npm test`: every kind of test, in order, failing fast on the first red stage.
//   build -> unit (core, node:test) -> system (core against the sandbox with real kubectl/helm/git)
//   -> integration (mocha inside a real VS Code extension host) -> e2e (Playwright on the workbench UI)
// `node scripts/test.mjs unit system` runs only the named stages.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const allStages = ['build', 'unit', 'system', 'integration', 'e2e'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : allStages;

function testFiles(dir) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.test\.ts$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(root, dir));
  return out.sort();
}

function run(label, cmd, args, opts = {}) {
  console.log(`\n=== ${label}: ${[cmd, ...args].map((a) => path.relative(root, a) || a).join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`\n${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function nodeTests(label, dir, concurrency) {
  const files = testFiles(dir);
  if (!files.length) { console.log(`\n=== ${label}: no tests in ${dir}`); return; }
  run(label, process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files]);
}

const stages = {
  build: () => run('build', process.execPath, ['scripts/build.mjs']),
  unit: () => nodeTests('unit', 'test/unit', 2),
  system: () => nodeTests('system', 'test/system', 1),
  integration: () => {
    const runner = path.join(root, 'test/integration/runCodeServer.mjs');
    if (!fs.existsSync(runner)) { console.log('\n=== integration: runner not present yet'); return; }
    // Idempotent (milliseconds when already installed): a fresh clone needs nothing but `npm ci && npm test`.
    run('code-server', process.execPath, ['scripts/install-code-server.mjs']);
    run('integration', process.execPath, [runner], { env: { ...process.env, GITOPS_TEST_SKIP_BUILD: wanted.includes('build') ? '1' : process.env.GITOPS_TEST_SKIP_BUILD } });
  },
  e2e: () => {
    const runner = path.join(root, 'test/e2e/run.mjs');
    if (!fs.existsSync(runner)) { console.log('\n=== e2e: runner not present yet'); return; }
    run('code-server', process.execPath, ['scripts/install-code-server.mjs']);
    run('e2e', process.execPath, [runner]);
  },
};

for (const stage of wanted) {
  if (!stages[stage]) { console.error(`unknown stage ${stage}; stages: ${allStages.join(', ')}`); process.exit(2); }
  stages[stage]();
}
console.log(`\nall stages passed: ${wanted.join(', ')}`);
