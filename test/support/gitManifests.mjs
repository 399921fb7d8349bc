// The manifest repository the git-workflow tests work on, shared by the system tests (gitFixture.ts) and
// the in-host git run (test/integration/runs/git.run.mjs, plain .mjs loaded without tsx): a plain-manifest
// app (web) and a Kustomize overlay over a base (api), with comments and quoting the bumps must keep.

export const MANIFESTS = {
  'apps/web/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0 # pinned by release
`,
  'apps/api/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'apps/api/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: "ghcr.io/acme/api:1.0.0"
`,
  'apps/api/overlays/prod/kustomization.yaml': `# production overlay
resources:
  - ../../base
images:
  - name: ghcr.io/acme/api
    newTag: "2.1.0"   # release train
`,
  'README.md': 'manifests\n',
};

/** An Argo CD Application for `name` at `path` of `remote` (automated sync with prune, no self-heal). */
export function argoApplication(name, remote, path) {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${remote}
    targetRevision: main
    path: ${path}
  destination:
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
