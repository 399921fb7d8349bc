// Helpers for the extension's in-host tests: the extension's test API, polling, real kubectl.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';

export const EXTENSION_ID = 'gitops-workbench.gitops-workbench';

export async function gitopsApi(): Promise<GitOpsApi> {
  const ext = vscode.extensions.getExtension<GitOpsApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** For a before() hook: skip without the sandbox, else activate the extension and wait for its first report. */
export async function readyApi(ctx: Mocha.Context): Promise<GitOpsApi> {
  sandboxSkip(ctx);
  const api = await gitopsApi();
  await api.ready();
  return api;
}

export function workspaceFile(rel: string): vscode.Uri {
  return vscode.Uri.file(path.join(process.env.GITOPS_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0].uri.fsPath, rel));
}

/** Poll every 10 ms; resolve with the elapsed ms once `check` returns a truthy value. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 10_000): Promise<{ value: T; ms: number }> {
  const began = performance.now();
  for (;;) {
    const value = check();
    if (value) return { value, ms: performance.now() - began };
    if (performance.now() - began > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function kubectl(args: string[], input?: string): string {
  const kubeconfig = process.env.GITOPS_TEST_KUBECONFIG!;
  const home = path.join(path.dirname(kubeconfig), 'kubectl-home');
  fs.mkdirSync(home, { recursive: true });
  const r = spawnSync('kubectl', args, {
    input, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: path.join(home, 'cache') },
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

/** 0-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.includes(needle)) return i;
  throw new Error(`"${needle}" not in ${doc.uri.fsPath}`);
}

export function record(name: string, data: object): void {
  const dir = process.env.GITOPS_TEST_ARTIFACTS;
  console.log(`    ${name}: ${JSON.stringify(data)}`);
  if (!dir || !Object.keys(data).length) return; // a filtered (grep) run measured nothing: keep the last figures
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ vscode: vscode.version, at: new Date().toISOString(), ...data }, null, 2) + '\n');
}

export function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

export function sandboxSkip(ctx: Mocha.Context): void {
  if (!process.env.GITOPS_TEST_KUBECONFIG) ctx.skip();
}

/** In a describe(): print the GitOps output's last lines when a test fails. */
export function dumpLogOnFailure(api: () => { log(): string[] } | undefined): void {
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    const lines = api()?.log() ?? [];
    console.log(`    --- GitOps output (last ${Math.min(lines.length, 60)} lines) ---\n${lines.slice(-60).map((l) => `    ${l}`).join('\n')}`);
  });
}
