// Running helm / kustomize / kubectl: argument arrays, timeouts, and a clear message naming the
// setting or flag to fix when a binary is missing. Never a shell string.
import { execFile } from 'node:child_process';
import type { KubeObject } from '../model';
import fs from 'node:fs';
import path from 'node:path';

export interface RenderTools {
  helmPath?: string;
  kustomizePath?: string;
  kubectlPath?: string;
  /** false in an untrusted workspace: only the directory renderer runs. */
  trusted?: boolean;
  timeoutMs?: number;
  /** A ConfigMap / Secret as the connected cluster has it (Flux valuesFrom sources that are not in Git:
   *  made by hand, by bootstrap tooling, sealed-secrets ...). 'forbidden': RBAC says no. Absent: no cluster. */
  clusterObject?: (kind: 'ConfigMap' | 'Secret', namespace: string, name: string) => Promise<KubeObject | undefined | 'forbidden'>;
}

export class ToolMissingError extends Error {
  constructor(readonly tool: 'helm' | 'kustomize', message: string) {
    super(message);
    this.name = 'ToolMissingError';
  }
}

export const DEFAULT_TIMEOUT_MS = 120_000;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch { /* next */ }
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function resolveHelm(tools: RenderTools): string {
  if (tools.helmPath) {
    if (executable(tools.helmPath)) return tools.helmPath;
    throw new ToolMissingError('helm', `helm not found at ${tools.helmPath}: fix gitops.helmPath or --helm-path`);
  }
  const found = onPath('helm');
  if (!found) throw new ToolMissingError('helm', 'helm not found on PATH: set gitops.helmPath or --helm-path');
  return found;
}

/** kustomize binary (`kustomize build DIR`) or kubectl (`kubectl kustomize DIR`). */
export function resolveKustomize(tools: RenderTools): { file: string; args: (dir: string) => string[] } {
  if (tools.kustomizePath) {
    if (!executable(tools.kustomizePath)) throw new ToolMissingError('kustomize', `kustomize not found at ${tools.kustomizePath}: fix gitops.kustomizePath or --kustomize-path`);
    return { file: tools.kustomizePath, args: (dir) => ['build', dir] };
  }
  const kustomize = onPath('kustomize');
  if (kustomize) return { file: kustomize, args: (dir) => ['build', dir] };
  const kubectl = tools.kubectlPath && executable(tools.kubectlPath) ? tools.kubectlPath : onPath('kubectl');
  if (kubectl) return { file: kubectl, args: (dir) => ['kustomize', dir] };
  throw new ToolMissingError('kustomize', 'kustomize not found (neither kustomize nor kubectl on PATH): set gitops.kustomizePath or --kustomize-path');
}

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** A short reason when not ok: the tool's stderr, or timeout / signal. */
  message: string;
}

export function run(file: string, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, env: opts.env ?? process.env, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout, stderr, message: '' });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
      let message = stderr.trim();
      if (e.code === 'ENOENT') message = `${file}: not found`;
      else if (e.killed || e.signal) message = `${path.basename(file)} timed out after ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s${message ? ': ' + message : ''}`;
      else if (!message) message = e.message;
      resolve({ ok: false, stdout, stderr, message });
    });
  });
}
