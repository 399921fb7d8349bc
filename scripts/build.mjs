// Bundles the extension (CommonJS, vscode external) and the CLI; type-checks first unless --no-check.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = new Set(process.argv.slice(2));
if (!args.has('--no-check')) {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit', cwd: root });
}
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  // client-node is ESM; import.meta.url has no CJS equivalent, so give it one.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};
// The ESM-chunk CLI of earlier builds: its files would only confuse (dist/cli.cjs no longer reads them).
fs.rmSync(path.join(root, 'dist/cli'), { recursive: true, force: true });
fs.rmSync(path.join(root, 'dist/cli.cjs.map'), { force: true });
// client-node (~14 MB, ESM) stays out of the CLI bundle: a require of dist/kube.cjs, made only when a
// command needs it (exec auth, watches, the sandbox agent), so a cold `diff` never parses it.
// (A CommonJS shim, so that import() of it becomes a require() too: the loader's vm.Script has no import().)
const clientNodeApart = {
  name: 'client-node-apart',
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: 'client-node', namespace: 'kube-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'kube-shim' }, () => ({ contents: "module.exports = require('./kube.cjs');", loader: 'js' }));
    b.onResolve({ filter: /^\.\/kube\.cjs$/, namespace: 'kube-shim' }, () => ({ path: './kube.cjs', external: true }));
  },
};
await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.cjs', external: ['vscode'] }),
  // The engine (client-node, renderers, agents) is a bundle of its own, required by the extension on first
  // use after activation, so activating parses none of it (src/extension/engineLoader.ts).
  build({ ...common, entryPoints: ['src/extension/heavy.ts'], outfile: 'dist/engine.cjs', external: ['vscode'] }),
  // The CLI: one CommonJS bundle that dist/cli.cjs (src/cli/loader.cjs) compiles with a V8 code cache.
  build({
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli-bundle.cjs',
    minify: process.env.GITOPS_BUILD_MINIFY !== '0', // GITOPS_BUILD_MINIFY=0 keeps names for profiles
    plugins: [clientNodeApart],
  }),
  build({ ...common, stdin: { contents: "export * from '@kubernetes/client-node';", resolveDir: root, sourcefile: 'kube.ts' }, outfile: 'dist/kube.cjs', sourcemap: false }),
]);
fs.copyFileSync(path.join(root, 'src/cli/loader.cjs'), path.join(root, 'dist/cli.cjs'));
fs.chmodSync(path.join(root, 'dist/cli.cjs'), 0o755);
// Code caches of the previous build are useless (the loader would find them stale anyway).
fs.rmSync(path.join(root, 'dist/.cache'), { recursive: true, force: true });
console.log('built dist/extension.cjs, dist/engine.cjs, dist/cli.cjs (+ dist/cli-bundle.cjs, dist/kube.cjs)');
