// `npm run package`: build (type-check + esbuild), then `vsce package --no-dependencies` (offline: the
// bundles carry their dependencies) -> gitops-workbench-<version>.vsix at the project root.
// `--no-check` skips the type-check (the e2e runner uses it right after a checked build).
// Prints the .vsix path as its last line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
export const vsixPath = path.join(root, `${pkg.name}-${pkg.version}.vsix`);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) { console.error(`${path.basename(args[0] ?? cmd)} failed (exit ${r.status ?? r.signal})`); process.exit(r.status || 1); }
}

const noCheck = process.argv.includes('--no-check');
run(process.execPath, [path.join(root, 'scripts/build.mjs'), ...(noCheck ? ['--no-check'] : [])]);
// No stdin in CI: every question vsce could ask is answered by a flag.
run(process.execPath, [path.join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies',
  '--allow-missing-repository', '--skip-license',
  // No public repository to point at: keep README links relative (media/ is in the .vsix).
  '--no-rewrite-relative-links', '--out', vsixPath]);
const kb = fs.statSync(vsixPath).size / 1024;
console.log(`packaged ${path.relative(root, vsixPath)} (${kb.toFixed(0)} KiB)`);
console.log(vsixPath);
