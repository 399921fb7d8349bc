// Workspaces for the extension's in-host tests (drift/bulk/outage runs): plain manifests written to the
// workspace, committed, and server-side applied to the sandbox as the agent would (manager argocd-controller),
// so the workspace starts Synced. Tests then make drift with real kubectl.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const WEB_DEPLOYMENT = `# Storefront web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
  labels:
    app: web
spec:
  replicas: 2 # scaled by HPA in prod
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.25.3
          ports:
            - containerPort: 80
`;

export const WEB_CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: web
data:
  MODE: "fast"
  GREETING: hello
`;

export const API_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: api
spec:
  replicas: 1
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: "ghcr.io/acme/api:2.1.0" # bumped by CI
          env:
            - name: LOG_LEVEL
              value: info
`;

/** 100 Deployments of 50 lines each (5,000 lines); `drifted` changes 5 fields in each (500 fields). */
export function bulkYaml(drifted = false) {
  const docs = [];
  for (let i = 1; i <= 100; i++) {
    const n = String(i).padStart(3, '0');
    const env = [];
    for (const k of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K']) {
      const changed = drifted && ['A', 'B', 'C'].includes(k);
      env.push(`            - name: VAR_${k}`, `              value: "${k.toLowerCase()}-${n}${changed ? '-hot' : ''}"`);
    }
    docs.push([
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: bulk-${n}`,
      '  namespace: bulk',
      '  labels:',
      `    app: bulk-${n}`,
      '    tier: backend',
      'spec:',
      `  replicas: ${drifted ? 3 : 1}`,
      '  selector:',
      '    matchLabels:',
      `      app: bulk-${n}`,
      '  template:',
      '    metadata:',
      '      labels:',
      `        app: bulk-${n}`,
      '    spec:',
      '      containers:',
      '        - name: main',
      `          image: registry.example.com/bulk:${drifted ? '1.0.1' : '1.0.0'}`,
      '          ports:',
      '            - containerPort: 8080',
      '          env:',
      ...env,
      '          resources:',
      '            limits:',
      '              memory: 128Mi',
    ].join('\n'));
  }
  return docs.join('\n') + '\n';
}

export function kubectl(kubeconfig, args, input) {
  const home = path.join(path.dirname(kubeconfig), 'kubectl-home');
  fs.mkdirSync(home, { recursive: true });
  return execFileSync('kubectl', args, {
    input, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: path.join(home, 'cache') },
  });
}

function write(workspace, rel, text) {
  const file = path.join(workspace, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function commitAll(workspace) {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' };
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: workspace, env });
  execFileSync('git', ['add', '-A'], { cwd: workspace, env });
  execFileSync('git', ['commit', '-q', '-m', 'desired state'], { cwd: workspace, env });
}

/** Write + commit + apply (as the agent would). `files`: relative path -> text. */
export function syncedWorkspace({ workspace, sandbox, log }, files, namespaces) {
  for (const [rel, text] of Object.entries(files)) write(workspace, rel, text);
  commitAll(workspace);
  if (!sandbox) { log('no sandbox: workspace written but not applied'); return; }
  const nsYaml = namespaces.map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`).join('---\n');
  kubectl(sandbox.kubeconfig, ['apply', '--server-side', '-f', '-'], nsYaml);
  for (const rel of Object.keys(files)) {
    kubectl(sandbox.kubeconfig, ['apply', '--server-side', '--field-manager=argocd-controller', '-f', path.join(workspace, rel)]);
  }
  log(`applied ${Object.keys(files).length} file(s) to the sandbox`);
}
