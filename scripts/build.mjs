// Bundles the extension (CommonJS, vscode external) and the CLI; type-checks first unless --no-check.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
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
await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.cjs', external: ['vscode'] }),
  // The engine (client-node, renderers, agents) is a bundle of its own, required by the extension on first
  // use after activation, so activating parses none of it (src/extension/engineLoader.ts).
  build({ ...common, entryPoints: ['src/extension/heavy.ts'], outfile: 'dist/engine.cjs', external: ['vscode'] }),
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.cjs', banner: { js: '#!/usr/bin/env node\n' + common.banner.js } }),
]);
console.log('built dist/extension.cjs, dist/engine.cjs and dist/cli.cjs');
