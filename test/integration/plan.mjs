// Which in-host test files run in which host run, and how each run's suite is bundled.
// Shared by runCodeServer.mjs (code-server + Chromium, used here) and runElectron.mjs (desktop VS Code).
// The contract for adding suites is documented at the top of runCodeServer.mjs.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../scripts/lib/host.mjs';

export const suiteDir = path.join(projectRoot, 'test/integration/suite');
export const runsDir = path.join(projectRoot, 'test/integration/runs');
export const outDir = path.join(projectRoot, 'out/integration');

function walk(dir, re) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, re));
    else if (re.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Tiny glob: `**` any path, `*` any name part, `?` one char; relative to test/integration/suite. */
export function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') { re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*'; i += glob[i + 2] === '/' ? 2 : 1; }
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The runs, in order: every test/integration/runs/*.run.mjs, then `default` with the test files no
 * run claimed. `only` (names, from argv/GITOPS_TEST_RUNS) filters runs.
 */
export async function planRuns({ only = [] } = {}) {
  const files = walk(suiteDir, /\.test\.ts$/).map((f) => path.relative(suiteDir, f).split(path.sep).join('/'));
  const claimed = new Set();
  const runs = [];
  for (const file of walk(runsDir, /\.run\.mjs$/)) {
    const mod = await import(pathToFileURL(file).href);
    const name = mod.name ?? path.basename(file, '.run.mjs');
    const patterns = (Array.isArray(mod.tests) ? mod.tests : [mod.tests]).filter(Boolean).map(globToRegExp);
    const tests = files.filter((f) => patterns.some((re) => re.test(f)));
    tests.forEach((t) => claimed.add(t));
    const sandbox = mod.sandbox === true ? { args: [] } : mod.sandbox ? { args: mod.sandbox.args ?? [], readyTimeoutMs: mod.sandbox.readyTimeoutMs } : undefined;
    runs.push({ name, source: path.relative(projectRoot, file), tests, sandbox, setups: mod.setup ? [mod.setup] : [],
      timeoutMs: mod.timeoutMs });
  }
  const rest = files.filter((f) => !claimed.has(f));
  if (rest.length) runs.push({ name: 'default', source: '(unclaimed test files)', tests: rest, setups: [] });
  const wanted = only.length ? runs.filter((r) => only.includes(r.name)) : runs;
  return wanted.filter((r) => r.tests.length);
}

/** Bundle index.ts + the run's test files into out/integration/<run>/suite.cjs (CJS, vscode external). */
export async function bundleRun(run) {
  const file = path.join(outDir, run.name, 'suite.cjs');
  const rel = (p) => JSON.stringify('./' + path.relative(projectRoot, p).split(path.sep).join('/'));
  const contents = [
    `import { runSuite } from ${rel(path.join(suiteDir, 'index.ts'))};`,
    'export function run() {',
    '  return runSuite(() => {',
    ...run.tests.map((t) => `    require(${rel(path.join(suiteDir, t))});`),
    '  });',
    '}',
  ].join('\n');
  await build({
    stdin: { contents, resolveDir: projectRoot, sourcefile: `integration-${run.name}.ts`, loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: file,
    sourcemap: 'inline',
    logLevel: 'warning',
    absWorkingDir: projectRoot,
    // mocha is loaded from node_modules at run time (its reporters are dynamic requires).
    external: ['vscode', 'mocha'],
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  });
  return file;
}
