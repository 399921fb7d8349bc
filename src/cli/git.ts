// `gitops-workbench images | bump | revert | sync`: the Git workflows (issue 6) on the command line.
// Exit codes: 0 done; 1 the agent reported failure or the wait timed out; 2 usage or Git error.
import fs from 'node:fs';
import path from 'node:path';
import type { App } from '../core/model';
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';

const TOOL_FLAGS = ['helm-path', 'kustomize-path', 'kubectl-path'];
const CLUSTER_FLAGS = ['kubeconfig', 'context', 'timeout'];

const IMAGES_HELP = `usage: gitops-workbench images [PATH] [--app NAME] [--output text|json] [--no-render]
                               [--helm-path P] [--kustomize-path P] [--kubectl-path P]
List every place an image tag is declared under PATH (default .): container image: fields, kustomize
images:, Helm values, Argo CD Application kustomize.images / helm.parameters, Flux setter markers;
with file, line, image, tag, kind, and the workloads each one feeds after rendering.`;

const BUMP_HELP = `usage: gitops-workbench bump IMAGE TAG [PATH] [--app NAME] [--dry-run] [--push] [--wait]
                             [--kubeconfig F] [--context C] [--timeout SECONDS] [--message M] [--output text|json]
Set IMAGE's tag to TAG where it wins after rendering, changing only the tag's characters, show
the workloads that will roll, and commit only that file ("chore(<app>): bump <image> <old> -> <new>").
Your other staged and unstaged changes stay as they are. --push pushes the branch to its upstream
(rebasing once onto commits pushed meanwhile; never forced); --wait then asks the agent to sync and
waits until it reports the commit synced and healthy (timeout default 300 s).`;

const REVERT_HELP = `usage: gitops-workbench revert SHA [PATH] [--push] [--wait] [--app NAME]
                               [--kubeconfig F] [--context C] [--timeout SECONDS]
       gitops-workbench revert --rollback-to SHA --app NAME [PATH] [--push] [--wait] ...
git revert SHA as a new commit ("Revert \\"…\\""). A conflicting revert changes nothing (HEAD, index,
working tree as before). --rollback-to reverts every commit after SHA that touched the app's files.`;

const SYNC_HELP = `usage: gitops-workbench sync APP [--revision SHA] [--prune] [--wait] [--namespace NS]
                             [--kubeconfig F] [--context C] [--timeout SECONDS]
       gitops-workbench sync APP --history    (print the Argo CD Application's status.history as JSON)
Ask the agent to sync APP: Argo CD gets the refresh annotation and an operation.sync (revision,
prune per the app's policy); Flux gets reconcile.fluxcd.io/requestedAt on the object and its source.
The tool never applies manifests itself. --wait follows the app until synced and healthy.`;

function help(argv: string[], text: string): boolean {
  if (argv.includes('--help') || argv.includes('-h')) { console.log(text); return true; }
  return false;
}

function toolsOf(args: ParsedArgs) {
  return {
    helmPath: stringFlag(args, 'helm-path'), kustomizePath: stringFlag(args, 'kustomize-path'), kubectlPath: stringFlag(args, 'kubectl-path'),
    trusted: true,
  };
}

function outputOf(args: ParsedArgs): 'text' | 'json' {
  const output = stringFlag(args, 'output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not ${output}`);
  return output;
}

function timeoutMs(args: ParsedArgs): number {
  const raw = stringFlag(args, 'timeout');
  if (raw === undefined) return 300_000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--timeout must be a number of seconds, not ${raw}`);
  return s * 1000;
}

function existingPath(p: string | undefined): string {
  const abs = path.resolve(p ?? '.');
  if (!fs.existsSync(abs)) throw new UsageError(`${abs} does not exist`);
  return abs;
}

export async function runImages(argv: string[]): Promise<number> {
  if (help(argv, IMAGES_HELP)) return 0;
  const args = parseArgs(argv, { strings: ['output', 'app', ...TOOL_FLAGS], booleans: ['no-render'] });
  const output = outputOf(args);
  if (args.positionals.length > 1) throw new UsageError('one PATH at most');
  const root = existingPath(args.positionals[0]);
  const { scanWorkspace } = await import('../core/git/images');
  const scan = await scanWorkspace(root, toolsOf(args), { render: !args.flags['no-render'], appName: stringFlag(args, 'app') });
  const rel = (f: string) => path.relative(root, f) || path.basename(f);
  const rows = scan.declarations.map((d) => ({
    file: rel(d.file), line: d.line, image: d.image, tag: d.tag ?? null, digest: d.digest ?? null, kind: d.kind,
    ...(d.valuesKey ? { valuesKey: d.valuesKey } : {}), ...(d.setter ? { setter: d.setter } : {}), owner: d.owner, feeds: d.feeds ?? [],
  }));
  if (output === 'json') {
    console.log(JSON.stringify({ root, declarations: rows, apps: scan.apps.map((a) => a.name), errors: scan.errors }, null, 2));
  } else {
    if (rows.length === 0) console.log(`no image declarations under ${root}`);
    for (const r of rows) {
      console.log(`${r.file}:${r.line}  ${r.image || '(repository not written here)'}${r.tag !== null ? `:${r.tag}` : ''}${r.digest ? `@${r.digest.slice(0, 19)}…` : ''}  [${r.kind}${r.valuesKey ? ` ${r.valuesKey}` : ''}${r.setter ? ` $imagepolicy ${r.setter}` : ''}]`);
      for (const f of r.feeds) console.log(`    feeds ${f}`);
      if (!args.flags['no-render'] && r.feeds.length === 0 && r.tag !== null) console.log('    feeds nothing as rendered (overridden, or not part of a renderable app)');
    }
    for (const e of scan.errors) console.error(`warning: ${e}`);
  }
  return 0;
}

interface FollowOptions {
  repo: string;
  push: boolean;
  wait: boolean;
  apps: App[] | string[];
  args: ParsedArgs;
  log: (line: string) => void;
}

/** Push, then ask the agent to sync and follow it until live. Returns the exit code. */
async function pushAndFollow(opts: FollowOptions): Promise<number> {
  const { args, log } = opts;
  if (!opts.push) return 0;
  const { pushCurrentBranch } = await import('../core/git/push');
  const pushed = await pushCurrentBranch(opts.repo, (s) => log(s));
  log(`pushed ${pushed.branch} -> ${pushed.remote} (${pushed.pushed.length} commit(s)${pushed.rebased ? ', replayed onto commits pushed meanwhile' : ''}) at ${pushed.head.slice(0, 7)}`);
  if (!opts.wait) return 0;
  const pushedAt = Date.now();
  const { loadKubeConfig } = await import('../core/cluster/kubeconfig');
  const { kc } = loadKubeConfig({ kubeconfig: stringFlag(args, 'kubeconfig'), context: stringFlag(args, 'context') });
  const agents = await import('../core/agents/index');
  if (opts.apps.length === 0) { log('no app to wait for: the change feeds no app found in the workspace'); return 0; }
  let code = 0;
  for (const a of opts.apps) {
    const app = typeof a === 'string' || !a.agentObject ? await agents.findAgentApp(kc, typeof a === 'string' ? a : a.name) : a;
    const name = typeof a === 'string' ? a : a.name;
    log(`asking ${app.agentObject!.kind} ${name} to sync ${pushed.head.slice(0, 7)}`);
    await agents.requestSync(kc, app, { revision: pushed.head });
    log(`  pushed`);
    try {
      const status = await agents.waitForRevision(kc, app, pushed.head, {
        timeoutMs: timeoutMs(args), already: ['pushed'], onStep: (s) => log(`  ${s} (+${((Date.now() - pushedAt) / 1000).toFixed(1)} s)`),
      });
      log(`${name} is live at ${pushed.head.slice(0, 7)}: ${status.sync ?? ''} ${status.health ?? ''} in ${((Date.now() - pushedAt) / 1000).toFixed(1)} s after the push`);
    } catch (err) {
      if (err instanceof agents.AgentError) { console.error(`gitops-workbench: ${err.message}`); code = 1; continue; }
      throw err;
    }
  }
  return code;
}

export async function runBump(argv: string[]): Promise<number> {
  if (help(argv, BUMP_HELP)) return 0;
  const args = parseArgs(argv, { strings: ['app', 'output', 'message', ...CLUSTER_FLAGS, ...TOOL_FLAGS], booleans: ['push', 'wait', 'dry-run'] });
  const output = outputOf(args);
  const [image, tag, where, ...extra] = args.positionals;
  if (!image || !tag || extra.length) throw new UsageError('expected IMAGE TAG [PATH] (see --help)');
  if (args.flags.wait && !args.flags.push) throw new UsageError('--wait needs --push: the agent pulls the commit from the remote');
  if (args.flags['dry-run'] && args.flags.push) throw new UsageError('--dry-run commits nothing, so there is nothing to --push');
  const root = existingPath(where);
  const log = (line: string) => (output === 'json' ? console.error(line) : console.log(line));
  const { bumpImage } = await import('../core/git/bump');
  const { repoRoot, relativeTo } = await import('../core/git/repo');
  const repo = await repoRoot(root);
  const result = await bumpImage({
    path: root, image, tag, app: stringFlag(args, 'app'), tools: toolsOf(args), dryRun: !!args.flags['dry-run'],
    message: stringFlag(args, 'message'), onStep: process.env.GITOPS_DEBUG ? (s) => console.error(s) : undefined,
  });
  const r = (f: string) => relativeTo(repo, f);
  if (output === 'json') {
    console.log(JSON.stringify({
      app: result.app, image: result.image, oldTag: result.oldTag, newTag: result.newTag, reason: result.reason,
      edited: result.edited.map((e) => ({ ...e, file: r(e.file) })), notEdited: result.notEdited.map((e) => ({ ...e, file: r(e.file) })),
      rolls: result.rolls, message: result.message, commit: result.commit ?? null, files: result.files, diff: result.diff,
    }, null, 2));
  } else {
    console.log(`app ${result.app}: ${result.image} ${result.oldTag} -> ${result.newTag}`);
    for (const e of result.edited) console.log(`edit ${r(e.file)}:${e.line} (${e.kind}${e.valuesKey ? ` ${e.valuesKey}` : ''})${e.note ? ` — ${e.note}` : ''}`);
    console.log(`why: ${result.reason}`);
    for (const n of result.notEdited) console.log(`not edited: ${r(n.file)}:${n.line} (${n.kind}) — ${n.why}`);
    console.log(result.rolls.length ? 'will roll:' : 'will roll: nothing (no rendered workload image changes)');
    for (const roll of result.rolls) console.log(`  ${roll.workload} [${roll.container}]: ${roll.from} -> ${roll.to}`);
    process.stdout.write(result.diff.endsWith('\n') ? result.diff : result.diff + '\n');
    console.log(result.commit ? `committed ${result.commit.slice(0, 7)} ${result.message} (${result.files.join(', ')})` : 'dry run: nothing committed');
  }
  if (!result.commit) return 0;
  return pushAndFollow({ repo, push: !!args.flags.push, wait: !!args.flags.wait, apps: [result.appInfo], args, log });
}

export async function runRevert(argv: string[]): Promise<number> {
  if (help(argv, REVERT_HELP)) return 0;
  const args = parseArgs(argv, { strings: ['app', 'rollback-to', ...CLUSTER_FLAGS, ...TOOL_FLAGS], booleans: ['push', 'wait'] });
  if (args.flags.wait && !args.flags.push) throw new UsageError('--wait needs --push: the agent pulls the commit from the remote');
  const rollbackTo = stringFlag(args, 'rollback-to');
  const positionals = [...args.positionals];
  const sha = rollbackTo ? undefined : positionals.shift();
  if (!rollbackTo && !sha) throw new UsageError('expected SHA [PATH] (see --help)');
  if (positionals.length > 1) throw new UsageError('one PATH at most');
  const root = existingPath(positionals[0]);
  const { repoRoot, relativeTo } = await import('../core/git/repo');
  const { revertCommits, rollbackPaths } = await import('../core/git/revert');
  const repo = await repoRoot(root);
  const appName = stringFlag(args, 'app');
  const { discoverApps } = await import('../core/manifests/discover');
  const apps = (await discoverApps(repo)).apps;
  let result;
  if (rollbackTo) {
    if (!appName) throw new UsageError('--rollback-to needs --app NAME (whose files to roll back)');
    const app = apps.find((a) => a.name === appName);
    if (!app) throw new UsageError(`no app named ${appName} in ${repo}`);
    result = await rollbackPaths(repo, rollbackTo, appPaths(repo, app, relativeTo));
  } else {
    result = await revertCommits(repo, [sha!]);
  }
  for (const c of result.reverted) console.log(`reverted ${c.sha.slice(0, 7)} "${c.subject}"`);
  console.log(`committed ${result.commits.map((c) => c.slice(0, 7)).join(', ')} (${result.paths.join(', ')})`);
  // Which apps the revert changes: named, else every app whose folder or definition holds a changed file.
  const affected = appName ? apps.filter((a) => a.name === appName)
    : apps.filter((a) => result.paths.some((p) => appPaths(repo, a, relativeTo).some((ap) => ap === '.' || p === ap || p.startsWith(ap + '/'))));
  return pushAndFollow({ repo, push: !!args.flags.push, wait: !!args.flags.wait, apps: affected, args, log: (l) => console.log(l) });
}

/** Repo-relative paths an app reads from: its folder, its definition, its values files. */
export function appPaths(repo: string, app: App, relativeTo: (repo: string, f: string) => string): string[] {
  const paths = new Set<string>([relativeTo(repo, app.path)]);
  if (app.definedAt) paths.add(relativeTo(repo, app.definedAt.file));
  for (const f of app.helm?.valueFiles ?? []) paths.add(relativeTo(repo, f));
  return [...paths].map((p) => (p === '' ? '.' : p));
}

export async function runSync(argv: string[]): Promise<number> {
  if (help(argv, SYNC_HELP)) return 0;
  const args = parseArgs(argv, { strings: ['revision', 'namespace', ...CLUSTER_FLAGS], booleans: ['wait', 'prune', 'history'] });
  const [name, ...extra] = args.positionals;
  if (!name || extra.length) throw new UsageError('expected APP (see --help)');
  const { loadKubeConfig } = await import('../core/cluster/kubeconfig');
  const { kc } = loadKubeConfig({ kubeconfig: stringFlag(args, 'kubeconfig'), context: stringFlag(args, 'context') });
  const agents = await import('../core/agents/index');
  const app = await agents.findAgentApp(kc, name, stringFlag(args, 'namespace'));
  if (args.flags.history) {
    // `sync APP --history`: the Argo CD Application's status.history as JSON, newest first (requests nothing).
    console.log(JSON.stringify(await agents.argoHistory(kc, app), null, 2));
    return 0;
  }
  const revision = stringFlag(args, 'revision');
  const began = Date.now();
  await agents.requestSync(kc, app, { revision, prune: args.flags.prune ? true : undefined });
  console.log(`asked ${app.agentObject!.kind} ${app.agentObject!.namespace}/${name} to sync${revision ? ` ${revision}` : ''}`);
  if (!args.flags.wait) return 0;
  // Without --revision, wait for the revision the agent resolves (its status after the request).
  let target = revision;
  if (!target) {
    const deadline = Date.now() + timeoutMs(args);
    while (!target && Date.now() < deadline) {
      const obj = await agents.agentStatusOf(kc, app);
      target = obj.revision ? agents.bareRevision(obj.revision) : undefined;
      if (!target) await new Promise((r) => setTimeout(r, 500));
    }
    if (!target) { console.error(`gitops-workbench sync: ${name} reports no revision`); return 1; }
  }
  try {
    const status = await agents.waitForRevision(kc, app, target, {
      timeoutMs: timeoutMs(args), already: ['pushed'], onStep: (s) => console.log(`  ${s} (+${((Date.now() - began) / 1000).toFixed(1)} s)`),
      actedSince: new Date(began),
    });
    console.log(`${name}: ${status.sync ?? ''} ${status.health ?? ''} at ${agents.bareRevision(status.revision).slice(0, 7)} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (err instanceof agents.AgentError) { console.error(`gitops-workbench sync: ${err.message}`); return 1; }
    throw err;
  }
}
