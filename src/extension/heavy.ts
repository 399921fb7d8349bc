// Entry point of dist/engine.cjs: everything heavy the extension needs (the Engine, client-node, the agents
// API), bundled separately and required on first use by engineLoader.ts. Implements HeavyModule.
import { KubeConfig } from '@kubernetes/client-node';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../core/engine';
import { loadKubeConfig } from '../core/cluster/kubeconfig';
import type { App } from '../core/model';
import type { EngineLike, EngineOptions, HeavyModule } from './engineTypes';
import { stringify } from 'yaml';
import { adoptValueEdit } from './editor/adoptValue';

export { adoptValueEdit };
/** G's git workflows (bump, revert, rollback, push, sync-and-wait), for src/extension/commands/gitCommands.ts. */
export * as git from '../core/git/workflows';

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

export function createEngine(opts: EngineOptions): EngineLike {
  return Engine.create(opts);
}

/** Context names of a kubeconfig (no connection, no exec plugin run). */
export function listContexts(kubeconfig?: string): { contexts: string[]; current?: string; file: string } {
  const kc = new KubeConfig();
  const file = kubeconfig || process.env.KUBECONFIG || path.join(os.homedir(), '.kube', 'config');
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch {
    return { contexts: [], file };
  }
  return { contexts: kc.getContexts().map((c) => c.name), current: kc.getCurrentContext() || undefined, file };
}

export async function requestSync(conn: { kubeconfig?: string; context?: string; trusted?: boolean }, app: App, opts: { revision?: string; prune?: boolean }): Promise<void> {
  const { kc } = loadKubeConfig({ kubeconfig: conn.kubeconfig, context: conn.context, allowExec: conn.trusted !== false });
  const agents = await import('../core/agents/index');
  await agents.requestSync(kc, app as Parameters<typeof agents.requestSync>[1], opts);
}

// Type check: this module is the HeavyModule the extension expects.
const _check: HeavyModule = { createEngine, listContexts, requestSync, adoptValueEdit, toYaml };
void _check;
