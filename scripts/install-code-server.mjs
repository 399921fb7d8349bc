// Installs code-server 4.99.4 (VS Code 1.99.3 on Node 20) into .code-server/ so the integration and
// e2e tests can run the extension inside a real VS Code on machines that reach only the npm registry
// and Debian's packages (recipe: ../shared/vscode-host.md).
//
// Why a project-local folder and not a devDependency: code-server brings ~480 MB and its postinstall
// downloads ripgrep from GitHub (fails offline). Kept out of package.json, `npm ci` stays fast and
// clean for people who only build or unit-test, and the install can be repaired step by step here.
//
// Idempotent: a marker file records the version and the steps done; a second run returns in ms.
// `node scripts/install-code-server.mjs --check` only reports whether it is installed (exit 0/1).
// `--force` reinstalls. Exports codeServerEntry / codeServerRoot / vscodeVersion for the runners.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.99.4';
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const installDir = process.env.GITOPS_CODE_SERVER_DIR ?? path.join(root, '.code-server');
export const codeServerRoot = path.join(installDir, 'node_modules/code-server');
export const codeServerEntry = path.join(codeServerRoot, 'out/node/entry.js');
const marker = path.join(installDir, 'installed.json');

/** The VS Code version inside code-server (lib/vscode/product.json / package.json). */
export function vscodeVersion() {
  for (const f of ['lib/vscode/product.json', 'lib/vscode/package.json']) {
    try {
      const j = JSON.parse(fs.readFileSync(path.join(codeServerRoot, f), 'utf8'));
      if (j.version) return j.version;
    } catch { /* try next */ }
  }
  return 'unknown';
}

export function isInstalled() {
  try {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
    return m.version === CODE_SERVER_VERSION && m.complete === true && fs.existsSync(codeServerEntry);
  } catch { return false; }
}

// Debian packages the install and the runners need, with a file that proves each is there
// (dpkg may be absent in odd containers, so check the file, and name the package when it is missing).
const aptNeeds = [
  ['libkrb5-dev', ['/usr/include/krb5.h', '/usr/include/krb5/krb5.h']],
  ['libsecret-1-dev', ['/usr/include/libsecret-1/libsecret/secret.h']],
  ['libxkbfile-dev', ['/usr/include/X11/extensions/XKBfile.h']],
  ['libx11-dev', ['/usr/include/X11/Xlib.h']],
  ['ripgrep', ['/usr/bin/rg']],
  ['chromium', ['/usr/bin/chromium']],
  ['g++', ['/usr/bin/g++']],
  ['make', ['/usr/bin/make']],
  ['python3', ['/usr/bin/python3']],
];

export function missingAptPackages() {
  return aptNeeds.filter(([, files]) => !files.some((f) => fs.existsSync(f))).map(([pkg]) => pkg);
}

function step(label, cmd, args, cwd, env = {}) {
  const t0 = Date.now();
  process.stdout.write(`[code-server] ${label} ... `);
  const r = spawnSync(cmd, args, {
    cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_yes: 'true', npm_config_audit: 'false', npm_config_fund: 'false',
      npm_config_update_notifier: 'false', ...nodedirEnv(), ...env },
  });
  if (r.status !== 0) {
    console.log('FAILED');
    console.error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-8000)}`);
    throw new Error(`code-server install step failed: ${label}`);
  }
  console.log(`ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// node-gyp downloads Node's headers unless told where they are; Debian/NodeSource ship them in /usr/include/node.
function nodedirEnv() {
  if (process.env.npm_config_nodedir) return {};
  const r = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' });
  const configured = (r.stdout ?? '').trim();
  if (configured && configured !== 'undefined' && configured !== 'null') return {};
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include/node/node.h')) ? { npm_config_nodedir: prefix } : {};
}

export function install({ force = false } = {}) {
  if (!force && isInstalled()) return { skipped: true };
  const missing = missingAptPackages();
  if (missing.length) {
    throw new Error(`code-server needs Debian packages that are missing: ${missing.join(' ')}\n` +
      `  install them with: apt-get update && apt-get install -y ${missing.join(' ')}\n  (.ci/run does this)`);
  }
  const t0 = Date.now();
  console.log(`[code-server] installing ${CODE_SERVER_VERSION} into ${path.relative(root, installDir) || installDir}`);
  fs.rmSync(marker, { force: true });
  fs.mkdirSync(installDir, { recursive: true });
  fs.writeFileSync(path.join(installDir, 'package.json'), JSON.stringify({
    name: 'gitops-workbench-code-server', private: true, description: 'test host, installed by scripts/install-code-server.mjs',
    dependencies: { 'code-server': CODE_SERVER_VERSION },
  }, null, 2) + '\n');
  // Its postinstall downloads ripgrep from GitHub, which is unreachable: skip scripts, do its work below.
  step('npm install code-server', 'npm', ['install', '--ignore-scripts', '--no-package-lock', '--omit=dev'], installDir);
  const vscodeDir = path.join(codeServerRoot, 'lib/vscode');
  step('npm install lib/vscode', 'npm', ['install', '--omit=dev', '--ignore-scripts'], vscodeDir);
  const rgDir = path.join(vscodeDir, 'node_modules/@vscode/ripgrep/bin');
  fs.mkdirSync(rgDir, { recursive: true });
  fs.rmSync(path.join(rgDir, 'rg'), { force: true });
  fs.copyFileSync('/usr/bin/rg', path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  console.log('[code-server] ripgrep: Debian /usr/bin/rg copied into @vscode/ripgrep/bin');
  step('npm rebuild lib/vscode native modules', 'npm', ['rebuild'], vscodeDir);
  const asar = path.join(vscodeDir, 'node_modules.asar');
  fs.rmSync(asar, { force: true, recursive: true });
  fs.symlinkSync('node_modules', asar);
  step('npm install lib/vscode/extensions', 'npm', ['install', '--omit=dev', '--ignore-scripts'], path.join(vscodeDir, 'extensions'));
  step('npm rebuild argon2', 'npm', ['rebuild', 'argon2'], installDir);
  if (!fs.existsSync(codeServerEntry)) throw new Error(`code-server entry missing after install: ${codeServerEntry}`);
  fs.writeFileSync(marker, JSON.stringify({ version: CODE_SERVER_VERSION, vscode: vscodeVersion(), complete: true,
    seconds: Math.round((Date.now() - t0) / 1000), at: new Date().toISOString() }, null, 2) + '\n');
  console.log(`[code-server] ${CODE_SERVER_VERSION} (VS Code ${vscodeVersion()}) installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { skipped: false };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Set(process.argv.slice(2));
  if (args.has('--check')) {
    const ok = isInstalled();
    console.log(ok ? `code-server ${CODE_SERVER_VERSION} (VS Code ${vscodeVersion()}) installed` : 'code-server not installed');
    process.exit(ok ? 0 : 1);
  }
  try {
    const r = install({ force: args.has('--force') });
    if (r.skipped) console.log(`[code-server] ${CODE_SERVER_VERSION} (VS Code ${vscodeVersion()}) already installed`);
  } catch (err) {
    console.error(`\n${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
