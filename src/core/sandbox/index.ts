// Start the sandbox API server: certificates, tokens, the HTTPS server and its kubeconfig. With a
// state directory, certificates, tokens, the last port and every object survive a restart, so a
// kubeconfig written before keeps working.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureCerts } from './certs';
import { SandboxServer } from './server';

export interface StartOptions {
  /** 0 or undefined = a free port (with a state dir: the previous port when it is free). */
  port?: number;
  stateDir?: string;
  kubeconfigPath: string;
  minor?: number;
  log?: (line: string) => void;
}

export interface RunningSandbox {
  server: SandboxServer;
  port: number;
  url: string;
  token: string;
  readonlyToken: string;
  kubeconfigPath: string;
  caCert: string;
  stop(): Promise<void>;
}

function atomicWrite(file: string, data: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export function kubeconfigYaml(url: string, caCert: string, token: string, readonlyToken: string): string {
  const ca = Buffer.from(caCert).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: ${url}
    certificate-authority-data: ${ca}
users:
- name: sandbox
  user:
    token: ${token}
- name: readonly
  user:
    token: ${readonlyToken}
contexts:
- name: sandbox
  context:
    cluster: sandbox
    user: sandbox
    namespace: default
- name: sandbox-readonly
  context:
    cluster: sandbox
    user: readonly
    namespace: default
current-context: sandbox
preferences: {}
`;
}

/** Refuse to write over the user's own kubeconfig. */
export function assertNotUserKubeconfig(file: string): void {
  const userConfig = path.join(os.homedir(), '.kube', 'config');
  if (path.resolve(file) === path.resolve(userConfig)) {
    throw new Error(`refusing to overwrite ${userConfig}: pass --kubeconfig with another file`);
  }
}

export async function startSandboxServer(opts: StartOptions): Promise<RunningSandbox> {
  assertNotUserKubeconfig(opts.kubeconfigPath);
  const state = opts.stateDir ? path.resolve(opts.stateDir) : undefined;
  if (state) fs.mkdirSync(state, { recursive: true });
  const certs = await ensureCerts(state ? path.join(state, 'pki') : undefined);

  let tokens = { token: crypto.randomBytes(24).toString('hex'), readonlyToken: crypto.randomBytes(24).toString('hex'), port: 0 };
  const tokensFile = state ? path.join(state, 'sandbox.json') : undefined;
  if (tokensFile && fs.existsSync(tokensFile)) tokens = { ...tokens, ...JSON.parse(fs.readFileSync(tokensFile, 'utf8')) };

  const server = new SandboxServer({ certs, token: tokens.token, readonlyToken: tokens.readonlyToken, stateDir: state, minor: opts.minor, log: opts.log });
  let port: number;
  const wanted = opts.port ?? 0;
  try {
    // Reuse the last port of this state dir when none was asked for, so old kubeconfigs still point right.
    port = await server.listen(wanted || tokens.port || 0);
  } catch (err) {
    if (wanted) throw err;
    port = await server.listen(0);
  }
  if (tokensFile) atomicWrite(tokensFile, JSON.stringify({ ...tokens, port }));

  const url = `https://127.0.0.1:${port}`;
  fs.mkdirSync(path.dirname(path.resolve(opts.kubeconfigPath)), { recursive: true });
  atomicWrite(opts.kubeconfigPath, kubeconfigYaml(url, certs.caCert, tokens.token, tokens.readonlyToken));

  return {
    server, port, url, token: tokens.token, readonlyToken: tokens.readonlyToken, kubeconfigPath: path.resolve(opts.kubeconfigPath), caCert: certs.caCert,
    stop: () => server.close(),
  };
}

export { SandboxServer } from './server';
