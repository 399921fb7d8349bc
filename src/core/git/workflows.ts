// The git workflows as one facade for the extension (loaded inside dist/engine.cjs, next to the
// engine): plain-data arguments and results, cancellable waits, steps reported as words.
import path from 'node:path';
import type { AgentStatus, App } from '../model';
import type { RenderTools } from '../manifests/render';
import type { ImageDeclaration } from './yamlImages';
import type { BumpResult } from './bump';
import type { RevertResult } from './revert';
import type { PushResult } from './push';
import type { CommitInfo } from './repo';

export interface Connection { kubeconfig?: string; context?: string; trusted?: boolean }
export type { BumpResult, RevertResult, PushResult, CommitInfo, ImageDeclaration };

/** Every image declaration under root, with `feeds` filled from a render of each app. */
export async function listImages(root: string, tools: RenderTools, render = true): Promise<{ declarations: ImageDeclaration[]; apps: string[]; errors: string[] }> {
  const { scanWorkspace } = await import('./images');
  const scan = await scanWorkspace(root, tools, { render });
  return { declarations: scan.declarations, apps: scan.apps.map((a) => a.name), errors: scan.errors };
}

export async function bump(opts: { path: string; image: string; tag: string; app?: string; tools: RenderTools; dryRun?: boolean; onStep?: (s: string) => void }): Promise<BumpResult> {
  const { bumpImage } = await import('./bump');
  return bumpImage(opts);
}

/** Commits that touched the app's files (its folder, definition, values files), newest first. */
export async function history(dir: string, app: App | undefined, max = 50): Promise<{ repo: string; commits: CommitInfo[] }> {
  const { repoRoot, historyOf } = await import('./repo');
  const repo = await repoRoot(dir);
  return { repo, commits: await historyOf(repo, app ? appPaths(repo, app) : [], { max }) };
}

export function appPaths(repo: string, app: App): string[] {
  const rel = (f: string) => path.relative(repo, f).split(path.sep).join('/') || '.';
  const paths = new Set<string>([rel(app.path)]);
  if (app.definedAt) paths.add(rel(app.definedAt.file));
  for (const f of app.helm?.valueFiles ?? []) paths.add(rel(f));
  return [...paths];
}

export async function revert(dir: string, shas: string[], onStep?: (s: string) => void): Promise<RevertResult> {
  const { repoRoot } = await import('./repo');
  const { revertCommits } = await import('./revert');
  return revertCommits(await repoRoot(dir), shas, onStep);
}

/** Revert every commit after `revision` that touched the app's files. */
export async function rollback(dir: string, app: App, revision: string, onStep?: (s: string) => void): Promise<RevertResult> {
  const { repoRoot } = await import('./repo');
  const { rollbackPaths } = await import('./revert');
  const repo = await repoRoot(dir);
  return rollbackPaths(repo, revision, appPaths(repo, app), onStep);
}

export async function push(dir: string, onStep?: (s: string) => void): Promise<PushResult> {
  const { repoRoot } = await import('./repo');
  const { pushCurrentBranch } = await import('./push');
  return pushCurrentBranch(await repoRoot(dir), onStep);
}

async function kubeConfig(conn: Connection) {
  const { loadKubeConfig } = await import('../cluster/kubeconfig');
  return loadKubeConfig({ kubeconfig: conn.kubeconfig, context: conn.context, allowExec: conn.trusted !== false }).kc;
}

/** The agent object of an app: from its definition in the workspace, else found by name in the cluster. */
async function agentApp(conn: Connection, app: App | string) {
  const agents = await import('../agents/index');
  if (typeof app !== 'string' && app.agentObject) return app;
  return agents.findAgentApp(await kubeConfig(conn), typeof app === 'string' ? app : app.name);
}

/** Ask the agent to sync `revision`, then follow it until synced and healthy (steps: agent saw commit,
 *  applying, healthy). Throws the agent's message on failure; cancellable through `signal`. */
export async function syncAndWait(conn: Connection, app: App | string, revision: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onStep?: (s: string) => void; repair?: boolean }): Promise<AgentStatus> {
  const agents = await import('../agents/index');
  const kc = await kubeConfig(conn);
  const target = await agentApp(conn, app);
  const asked = new Date();
  await agents.requestSync(kc, target, { revision });
  return agents.waitForRevision(kc, target, revision, { timeoutMs: opts.timeoutMs, signal: opts.signal, onStep: opts.onStep, already: ['pushed'], actedSince: opts.repair ? asked : undefined });
}

/** An Argo CD Application's status.history (newest first), each with its commit subject when known. */
export async function argoHistory(conn: Connection, app: App, dir: string): Promise<{ id: number; revision: string; deployedAt?: string; subject?: string }[]> {
  const agents = await import('../agents/index');
  const { repoRoot, gitRun } = await import('./repo');
  const entries = await agents.argoHistory(await kubeConfig(conn), await agentApp(conn, app));
  const repo = await repoRoot(dir);
  return Promise.all(entries.map(async (e) => {
    const r = await gitRun(repo, ['log', '-1', '--format=%s', e.revision, '--']);
    return { ...e, subject: r.code === 0 ? r.stdout.trim() : undefined };
  }));
}
