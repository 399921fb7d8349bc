// `npm start`: the demo. Builds and packages the extension, installs code-server if needed, starts
// the sandbox with its demo repo (`gitops-workbench sandbox --demo`: API server + pull agent + a Git
// repo it syncs), installs the .vsix into a fresh code-server on 127.0.0.1 that opens the demo clone,
// and prints the URL to open. Ctrl-C stops everything (by process group).
// Until the sandbox exists (placeholder CLI) it opens a small sample workspace instead.
// Options: --port N (default 8080, else a free port), --no-sandbox, GITOPS_START_WORKSPACE=/some/repo
// opens your own repository (the sandbox still starts; point gitops.kubeconfig elsewhere as you like).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, onCleanup, projectRoot, sandboxUnavailable, startCodeServer, startSandboxCli, tempDir } from './lib/host.mjs';
import { install } from './install-code-server.mjs';

const argv = process.argv.slice(2);
const flag = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A tiny Kustomize app + an Argo CD Application, for when there is no sandbox demo. */
function sampleWorkspace() {
  const dir = path.join(tempDir('gitops-sample-'), 'sample');
  const files = {
    'apps/web/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: web\nresources:\n  - deployment.yaml\n',
    'apps/web/deployment.yaml': [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web', 'spec:', '  replicas: 2',
      '  selector:', '    matchLabels: {app: web}', '  template:', '    metadata:', '      labels: {app: web}',
      '    spec:', '      containers:', '        - name: web', '          image: nginx:1.27.0', '',
    ].join('\n'),
    'argocd/web.yaml': [
      'apiVersion: argoproj.io/v1alpha1', 'kind: Application', 'metadata:', '  name: web', '  namespace: argocd', 'spec:',
      '  project: default', '  source:', '    repoURL: https://example.invalid/sample.git', '    path: apps/web', '    targetRevision: HEAD',
      '  destination:', '    server: https://kubernetes.default.svc', '    namespace: web', '',
    ].join('\n'),
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  spawnSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  spawnSync('git', ['add', '.'], { cwd: dir });
  spawnSync('git', ['-c', 'user.name=demo', '-c', 'user.email=demo@example.invalid', 'commit', '-q', '-m', 'sample'], { cwd: dir });
  return dir;
}

async function main() {
  const t0 = Date.now();
  console.log('1/4 build + package the extension');
  const pkg = spawnSync(process.execPath, [path.join(projectRoot, 'scripts/package.mjs'), '--no-check'], { cwd: projectRoot, encoding: 'utf8' });
  if (pkg.status !== 0) { console.error(pkg.stdout, pkg.stderr); throw new Error('build/package failed'); }
  const vsix = pkg.stdout.trim().split('\n').pop().trim();
  console.log(`    ${path.relative(projectRoot, vsix)}`);

  console.log('2/4 code-server (installed once, ~1-2 min the first time)');
  install();

  let workspace = process.env.GITOPS_START_WORKSPACE;
  const env = {};
  const settings = { 'workbench.startupEditor': 'none' };
  let sandbox;
  const why = argv.includes('--no-sandbox') ? '--no-sandbox' : sandboxUnavailable();
  if (why) {
    console.log(`3/4 no sandbox (${why}): opening a sample workspace`);
  } else {
    console.log('3/4 sandbox: Kubernetes-compatible API server + pull agent + demo repo');
    const dir = tempDir('gitops-demo-');
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true })); // runs after the sandbox stopped
    sandbox = await startSandboxCli({ dir, extraArgs: workspace ? [] : ['--demo'], readyTimeoutMs: 300_000, log: (l) => console.log(`    ${l}`) });
    onCleanup(() => sandbox.stop());
    const clone = sandbox.output().match(/^demo repo: (.+)$/m)?.[1]?.trim();
    if (!workspace && clone) { workspace = clone; console.log(`    demo clone: ${clone}`); }
    env.KUBECONFIG = sandbox.kubeconfig;
    settings['gitops.kubeconfig'] = sandbox.kubeconfig;
    console.log(`    kubeconfig: ${sandbox.kubeconfig}   (KUBECONFIG=${sandbox.kubeconfig} kubectl get deploy -A)`);
  }
  if (!workspace) {
    workspace = sampleWorkspace();
    const sample = path.dirname(workspace);
    onCleanup(() => fs.rmSync(sample, { recursive: true, force: true }));
  }

  console.log('4/4 code-server with the extension installed');
  const wanted = Number(flag('--port') ?? process.env.PORT ?? 8080);
  const port = (await portFree(wanted)) ? wanted : await freePort();
  const server = await startCodeServer({ workspace, env, settings, installVsix: vsix, port, log: (l) => console.log(`    ${l}`) });
  onCleanup(() => server.stop());
  const url = `${server.url}?folder=${encodeURIComponent(workspace)}`;
  console.log(`\nGitOps Workbench is ready (${((Date.now() - t0) / 1000).toFixed(0)} s). Open in a browser:\n\n    ${url}\n`);
  console.log(`workspace: ${workspace}`);
  if (sandbox) console.log('Change something live (kubectl edit / scale) or in Git and watch the Applications view and the YAML.');
  console.log('Ctrl-C stops code-server and the sandbox.');
  await new Promise(() => { /* until a signal: host.mjs handlers stop everything */ });
}

main().catch((err) => { console.error(`npm start: ${err instanceof Error ? err.message : err}`); process.exit(1); });
