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
// Chunk names change with content: start from an empty dist/cli/ (and drop the old single-file CLI's map).
fs.rmSync(path.join(root, 'dist/cli'), { recursive: true, force: true });
fs.rmSync(path.join(root, 'dist/cli.cjs.map'), { force: true });
await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.cjs', external: ['vscode'] }),
  // The engine (client-node, renderers, agents) is a bundle of its own, required by the extension on first
  // use after activation, so activating parses none of it (src/extension/engineLoader.ts).
  build({ ...common, entryPoints: ['src/extension/heavy.ts'], outfile: 'dist/engine.cjs', external: ['vscode'] }),
  // The CLI is ESM with code splitting: each command and each lazily imported module (client-node above all,
  // ~14 MB) is a chunk of its own under dist/cli/, so a cold `diff` parses only what it runs.
  // dist/cli.cjs (the "bin") stays a single file that imports the entry chunk.
  build({
    ...common,
    entryPoints: { main: 'src/cli.ts' },
    outdir: 'dist/cli',
    format: 'esm',
    splitting: true,
    minify: process.env.GITOPS_BUILD_MINIFY !== '0', // GITOPS_BUILD_MINIFY=0 keeps names for profiles
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    define: {},
    // Bundled CommonJS dependencies call require(); __dirname is dist/ as it was for the single-file CLI.
    banner: { js: [
      "import { createRequire as __gwCreateRequire } from 'node:module';",
      "import { fileURLToPath as __gwFileURLToPath } from 'node:url';",
      "import { dirname as __gwDirname } from 'node:path';",
      'const require = __gwCreateRequire(import.meta.url);',
      'const __filename = __gwFileURLToPath(import.meta.url);',
      'const __dirname = __gwDirname(__gwDirname(__filename));',
    ].join('\n') },
  }).then(() => fs.writeFileSync(path.join(root, 'dist/cli.cjs'), [
    '#!/usr/bin/env node',
    '// gitops-workbench CLI: the code is the ESM bundle in dist/cli/ (built by scripts/build.mjs).',
    "import(require('url').pathToFileURL(require('path').join(__dirname, 'cli', 'main.mjs')).href)",
    "  .catch((err) => { console.error(err); process.exitCode = 2; });",
    '',
  ].join('\n'), { mode: 0o755 })),
]);
console.log('built dist/extension.cjs, dist/engine.cjs and dist/cli.cjs (+ dist/cli/*.mjs)');
