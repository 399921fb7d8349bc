// `gitops-workbench sandbox --demo`: a small, realistic manifest repository pushed to a local bare
// "remote", its three Argo CD Applications applied, synced by the agent, and one drift made the way a
// person would make it (kubectl scale) so the editor has something to show on first open.
//
//   <dir>/remote.git   bare repository the agent pulls (Applications' repoURL)
//   <dir>/workspace    the author's working clone (open this in the editor)
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../model';
import { git } from './agent/git';
import { loadKubeConfig, makeDynamicClient, type DynamicClient } from './agent/kube';

export interface DemoOptions {
  dir: string; kubeconfig: string; log: (line: string) => void; timeoutMs?: number;
  /** Demo apps left out of a new demo repo because the agent lacks the tool to render them
   *  ('shop' needs helm, 'api' needs kubectl or kustomize): better a smaller demo than a 2-minute wait. */
  without?: string[];
}

/** Which demo apps need which render tool (see demoFiles). */
export const DEMO_APP_TOOLS: Record<string, 'helm' | 'kustomize'> = { shop: 'helm', api: 'kustomize' };

/** Commits of the demo have a fixed author so the history reads the same on every machine. */
const AUTHOR = { GIT_AUTHOR_NAME: 'Dana Demo', GIT_AUTHOR_EMAIL: 'dana@example.com', GIT_COMMITTER_NAME: 'Dana Demo', GIT_COMMITTER_EMAIL: 'dana@example.com' };

/** The drift the demo introduces: web scaled by hand from Git's 2 replicas to 3. */
export const DEMO_DRIFT = { namespace: 'web', deployment: 'web', replicas: 3, fieldManager: 'kubectl-scale' };

function application(name: string, remote: string, source: string): string {
  return `# Argo CD Application: ${name}. Automated sync with prune; selfHeal is off so manual drift stays visible.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${remote}
    targetRevision: HEAD
${source}  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
  syncPolicy:
    automated:
      prune: true
      selfHeal: false
    syncOptions:
      - CreateNamespace=true
`;
}

/** Files of the demo repository, path -> text. */
export function demoFiles(remote: string): Record<string, string> {
  return {
    'README.md': `# acme-gitops (demo)

Desired state of the acme shop, pulled by Argo CD from this repository.

- \`apps/web\` — plain manifests (Deployment, Service, ConfigMap)
- \`apps/api\` — Kustomize base + \`overlays/demo\` (image tag and replicas set by the overlay)
- \`charts/shop\` — a Helm chart; the image and replica count come from \`values.yaml\`
- \`argocd/\` — one Argo CD Application per app
`,
    'apps/web/deployment.yaml': `# Storefront web tier. Plain YAML: applied exactly as written.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    app.kubernetes.io/part-of: acme
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: nginx:1.27.3 # pinned; bump with "GitOps: Bump Image Tag"
          ports:
            - containerPort: 80
          resources:
            requests:
              cpu: "0.1" # stored by the API server as 100m: not drift
              memory: 64Mi
            limits:
              memory: 128Mi
          volumeMounts:
            - name: config
              mountPath: /etc/nginx/conf.d
      volumes:
        - name: config
          configMap:
            name: web-config
`,
    'apps/web/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  selector:
    app.kubernetes.io/name: web
  ports:
    - name: http
      port: 80 # targetPort defaults to the same port
`,
    'apps/web/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  default.conf: |
    server {
      listen 80;
      location / { proxy_pass http://api.api.svc:8080; }
    }
`,
    'apps/api/base/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
  - pairs:
      app.kubernetes.io/part-of: acme
resources:
  - deployment.yaml
  - service.yaml
`,
    'apps/api/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: api
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:2.0.0 # the overlay's images: entry sets the tag
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
`,
    'apps/api/base/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector:
    app.kubernetes.io/name: api
  ports:
    - port: 8080
      targetPort: 8080
`,
    'apps/api/overlays/demo/kustomization.yaml': `# The demo environment: newer image, more replicas, chattier logs.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/acme/api
    newTag: 2.1.0
patches:
  - path: deployment-patch.yaml
`,
    'apps/api/overlays/demo/deployment-patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          env:
            - name: LOG_LEVEL
              value: debug
`,
    'charts/shop/Chart.yaml': `apiVersion: v2
name: shop
description: The acme shop backend
type: application
version: 0.3.0
appVersion: "1.4.2"
`,
    'charts/shop/values.yaml': `# Values for the shop chart (Argo CD passes this file explicitly).
replicaCount: 2

image:
  repository: ghcr.io/acme/shop
  tag: "1.4.2"
  pullPolicy: IfNotPresent

service:
  port: 8080

resources:
  requests:
    cpu: 250m
    memory: 128Mi
  limits:
    cpu: 500m
    memory: 256Mi
`,
    'charts/shop/templates/_helpers.tpl': `{{- define "shop.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
`,
    'charts/shop/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    {{- include "shop.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        {{- include "shop.labels" . | nindent 8 }}
    spec:
      containers:
        - name: shop
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.service.port }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
`,
    'charts/shop/templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  labels:
    {{- include "shop.labels" . | nindent 4 }}
spec:
  selector:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
`,
    'argocd/web.yaml': application('web', remote, '    path: apps/web\n'),
    'argocd/api.yaml': application('api', remote, '    path: apps/api/overlays/demo\n'),
    'argocd/shop.yaml': application('shop', remote, '    path: charts/shop\n    helm:\n      releaseName: shop\n      valueFiles:\n        - values.yaml\n'),
  };
}

/** Create (or reuse) the demo repository, apply its Applications, wait for the agent, introduce a drift. */
export async function seedDemo(opts: DemoOptions): Promise<{ clone: string; remote: string }> {
  const dir = path.resolve(opts.dir);
  const remote = path.join(dir, 'remote.git');
  const clone = path.join(dir, 'workspace');
  fs.mkdirSync(dir, { recursive: true });

  const fresh = !fs.existsSync(path.join(remote, 'HEAD'));
  if (fresh) {
    await git(['init', '--quiet', '--bare', '--initial-branch=main', remote]);
    fs.rmSync(clone, { recursive: true, force: true });
    await git(['init', '--quiet', '--initial-branch=main', clone]);
    // The author's own identity for commits made later from the editor.
    await git(['config', 'user.name', AUTHOR.GIT_AUTHOR_NAME], { cwd: clone });
    await git(['config', 'user.email', AUTHOR.GIT_AUTHOR_EMAIL], { cwd: clone });
    const without = new Set(opts.without ?? []);
    const files = Object.entries(demoFiles(remote)).filter(([rel]) => !leftOut(rel, without));
    for (const [rel, text] of files) {
      const file = path.join(clone, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    await git(['add', '--all'], { cwd: clone });
    await git(['commit', '--quiet', '-m', 'Initial manifests: web, api (kustomize), shop (helm) and their Argo CD Applications'], { cwd: clone, env: AUTHOR });
    await git(['remote', 'add', 'origin', remote], { cwd: clone });
    await git(['push', '--quiet', '-u', 'origin', 'main'], { cwd: clone });
    opts.log(`demo: created ${remote} and its clone ${clone}`);
  } else {
    opts.log(`demo: reusing ${remote} (kept from an earlier run with --state)`);
  }
  const head = (await git(['rev-parse', 'HEAD'], { cwd: remote })).trim();

  const kc = await loadKubeConfig(opts.kubeconfig);
  const client = await makeDynamicClient(kc);
  const apps = await applyApplications(client, clone);
  opts.log(`demo: applied Applications ${apps.join(', ')}; waiting for the agent to sync ${head.slice(0, 7)}`);
  try {
    await waitSynced(client, apps, head, opts.timeoutMs ?? 120_000, fresh);
  } catch (err) {
    if (fresh) throw err;
    // A reused demo may hold the user's own (even broken) commits: report, do not refuse to start.
    opts.log(`demo: ${(err as Error).message}`);
  }

  // The drift: somebody scales web by hand (scale subresource, as `kubectl scale` does). Only on the
  // first run: a reused demo keeps whatever the user has done since.
  if (!fresh) return { clone, remote };
  await client.mergePatch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: DEMO_DRIFT.namespace, name: DEMO_DRIFT.deployment },
    { spec: { replicas: DEMO_DRIFT.replicas } }, { subresource: 'scale', fieldManager: DEMO_DRIFT.fieldManager });
  opts.log(`demo: drift introduced: deployment ${DEMO_DRIFT.namespace}/${DEMO_DRIFT.deployment} scaled to ${DEMO_DRIFT.replicas} by ${DEMO_DRIFT.fieldManager} (Git says 2)`);
  return { clone, remote };
}

/** A file of a demo app that is left out: its Application and its sources. */
function leftOut(rel: string, without: Set<string>): boolean {
  if (without.has('shop') && (rel === 'argocd/shop.yaml' || rel.startsWith('charts/shop/'))) return true;
  if (without.has('api') && (rel === 'argocd/api.yaml' || rel.startsWith('apps/api/'))) return true;
  return false;
}

async function applyApplications(client: DynamicClient, clone: string): Promise<string[]> {
  const names: string[] = [];
  const dir = path.join(clone, 'argocd');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (!obj?.kind) continue;
      // As `kubectl apply --server-side -f argocd/` would.
      await client.apply(obj, { fieldManager: 'kubectl', force: true });
      names.push(obj.metadata.name);
    }
  }
  return names;
}

/** Until every app was synced at head (and, when requireSynced, shows no drift: a reused demo may keep its drift). */
async function waitSynced(client: DynamicClient, names: string[], head: string, timeoutMs: number, requireSynced: boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const states = await Promise.all(names.map(async (name) => {
      const app = await client.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'argocd', name });
      const status = (app?.status ?? {}) as { sync?: { status?: string; revision?: string }; operationState?: { phase?: string; message?: string }; conditions?: { message: string }[] };
      const ok = (status.sync?.status === 'Synced' || (!requireSynced && status.sync?.status === 'OutOfSync')) && status.sync.revision === head && status.operationState?.phase === 'Succeeded';
      return { name, ok, text: `${name}: ${status.sync?.status ?? 'no status'} ${status.operationState?.phase ?? ''} ${status.conditions?.[0]?.message ?? status.operationState?.message ?? ''}`.trim() };
    }));
    if (states.every((s) => s.ok)) return;
    last = states.filter((s) => !s.ok).map((s) => s.text).join('; ');
    if (Date.now() > deadline) throw new Error(`demo: the agent did not sync the demo apps within ${timeoutMs / 1000} s (${last}); is the agent running (not --no-agent)?`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
