// Small GitOps workspaces written to temp dirs for the engine's system tests and benchmark: a plain
// YAML app declared by an Argo CD Application (with ignoreDifferences and a Secret), a Kustomize
// base + overlay (images:, replicas:, a patch), and a Helm chart whose values flow into fields.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function write(root: string, rel: string, text: string): string {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** 1-based line of the first line containing `needle` in a file. */
export function lineOf(file: string, needle: string, from = 1): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i].includes(needle)) return i + 1;
  throw new Error(`${needle} not in ${file}`);
}

export const DRIFT_NS = 'drift';

export function driftWorkspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-engine-ws-'));
  write(root, 'argocd/plain.yaml', `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: plain
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.invalid/repo.git
    path: plain
    targetRevision: main
  destination:
    server: https://kubernetes.default.svc
    namespace: ${DRIFT_NS}
  ignoreDifferences:
    - kind: ConfigMap
      name: settings
      jsonPointers:
        - /data/ignored
`);
  write(root, 'plain/deployment.yaml', `# the web front end
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: nginx:1.25
          ports:
            - containerPort: 80
          resources:
            limits:
              cpu: 0.5
              memory: 1024Mi
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 80
`);
  write(root, 'plain/config.yaml', `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: production
  ignored: "from git"
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  username: admin
  password: s3cr3t-value
`);
  write(root, 'kust/base/kustomization.yaml', `resources:
  - deployment.yaml
`);
  write(root, 'kust/base/deployment.yaml', `apiVersion: apps/v1
kind: Deployment
metadata:
  name: kweb
spec:
  replicas: 1
  selector:
    matchLabels:
      app: kweb
  template:
    metadata:
      labels:
        app: kweb
    spec:
      containers:
        - name: app
          image: nginx:1.25
          env:
            - name: MODE
              value: base
`);
  write(root, 'kust/overlays/prod/kustomization.yaml', `resources:
  - ../../base
images:
  - name: nginx
    newTag: "1.26"
replicas:
  - name: kweb
    count: 3
patches:
  - path: env-patch.yaml
`);
  write(root, 'kust/overlays/prod/env-patch.yaml', `apiVersion: apps/v1
kind: Deployment
metadata:
  name: kweb
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - name: MODE
              value: prod
`);
  write(root, 'chart/Chart.yaml', `apiVersion: v2
name: hweb
version: 0.1.0
`);
  write(root, 'chart/values.yaml', `replicaCount: 2
image:
  repository: nginx
  tag: "1.25"
`);
  write(root, 'chart/templates/deployment.yaml', `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-hweb
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app: hweb
  template:
    metadata:
      labels:
        app: hweb
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`);
  return root;
}
