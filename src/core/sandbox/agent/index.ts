// The sandbox's pull agent: an Argo CD application-controller subset that talks to the API server
// only over HTTPS with client-node, as an in-cluster controller would. It serves the Application CRD
// by applying it, watches Applications in `argocd` (list+watch, restarted with backoff because
// client-node informers stop on any error), and reconciles each app on every event that asks for it
// (refresh annotation, operation, spec change) and on a poll every `pollSeconds`.
import fs from 'node:fs';
import type { RenderTools } from '../../manifests/render';
import { APPLICATION_CRD, APP_API_VERSION, ARGO_NAMESPACE, REFRESH_ANNOTATION, type Application } from './argo';
import { AppController } from './controller';
import { RepoCache } from './git';
import { FIELD_MANAGER, loadKubeConfig, makeDynamicClient, type DynamicClient } from './kube';

export interface AgentOptions {
  kubeconfig: string;
  context?: string;
  /** Seconds between polls of every app (git fetch + compare). Default 3. */
  pollSeconds?: number;
  /** Cache clones and temporary checkouts live here. */
  workDir: string;
  tools: RenderTools;
  log: (line: string) => void;
}

export interface Agent { stop(): Promise<void> }

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const pollSeconds = opts.pollSeconds ?? 3;
  fs.mkdirSync(opts.workDir, { recursive: true });
  const kc = await loadKubeConfig(opts.kubeconfig, opts.context);
  const client = await makeDynamicClient(kc);
  const log = (line: string) => opts.log(`agent: ${line}`);

  await installCrd(client, log);

  const controller = new AppController({ client, repos: new RepoCache(opts.workDir), workDir: opts.workDir, tools: opts.tools, pollSeconds, log });

  // A single worker drains a de-duplicated queue: one reconcile at a time (2 shared cores; renders
  // spawn helm/kustomize), urgent requests (refresh, operation, spec change) ahead of polls.
  const queue: string[] = [];
  const queued = new Set<string>();
  let stopped = false;
  let working: Promise<void> | undefined;
  const enqueue = (name: string, urgent: boolean) => {
    if (stopped) return;
    if (queued.has(name)) {
      if (urgent) { queue.splice(queue.indexOf(name), 1); queue.unshift(name); }
    } else {
      queued.add(name);
      if (urgent) queue.unshift(name); else queue.push(name);
    }
    if (!working) working = drain().finally(() => { working = undefined; });
  };
  const drain = async () => {
    while (queue.length && !stopped) {
      const name = queue.shift()!;
      queued.delete(name);
      try {
        await controller.reconcile(ARGO_NAMESPACE, name);
      } catch (err) {
        log(`app ${name}: reconcile error: ${(err as Error).message}`);
      }
    }
  };

  // Watch Applications. Remember each app's generation so our own status writes do not re-trigger.
  const k8s = await import('@kubernetes/client-node');
  const appsPath = `/apis/${APP_API_VERSION}/namespaces/${ARGO_NAMESPACE}/applications`;
  const seenGeneration = new Map<string, number | undefined>();
  const informer = k8s.makeInformer(kc, appsPath, () => client.request('GET', appsPath) as never);
  const onChange = (app: Application) => {
    const name = app.metadata.name;
    const generationChanged = seenGeneration.get(name) !== app.metadata.generation || !seenGeneration.has(name);
    seenGeneration.set(name, app.metadata.generation);
    const asked = !!app.metadata.annotations?.[REFRESH_ANNOTATION] || !!app.operation;
    if (asked || generationChanged) enqueue(name, true);
  };
  informer.on('add', (o) => onChange(o as Application));
  informer.on('update', (o) => onChange(o as Application));
  informer.on('delete', (o) => { const app = o as Application; seenGeneration.delete(app.metadata.name); controller.forget(app); });
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  informer.on('connect', () => { failures = 0; });
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
    log(`watch on applications failed (${(err as Error)?.message ?? err}); restarting in ${delay} ms`);
    restartTimer = setTimeout(() => { informer.start().catch(() => { /* reported through 'error' */ }); }, delay);
  });
  await informer.start().catch((err: Error) => log(`watch start failed: ${err.message}`));

  // Poll: every app, every pollSeconds (git fetch, compare, health), like Argo CD's resync period.
  const poll = setInterval(() => {
    for (const app of informer.list()) enqueue(app.metadata!.name!, false);
  }, pollSeconds * 1000);

  log(`watching ${ARGO_NAMESPACE}/applications (poll ${pollSeconds}s, work dir ${opts.workDir})`);
  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      if (restartTimer) clearTimeout(restartTimer);
      queue.length = 0;
      queued.clear();
      await informer.stop().catch(() => undefined);
      // Let an in-flight reconcile finish (bounded) so no write lands after stop() resolves.
      if (working) await Promise.race([working, new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}

/** Apply the Application CRD and the argocd namespace, then wait until discovery serves the kind. */
async function installCrd(client: DynamicClient, log: (line: string) => void): Promise<void> {
  await client.apply(APPLICATION_CRD, { fieldManager: FIELD_MANAGER, force: true });
  if (!(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ARGO_NAMESPACE }))) {
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGO_NAMESPACE } }, { fieldManager: FIELD_MANAGER, force: true });
  }
  const deadline = Date.now() + 15_000;
  while (!(await client.resourceFor(APP_API_VERSION, 'Application'))) {
    if (Date.now() > deadline) throw new Error('the API server did not serve argoproj.io/v1alpha1 applications after the CRD was applied');
    await new Promise((r) => setTimeout(r, 200));
  }
  log('Application CRD served');
}
