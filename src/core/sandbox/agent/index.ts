// The sandbox's pull agent: an Argo CD application-controller subset that talks to the API server
// only over HTTPS with client-node, as an in-cluster controller would. It serves the Application CRD
// (and Flux's Kustomization/GitRepository, see ./flux.ts) by applying it, watches Applications in
// `argocd` (list+watch, restarted with backoff because client-node informers stop on any error), and
// reconciles each app on every event that asks for it (refresh annotation, operation, spec change)
// and on a poll every `pollSeconds`. Module map: kube.ts (dynamic client), git.ts (repo cache),
// controller.ts (Argo CD reconcile), compare.ts / health.ts (status), argo.ts (contract), flux.ts.
import fs from 'node:fs';
import type { KubeObject } from '../../model';
import type { RenderTools } from '../../manifests/render';
import { APPLICATION_CRD, APP_API_VERSION, ARGO_NAMESPACE, REFRESH_ANNOTATION, type Application } from './argo';
import { AppController } from './controller';
import { FLUX_CRDS, FluxController, GIT_API, KS_API, REQUESTED_AT } from './flux';
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

  await installCrds(client, log);

  const repos = new RepoCache(opts.workDir);
  const controller = new AppController({ client, repos, workDir: opts.workDir, tools: opts.tools, pollSeconds, log });
  const flux = new FluxController({ client, repos, workDir: opts.workDir, tools: opts.tools, pollSeconds, log });

  // A de-duplicated work queue with two lanes: one worker for everything, and a second one that only
  // takes urgent keys (refresh, operation, spec change), so a request never waits behind a slow poll
  // render. The same key never runs twice at once. (2 shared cores; renders spawn helm/kustomize.)
  // Keys: "app/<name>" (Argo CD, namespace argocd), "ks/<ns>/<name>", "git/<ns>/<name>" (Flux).
  const queue: string[] = [];
  const queued = new Set<string>();
  const urgentKeys = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let stopped = false;
  const enqueue = (key: string, urgent: boolean) => {
    if (stopped) return;
    if (queued.has(key)) {
      if (urgent && !urgentKeys.has(key)) { queue.splice(queue.indexOf(key), 1); queue.unshift(key); }
    } else {
      queued.add(key);
      if (urgent) queue.unshift(key); else queue.push(key);
    }
    if (urgent) urgentKeys.add(key);
    pump();
  };
  const pump = () => {
    while (!stopped && running.size < 2) {
      const i = queue.findIndex((k) => !running.has(k) && (running.size === 0 || urgentKeys.has(k)));
      if (i < 0) return;
      const [key] = queue.splice(i, 1);
      queued.delete(key);
      urgentKeys.delete(key);
      const job = reconcileKey(key).finally(() => { running.delete(key); pump(); });
      running.set(key, job);
    }
  };
  const reconcileKey = async (key: string) => {
    const [kind, a, b] = key.split('/');
    try {
      if (kind === 'app') await controller.reconcile(ARGO_NAMESPACE, a);
      else if (kind === 'ks') await flux.reconcileKustomization(a, b);
      else if (kind === 'git') await flux.reconcileGitRepository(a, b);
    } catch (err) {
      log(`${key}: reconcile error: ${(err as Error).message}`);
    }
  };

  // Watch the agent's kinds. Remember each object's generation so our own status writes do not
  // re-trigger; a refresh / reconcile request or an operation always does.
  const k8s = await import('@kubernetes/client-node');
  const seenGeneration = new Map<string, number | undefined>();
  const timers = new Set<NodeJS.Timeout>();
  type Watched = { key: (o: KubeObject) => string; path: string; asked: (o: KubeObject) => boolean; deleted?: (o: KubeObject) => void };
  const watched: Watched[] = [
    {
      path: `/apis/${APP_API_VERSION}/namespaces/${ARGO_NAMESPACE}/applications`, key: (o) => `app/${o.metadata.name}`,
      asked: (o) => !!o.metadata.annotations?.[REFRESH_ANNOTATION] || !!(o as Application).operation,
      deleted: (o) => {
        controller.forget(o as Application);
        controller.cascadeDelete(o as Application).catch((err: Error) => log(`app ${o.metadata.name}: cascade delete failed: ${err.message}`));
      },
    },
    {
      path: `/apis/${KS_API}/kustomizations`, key: (o) => `ks/${o.metadata.namespace}/${o.metadata.name}`,
      asked: (o) => !!o.metadata.annotations?.[REQUESTED_AT] && o.metadata.annotations[REQUESTED_AT] !== (o.status as { lastHandledReconcileAt?: string } | undefined)?.lastHandledReconcileAt,
    },
    {
      path: `/apis/${GIT_API}/gitrepositories`, key: (o) => `git/${o.metadata.namespace}/${o.metadata.name}`,
      asked: (o) => !!o.metadata.annotations?.[REQUESTED_AT] && o.metadata.annotations[REQUESTED_AT] !== (o.status as { lastHandledReconcileAt?: string } | undefined)?.lastHandledReconcileAt,
    },
  ];
  const informers = watched.map((w) => {
    const informer = k8s.makeInformer(kc, w.path, () => client.request('GET', w.path) as never);
    const onChange = (o: KubeObject) => {
      const key = w.key(o);
      const changed = !seenGeneration.has(key) || seenGeneration.get(key) !== o.metadata.generation;
      seenGeneration.set(key, o.metadata.generation);
      if (changed || w.asked(o)) enqueue(key, true);
    };
    informer.on('add', (o) => onChange(o as KubeObject));
    informer.on('update', (o) => onChange(o as KubeObject));
    informer.on('delete', (o) => { seenGeneration.delete(w.key(o as KubeObject)); w.deleted?.(o as KubeObject); });
    let failures = 0;
    informer.on('connect', () => { failures = 0; });
    informer.on('error', (err: unknown) => {
      if (stopped) return;
      const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
      log(`watch on ${w.path} failed (${(err as Error)?.message ?? err}); restarting in ${delay} ms`);
      const timer = setTimeout(() => { timers.delete(timer); if (!stopped) informer.start().catch(() => { /* reported through 'error' */ }); }, delay);
      timers.add(timer);
    });
    return { w, informer };
  });
  for (const { w, informer } of informers) await informer.start().catch((err: Error) => log(`watch ${w.path} start failed: ${err.message}`));

  // Poll: every object, every pollSeconds (git fetch, compare, health), like Argo CD's resync period.
  const poll = setInterval(() => {
    for (const { w, informer } of informers) for (const o of informer.list()) enqueue(w.key(o as KubeObject), false);
  }, pollSeconds * 1000);

  log(`watching ${ARGO_NAMESPACE}/applications, kustomizations, gitrepositories (poll ${pollSeconds}s, work dir ${opts.workDir})`);
  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      queue.length = 0;
      queued.clear();
      for (const { informer } of informers) await informer.stop().catch(() => undefined);
      // Let an in-flight reconcile finish (bounded) so no write lands after stop() resolves.
      if (running.size) await Promise.race([Promise.all(running.values()), new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}

/** Create the Application and Flux CRDs (only when missing: a real Argo CD / Flux install may own them)
 *  and the argocd namespace, then wait until discovery serves the kinds. */
async function installCrds(client: DynamicClient, log: (line: string) => void): Promise<void> {
  for (const crd of [APPLICATION_CRD, ...FLUX_CRDS]) {
    if (!(await client.get({ apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name }))) {
      await client.apply(crd, { fieldManager: FIELD_MANAGER, force: true });
    }
  }
  if (!(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ARGO_NAMESPACE }))) {
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGO_NAMESPACE } }, { fieldManager: FIELD_MANAGER, force: true });
  }
  const deadline = Date.now() + 15_000;
  for (const [apiVersion, kind] of [[APP_API_VERSION, 'Application'], [KS_API, 'Kustomization'], [GIT_API, 'GitRepository']]) {
    while (!(await client.resourceFor(apiVersion, kind))) {
      if (Date.now() > deadline) throw new Error(`the API server did not serve ${apiVersion} ${kind} after its CRD was applied`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  log('Application, Kustomization and GitRepository CRDs served');
}
