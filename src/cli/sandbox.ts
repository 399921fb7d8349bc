// `gitops-workbench sandbox`: a local Kubernetes-compatible API server (HTTPS on 127.0.0.1) plus the
// pull agent, for the demo and for tests. Prints `kubeconfig: <path>`, then a line with `ready`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, stringFlag, UsageError } from './args';

const HELP = `usage: gitops-workbench sandbox [options]

Runs a local Kubernetes-compatible API server on 127.0.0.1 and an Argo CD-like pull agent.

options:
  --port N          port to listen on (0 = a free port; default: free, or the last one of --state)
  --kubeconfig FILE where to write the kubeconfig (context "sandbox"; never ~/.kube/config)
                    default: <state>/kubeconfig, or a new temp dir
  --state DIR       keep every object (and the CA, tokens, port) in DIR across restarts
  --no-agent        do not start the pull agent
  --demo            seed a demo repo (bare remote + working clone), sync it, print its path
  --poll SECONDS    agent poll interval (default 5)
  --kube-minor N    Kubernetes minor version reported by /version (29-33, default 32)
`;

type AgentHandle = { stop(): Promise<void> };

function lookPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try { fs.accessSync(candidate, fs.constants.X_OK); return candidate; } catch { /* next */ }
  }
  return undefined;
}

/** Render tools for the agent: env overrides, then PATH, then the project's unpacked copy in .tools/. */
function renderTools(): { helmPath?: string; kubectlPath?: string } {
  const local = (n: string) => { const p = path.resolve(__dirnameSafe(), '..', '.tools', n, n); return fs.existsSync(p) ? p : undefined; };
  return {
    helmPath: process.env.GITOPS_WORKBENCH_HELM ?? lookPath('helm') ?? local('helm'),
    kubectlPath: process.env.GITOPS_WORKBENCH_KUBECTL ?? lookPath('kubectl') ?? local('kubectl'),
  };
}

function __dirnameSafe(): string {
  // dist/cli.cjs in the bundle; src/cli under tsx.
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

export async function runSandbox(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['port', 'kubeconfig', 'state', 'poll', 'kube-minor'], booleans: ['no-agent', 'demo', 'help'] });
  if (args.flags.help) { console.log(HELP); return 0; }
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const portFlag = stringFlag(args, 'port');
  const port = portFlag === undefined ? undefined : Number(portFlag);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port must be 0-65535, got '${portFlag}'`);
  const poll = stringFlag(args, 'poll') === undefined ? undefined : Number(stringFlag(args, 'poll'));
  if (poll !== undefined && !(poll > 0)) throw new UsageError('--poll must be a positive number of seconds');
  const minorFlag = stringFlag(args, 'kube-minor');
  const minor = minorFlag === undefined ? undefined : Number(minorFlag);
  if (minor !== undefined && !(Number.isInteger(minor) && minor >= 29 && minor <= 33)) throw new UsageError('--kube-minor must be 29-33');

  const state = stringFlag(args, 'state');
  const scratch = state ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-workbench-sandbox-'));
  const baseDir = state ? path.resolve(state) : scratch!;
  const kubeconfig = path.resolve(stringFlag(args, 'kubeconfig') ?? path.join(baseDir, 'kubeconfig'));
  const log = (line: string) => process.stderr.write(`[sandbox] ${line}\n`);

  const { startSandboxServer } = await import('../core/sandbox/index');
  const sandbox = await startSandboxServer({ port, stateDir: state, kubeconfigPath: kubeconfig, minor, log });
  console.log(`kubeconfig: ${sandbox.kubeconfigPath}`);
  console.log(`server: ${sandbox.url}`);

  let agent: AgentHandle | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try { await agent?.stop(); } catch (err) { log(`agent stop failed: ${err instanceof Error ? err.message : String(err)}`); }
    await sandbox.stop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (!args.flags['no-agent']) {
    try {
      const mod = await import('../core/sandbox/agent/index');
      agent = await mod.startAgent({
        kubeconfig: sandbox.kubeconfigPath, context: 'sandbox', pollSeconds: poll ?? 5,
        workDir: path.join(baseDir, 'agent'), tools: renderTools(), log: (line: string) => process.stderr.write(`[agent] ${line}\n`),
      });
      log('agent started');
    } catch (err) {
      log(`agent not started: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  if (args.flags.demo) {
    const { seedDemo, DEMO_APP_TOOLS } = await import('../core/sandbox/demo');
    const tools = renderTools();
    const runnable = (p: string | undefined) => { try { return !!p && (fs.accessSync(p, fs.constants.X_OK), true); } catch { return false; } };
    const have = { helm: runnable(tools.helmPath), kustomize: runnable(tools.kubectlPath) || !!lookPath('kustomize') };
    const without = Object.entries(DEMO_APP_TOOLS).filter(([, tool]) => !have[tool]).map(([app]) => app);
    for (const app of without) {
      const tool = DEMO_APP_TOOLS[app];
      log(`demo: no ${tool === 'helm' ? 'helm' : 'kubectl or kustomize'} on PATH (nor ${tool === 'helm' ? 'GITOPS_WORKBENCH_HELM' : 'GITOPS_WORKBENCH_KUBECTL'}): the demo's ${app} app, which needs it, is left out`);
    }
    const demo = await seedDemo({ dir: path.join(baseDir, 'demo'), kubeconfig: sandbox.kubeconfigPath, without, log: (line: string) => process.stderr.write(`[demo] ${line}\n`) });
    console.log(`demo repo: ${demo.clone}`);
    console.log(`demo remote: ${demo.remote}`);
  }

  console.log(`sandbox ready on ${sandbox.url} (KUBECONFIG=${sandbox.kubeconfigPath} kubectl get ns)`);
  await new Promise<never>(() => { /* serve until a signal */ });
  return 0;
}
