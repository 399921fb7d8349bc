// `npm run bench`: runs every bench/*.bench.ts (or only those named: `npm run bench -- engine`) with
// `node --import tsx`, one after another (2 shared cores: never in parallel), printing their output.
// A bench prints its own figures; a non-zero exit marks it failed and makes this exit 1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const benchDir = path.join(root, 'bench');
const only = process.argv.slice(2);
const files = (fs.existsSync(benchDir) ? fs.readdirSync(benchDir) : [])
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only.length || only.some((o) => f.includes(o)))
  .sort();
if (!files.length) {
  console.log(`no benchmarks${only.length ? ` matching ${only.join(', ')}` : ''} in bench/ (add bench/<name>.bench.ts)`);
  process.exit(only.length ? 1 : 0);
}
const failed = [];
for (const f of files) {
  console.log(`\n=== bench/${f}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, f)], { cwd: root, stdio: 'inherit' });
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) { failed.push(f); console.log(`--- bench/${f} FAILED (exit ${r.status ?? r.signal}) after ${s} s`); }
  else console.log(`--- bench/${f} done in ${s} s`);
}
console.log(`\nbenchmarks: ${files.length - failed.length} ran, ${failed.length} failed${failed.length ? ` (${failed.join(', ')})` : ''}`);
process.exit(failed.length ? 1 : 0);
