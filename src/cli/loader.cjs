#!/usr/bin/env node
// gitops-workbench CLI loader (copied to dist/cli.cjs by scripts/build.mjs).
// The CLI is one CommonJS bundle, dist/cli-bundle.cjs. It is compiled through vm.Script with a V8 code
// cache, so a run skips parsing and compiling what the previous run of the same command compiled: for a
// cold `diff` that is a good part of start-up. (Node 22's module.enableCompileCache() does the same for
// itself; Node 20, which we support, has no such switch.) The cache holds compiled code only, never data.
// It is keyed by the bundle's content hash, Node's version and the command; V8 also refuses a cache made
// by another V8 or with other flags, and then a fresh one is written. GITOPS_WORKBENCH_CODE_CACHE=0 turns
// it off. It lives beside the bundle (dist/.cache/) or, when that is not writable, in the user's cache
// folder — never in a shared temp folder, where another user could plant code.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const bundle = path.join(__dirname, 'cli-bundle.cjs');
const source = fs.readFileSync(bundle, 'utf8');
const useCache = process.env.GITOPS_WORKBENCH_CODE_CACHE !== '0';
const command = /^[a-z]+$/.test(process.argv[2] || '') ? process.argv[2] : 'other';

function cacheDirs() {
  let home;
  try { home = process.env.XDG_CACHE_HOME || path.join(require('os').homedir(), '.cache'); } catch { /* no home: dist/.cache only */ }
  return [path.join(__dirname, '.cache'), home && path.isAbsolute(home) ? path.join(home, 'gitops-workbench') : undefined].filter(Boolean);
}

let cacheName;
let cachedData;
if (useCache) {
  const hash = require('crypto').createHash('sha1').update(source).digest('hex').slice(0, 16);
  cacheName = `cli-${command}-${hash}-${process.version}-${process.arch}.v8`;
  for (const dir of cacheDirs()) {
    try { cachedData = fs.readFileSync(path.join(dir, cacheName)); break; } catch { /* not there */ }
  }
}

const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
if (useCache && (!cachedData || script.cachedDataRejected)) {
  // Written at exit, when the functions this command ran have been compiled and can be cached too.
  process.once('exit', () => {
    const data = script.createCachedData();
    for (const dir of cacheDirs()) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        const tmp = path.join(dir, `${cacheName}.${process.pid}.tmp`);
        fs.writeFileSync(tmp, data);
        fs.renameSync(tmp, path.join(dir, cacheName));
        // Caches of earlier builds or Node versions for this command are of no use any more.
        for (const old of fs.readdirSync(dir)) if (old.startsWith(`cli-${command}-`) && old !== cacheName && !old.endsWith('.tmp')) fs.rmSync(path.join(dir, old), { force: true });
        return;
      } catch { /* read-only: try the next place */ }
    }
  });
}
const wrapper = script.runInThisContext();
const mod = { exports: {}, filename: bundle, id: bundle, loaded: false };
wrapper.call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, __dirname);
