// gitops-workbench: the CLI over the same core the extension uses. Each command lives in
// src/cli/<command>.ts and is loaded only when called, so `--help` stays instant.
import { UsageError } from './cli/args';

type CommandModule = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  apps: { summary: 'list the apps found in a workspace, with sync and health', load: () => import("./cli/diff").then((m) => ({ run: m.runApps })) },
  diff: { summary: 'diff every app against the live cluster (exit 0 synced, 1 drift, 2 error)', load: () => import('./cli/diff').then((m) => ({ run: m.runDiff })) },
  images: { summary: 'list every place an image tag is declared', load: () => import('./cli/git').then((m) => ({ run: m.runImages })) },
  bump: { summary: 'bump an image tag in Git, changing only the tag', load: () => import('./cli/git').then((m) => ({ run: m.runBump })) },
  revert: { summary: 'git revert a commit (and push, and wait for the agent)', load: () => import('./cli/git').then((m) => ({ run: m.runRevert })) },
  sync: { summary: 'ask the agent (Argo CD / Flux) to sync an app, optionally waiting', load: () => import('./cli/git').then((m) => ({ run: m.runSync })) },
  sandbox: { summary: 'run a local Kubernetes-compatible API server and pull agent', load: () => import('./cli/sandbox').then((m) => ({ run: m.runSandbox })) },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return ['usage: gitops-workbench <command> [options]', '', 'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '', 'Run `gitops-workbench <command> --help` for its options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`gitops-workbench: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`gitops-workbench ${name}: ${err.message}`);
      return 2;
    }
    console.error(`gitops-workbench ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

// One-shot commands end when their answer is written: a connection to a server that never answers (a
// probe that timed out, lists started beside it) must not hold the process until its own timeout.
const ONE_SHOT = new Set(['apps', 'diff']);

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (!ONE_SHOT.has(process.argv[2] ?? '')) return;
  // Exit once stdout and stderr are flushed (pipes can be asynchronous: never cut the output short).
  let pending = 2;
  const done = () => { if (--pending === 0) process.exit(code); };
  process.stdout.write('', done);
  process.stderr.write('', done);
});
