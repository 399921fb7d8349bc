// Start the real sandbox (`gitops-workbench sandbox` from dist/cli.cjs) for a test, in its own process
// group, and give kubectl its own HOME/KUBECACHEDIR so discovery caches never leak between tests.
//
//   const sb = await startSandbox();          // agent off unless {agent: true}
//   after(() => sb.stop());                   // stopped by PID even when the test fails
//   sb.kubectl(['get', 'deploy', '-A']);
//   await sb.fault({ dropWatches: true });
//
// A process-exit hook also kills every sandbox still running, as a last resort.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { kubectlPath, projectRoot } from './tools';

export interface KubectlResult { status: number | null; stdout: string; stderr: string }
export interface KubectlOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Another kubectl binary (e.g. a versioned copy). */
  kubectl?: string;
  /** Another kubeconfig (e.g. one with a wrong or read-only token). */
  kubeconfig?: string;
}

export interface ApiResponse { status: number; body: any; text: string; headers: Record<string, string | string[] | undefined> }

export interface Sandbox {
  kubeconfig: string;
  port: number;
  pid: number;
  token: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM of the CA that signed the serving certificate. */
  ca: string;
  /** Path of the working clone when started with demo: true. */
  demoRepo?: string;
  /** The sandbox's stdout+stderr so far. */
  log(): string;
  kubectl(args: string[], opts?: KubectlOptions): KubectlResult;
  /** One HTTPS request to the API server (admin token unless opts.token); body parsed as JSON when it is. */
  request(method: string, path: string, body?: unknown, opts?: { contentType?: string; token?: string }): Promise<ApiResponse>;
  /** POST /_sandbox/faults (see src/core/sandbox/faults.ts for the spec). */
  fault(spec: object): Promise<void>;
  /** A kubeconfig for the read-only user (403 on writes). */
  readonlyKubeconfig(): string;
  stop(): Promise<void>;
}

export interface StartSandboxOptions {
  agent?: boolean;
  state?: string;
  demo?: boolean;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Fixed port (e.g. to restart on the same address); default a free one. */
  port?: number;
  /** How long to wait for `ready` (default 60 s; a demo clones and syncs). */
  readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }
});

let built = false;
/** dist/cli.cjs, built once if absent (or GITOPS_TEST_REBUILD=1); GITOPS_TEST_CLI overrides. */
export function cliPath(): string {
  if (process.env.GITOPS_TEST_CLI) return path.resolve(process.env.GITOPS_TEST_CLI);
  const cli = path.join(projectRoot, 'dist/cli.cjs');
  if (!built && (!fs.existsSync(cli) || process.env.GITOPS_TEST_REBUILD === '1')) {
    execFileSync(process.execPath, [path.join(projectRoot, 'scripts/build.mjs'), '--no-check'], { cwd: projectRoot, stdio: 'inherit', timeout: 180_000 });
  }
  built = true;
  return cli;
}

function yamlField(text: string, key: string): string | undefined {
  const m = new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'm').exec(text);
  return m?.[1]?.replace(/^"|"$/g, '');
}

export async function startSandbox(opts: StartSandboxOptions = {}): Promise<Sandbox> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-'));
  const kubeconfig = path.join(work, 'kubeconfig');
  const home = path.join(work, 'home');
  fs.mkdirSync(home);
  const cli = cliPath();
  // GITOPS_TEST_CLI=src/cli.ts runs the sources through tsx (no build needed while developing).
  const args = [...(cli.endsWith('.ts') ? ['--import', 'tsx'] : []), cli, 'sandbox', '--port', String(opts.port ?? 0), '--kubeconfig', kubeconfig];
  if (opts.state) args.push('--state', opts.state);
  if (!opts.agent) args.push('--no-agent');
  if (opts.demo) args.push('--demo');
  args.push(...(opts.extraArgs ?? []));
  const child = spawn(process.execPath, args, {
    cwd: projectRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, ...opts.env },
  });
  running.add(child);
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (d) => { output += d; stdout += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<void>((resolve) => child.on('exit', () => { running.delete(child); resolve(); }));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await exited;
    clearTimeout(timer);
  };

  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => { void stop(); reject(new Error(`sandbox not ready after ${opts.readyTimeoutMs ?? 60000} ms:\n${output}`)); }, opts.readyTimeoutMs ?? 60_000);
    // The CLI's own `... ready ...` line on stdout (agent logs on stderr may say "already").
    const check = () => {
      if (/\bready\b/i.test(stdout) && fs.existsSync(kubeconfig)) { clearTimeout(deadline); resolve(); }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => { clearTimeout(deadline); reject(new Error(`sandbox exited (${code}) before ready:\n${output}`)); });
  });

  const text = fs.readFileSync(kubeconfig, 'utf8');
  const server = yamlField(text, 'server')!;
  const token = yamlField(text, 'token')!;
  const ca = Buffer.from(yamlField(text, 'certificate-authority-data')!, 'base64').toString();
  const port = Number(new URL(server).port);
  const demoRepo = /demo repo:\s*(\S+)/.exec(stdout)?.[1];

  const kubectl = (kargs: string[], kopts: KubectlOptions = {}): KubectlResult => {
    const r = spawnSync(kopts.kubectl ?? kubectlPath(), kargs, {
      input: kopts.input, encoding: 'utf8', timeout: kopts.timeoutMs ?? 60_000,
      env: { ...process.env, HOME: home, KUBECACHEDIR: path.join(home, '.kube/cache'), KUBECONFIG: kopts.kubeconfig ?? kubeconfig, ...kopts.env },
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  };

  const request = (method: string, p: string, body?: unknown, ropts: { contentType?: string; token?: string } = {}) => new Promise<ApiResponse>((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = https.request(`${server}${p}`, {
      method, ca, agent: false, headers: {
        authorization: `Bearer ${ropts.token ?? token}`, accept: 'application/json',
        ...(text !== undefined ? { 'content-type': ropts.contentType ?? 'application/json', 'content-length': Buffer.byteLength(text) } : {}),
      },
    }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { out += d; });
      res.on('end', () => {
        let parsed: unknown;
        try { parsed = JSON.parse(out); } catch { parsed = undefined; }
        resolve({ status: res.statusCode ?? 0, body: parsed, text: out, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(text);
  });

  const fault = (spec: object) => new Promise<void>((resolve, reject) => {
    const body = JSON.stringify(spec);
    const req = https.request(`${server}/_sandbox/faults`, {
      method: 'POST', ca, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let out = '';
      res.on('data', (d) => { out += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`fault ${body}: ${res.statusCode} ${out}`))));
    });
    req.on('error', reject);
    req.end(body);
  });

  const readonlyKubeconfig = () => {
    const file = path.join(work, 'kubeconfig-readonly');
    if (!fs.existsSync(file)) fs.writeFileSync(file, text.replace(/^(\s*)current-context:.*$/m, '$1current-context: sandbox-readonly'));
    return file;
  };

  return { kubeconfig, port, pid: child.pid!, token, server, ca, demoRepo, log: () => output, kubectl, request, fault, readonlyKubeconfig, stop };
}
