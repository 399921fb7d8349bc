// Kubeconfig loading: an explicit file, else $KUBECONFIG (a list of files, merged by client-node),
// else ~/.kube/config; a named context or the current one. Token, client certificate and exec
// plugins work as client-node supports them; `allowExec: false` (a restricted workspace) refuses
// exec plugins, which would run a program named by the kubeconfig.
// This module imports client-node statically: import it lazily (`await import('./kubeconfig')`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface LoadKubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  /** Default true. False refuses users with an exec plugin (and auth-provider commands). */
  allowExec?: boolean;
}

export interface LoadedKubeConfig {
  kc: KubeConfig;
  context: string;
  server: string;
  /** The context's default namespace, if it names one. */
  namespace?: string;
  /** The file(s) the configuration came from. */
  source: string;
}

export class KubeConfigError extends Error {}

function defaultSource(): string {
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG;
  return path.join(os.homedir(), '.kube', 'config');
}

export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): LoadedKubeConfig {
  const kc = new KubeConfig();
  const source = opts.kubeconfig || defaultSource();
  const files = source.split(path.delimiter).filter(Boolean);
  if (!files.some((f) => fs.existsSync(f))) {
    throw new KubeConfigError(`no kubeconfig at ${source}: set gitops.kubeconfig (or --kubeconfig / $KUBECONFIG)`);
  }
  try {
    if (opts.kubeconfig) {
      kc.loadFromFile(opts.kubeconfig);
    } else {
      // loadFromDefault merges every file in $KUBECONFIG as kubectl does.
      kc.loadFromDefault();
    }
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${source}: ${(err as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new KubeConfigError(`context '${opts.context}' not found in ${source} (contexts: ${known})`);
    }
    kc.setCurrentContext(opts.context);
  }
  const context = kc.getCurrentContext();
  const ctx = context ? kc.getContextObject(context) : null;
  if (!ctx) throw new KubeConfigError(`kubeconfig ${source} has no current context: pass --context or set gitops.context`);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError(`context '${context}' names cluster '${ctx.cluster}', which ${source} does not define`);
  const user = kc.getCurrentUser();
  if (opts.allowExec === false && user) {
    const u = user as { exec?: unknown; authProvider?: { config?: Record<string, unknown> } };
    if (u.exec || u.authProvider?.config?.['cmd-path']) {
      throw new KubeConfigError(`context '${context}' authenticates with an exec plugin, which is not run in a restricted (untrusted) workspace: trust the workspace or use a token/certificate kubeconfig`);
    }
  }
  return { kc, context, server: cluster.server, namespace: ctx.namespace, source };
}
