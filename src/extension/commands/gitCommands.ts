// G's git workflow commands: gitops.bumpImageTag, gitops.revertCommit, gitops.rollbackApp.
// Registered once by extension.ts through registerGitCommands. The work runs in dist/engine.cjs
// (core/git/workflows.ts, reached as host.heavy().git) so nothing heavy loads at activation.
// Each command takes an optional argument object so tests and other commands can skip the pickers:
//   bumpImageTag({image, tag, app, action: 'commit' | 'push' | 'wait'})
//   revertCommit({sha, app, action}) · rollbackApp({app, revision, action})
// and returns what it did.
import { spawn } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';
import type { AgentStatus, App } from '../../core/model';
import type { HeavyModule } from '../engineTypes';
import { tagProblem } from '../../core/git/reference';
import { folderHolding } from '../../core/folders';
// Light (node built-ins only): history, revert and push run right here.
import { gitRun, historyOf, repoRoot } from '../../core/git/repo';
import { revertCommits, rollbackPaths } from '../../core/git/revert';
import { pushCurrentBranch } from '../../core/git/push';

type GitWorkflows = Pick<typeof import('../../core/git/workflows'), 'listImages' | 'bump' | 'history' | 'revert' | 'rollback' | 'push' | 'syncAndWait' | 'argoHistory'>;

/** Repo-relative paths an app reads (its folder, definition, values files). */
function appPaths(repo: string, app: App): string[] {
  const rel = (f: string) => path.relative(repo, f).split(path.sep).join('/') || '.';
  return [...new Set([rel(app.path), ...(app.definedAt ? [rel(app.definedAt.file)] : []), ...(app.helm?.valueFiles ?? []).map(rel)])];
}

/** Run the bundled CLI (dist/cli.cjs: the same core) as a child process; lines of stdout to onLine. */
function runCli(cli: string, args: string[], opts: { cwd: string; signal?: AbortSignal; onLine?: (line: string) => void; onErrLine?: (line: string) => void; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: opts.cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lines = (sink: ((l: string) => void) | undefined) => { let rest = ''; return (d: Buffer) => { rest += d; const parts = rest.split('\n'); rest = parts.pop() ?? ''; parts.forEach((l) => sink?.(l)); }; };
    const out = lines(opts.onLine);
    const err = lines(opts.onErrLine);
    child.stdout.on('data', (d: Buffer) => { stdout += d; out(d); });
    child.stderr.on('data', (d: Buffer) => { stderr += d; err(d); });
    const abort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', reject);
    child.on('exit', (code) => { opts.signal?.removeEventListener('abort', abort); resolve({ code: code ?? 1, stdout, stderr }); });
  });
}

function cliError(r: { stderr: string; stdout: string }): Error {
  const lines = r.stderr.trim().split('\n').filter((l) => l && !l.startsWith('[') && !/^(finding|rendering|trying|committing) /.test(l));
  return new Error((lines.pop() ?? r.stdout.trim().split('\n').pop() ?? 'failed').replace(/^gitops-workbench( \w+)?: /, ''));
}

/** The workflows without dist/engine.cjs's `git` export: light parts in process, heavy parts through the CLI. */
function cliWorkflows(cli: string): GitWorkflows {
  const toolFlags = (tools: { helmPath?: string; kustomizePath?: string }) => [
    ...(tools.helmPath ? ['--helm-path', tools.helmPath] : []), ...(tools.kustomizePath ? ['--kustomize-path', tools.kustomizePath] : [])];
  const connFlags = (conn: { kubeconfig?: string; context?: string }) => [
    ...(conn.kubeconfig ? ['--kubeconfig', conn.kubeconfig] : []), ...(conn.context ? ['--context', conn.context] : [])];
  const nameOf = (app: App | string) => (typeof app === 'string' ? app : app.agentObject?.name ?? app.name);
  const nsOf = (app: App | string) => (typeof app === 'string' ? [] : app.agentObject?.namespace ? ['--namespace', app.agentObject.namespace] : []);
  return {
    listImages: async (root, tools) => {
      const r = await runCli(cli, ['images', root, '--output', 'json', ...toolFlags(tools)], { cwd: root });
      if (r.code !== 0) throw cliError(r);
      const out = JSON.parse(r.stdout) as { declarations: Record<string, any>[]; apps: string[]; errors: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
      return {
        apps: out.apps, errors: out.errors,
        declarations: out.declarations.map((d) => ({ ...d, file: path.resolve(root, d.file), names: d.image ? [d.image] : [], tag: d.tag ?? undefined, digest: d.digest ?? undefined, docIndex: 0, pointer: '' })),
      } as Awaited<ReturnType<GitWorkflows['listImages']>>;
    },
    bump: async (opts) => {
      const args = ['bump', opts.image, opts.tag, opts.path, '--output', 'json', ...(opts.app ? ['--app', opts.app] : []), ...(opts.dryRun ? ['--dry-run'] : []), ...toolFlags(opts.tools)];
      const r = await runCli(cli, args, { cwd: opts.path, env: { GITOPS_DEBUG: '1' }, onErrLine: (l) => { if (/^(finding|rendering|trying|committing) /.test(l)) opts.onStep?.(l); } });
      if (r.code !== 0) throw cliError(r);
      const out = JSON.parse(r.stdout);
      const repo = await repoRoot(opts.path);
      const abs = (e: { file: string }) => ({ ...e, file: path.resolve(repo, e.file) });
      return { ...out, commit: out.commit ?? undefined, edited: out.edited.map(abs), notEdited: out.notEdited.map(abs), appInfo: undefined } as unknown as Awaited<ReturnType<GitWorkflows['bump']>>;
    },
    history: async (dir, app, max = 50) => {
      const repo = await repoRoot(dir);
      return { repo, commits: await historyOf(repo, app ? appPaths(repo, app) : [], { max }) };
    },
    revert: async (dir, shas, onStep) => revertCommits(await repoRoot(dir), shas, onStep),
    rollback: async (dir, app, revision, onStep) => { const repo = await repoRoot(dir); return rollbackPaths(repo, revision, appPaths(repo, app), onStep); },
    push: async (dir, onStep) => pushCurrentBranch(await repoRoot(dir), onStep),
    syncAndWait: async (conn, app, revision, opts) => {
      const args = ['sync', nameOf(app), ...nsOf(app), '--revision', revision, '--wait', '--timeout', String(Math.ceil(opts.timeoutMs / 1000)), ...connFlags(conn)];
      const r = await runCli(cli, args, { cwd: process.cwd(), signal: opts.signal, onLine: (l) => { const m = /^\s+(agent saw commit|applying|healthy) \(/.exec(l); if (m) opts.onStep?.(m[1]); } });
      if (opts.signal?.aborted) throw new Error(`stopped waiting for ${nameOf(app)} (cancelled); the agent carries on by itself`);
      if (r.code !== 0) throw cliError(r);
      const m = /: (\S+) (\S+) at ([0-9a-f]+) in /.exec(r.stdout);
      return { kind: 'argocd', sync: m?.[1], health: m?.[2], revision: m?.[3] ?? revision } as AgentStatus;
    },
    argoHistory: async (conn, app, dir) => {
      const r = await runCli(cli, ['sync', nameOf(app), ...nsOf(app), '--history', ...connFlags(conn)], { cwd: dir });
      if (r.code !== 0) throw cliError(r);
      const entries = JSON.parse(r.stdout) as { id: number; revision: string; deployedAt?: string }[];
      const repo = await repoRoot(dir);
      return Promise.all(entries.map(async (e) => {
        const s = await gitRun(repo, ['log', '-1', '--format=%s', e.revision, '--']);
        return { ...e, subject: s.code === 0 ? s.stdout.trim() : undefined };
      }));
    },
  };
}
type Action = 'commit' | 'push' | 'wait';

interface BumpArg { image?: string; tag?: string; app?: string; action?: Action }
interface RevertArg { sha?: string; app?: string; action?: Action }
interface RollbackArg { app?: string; revision?: string; action?: Action }

const ACTIONS: { label: string; action: Action }[] = [
  { label: 'Commit', action: 'commit' },
  { label: 'Commit and Push', action: 'push' },
  { label: 'Commit, Push and Wait Until Live', action: 'wait' },
];

function isPlainArg(arg: unknown): arg is Record<string, unknown> {
  return !!arg && typeof arg === 'object' && !('type' in arg && 'id' in arg) && !(arg instanceof vscode.Uri);
}

export function registerGitCommands(context: vscode.ExtensionContext, services: Services): void {
  const { host, output } = services;
  const reg = (id: string, fn: (arg?: unknown) => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (arg?: unknown) => {
      try { return await fn(arg); } catch (err) {
        if (err instanceof vscode.CancellationError) return undefined;
        services.fail(id.replace('gitops.', ''), err);
        return { error: err instanceof Error ? err.message : String(err) };
      }
    }));

  // dist/engine.cjs's `git` export when the build has it; else the same core through dist/cli.cjs.
  const gitModule = (): GitWorkflows => {
    const git = (host.heavy() as HeavyModule & { git?: GitWorkflows }).git;
    return git ?? cliWorkflows(path.join(context.extensionPath, 'dist', 'cli.cjs'));
  };
  /** The repository a command works in: the app's workspace folder, else the active editor's, else the only
   *  folder; in a multi-root workspace with nothing to go by, the user picks one (undefined: cancelled). */
  const folderFor = async (app?: App): Promise<string | undefined> => {
    const roots = host.roots();
    if (!roots.length) throw new Error('open a folder (a Git repository of manifests) first');
    if (roots.length === 1) return roots[0];
    const hint = app?.path ?? vscode.window.activeTextEditor?.document.uri.fsPath;
    const owner = hint ? folderHolding(roots, hint) : undefined;
    if (owner) return owner;
    const picked = await vscode.window.showQuickPick(roots.map((r) => ({ label: path.basename(r), description: r, root: r })),
      { placeHolder: 'Workspace folder (Git repository) to work in' });
    return picked?.root;
  };
  const conn = () => {
    const o = host.options();
    return { kubeconfig: host.override?.kubeconfig ?? o?.kubeconfig, context: host.override?.context ?? o?.context, trusted: o?.trusted };
  };
  const tools = () => {
    const o = host.options();
    return { helmPath: o?.helmPath, kustomizePath: o?.kustomizePath, trusted: o?.trusted };
  };
  const timeoutMs = () => Math.max(5, vscode.workspace.getConfiguration('gitops').get<number>('sync.timeoutSeconds', 300)) * 1000;

  /** Modal confirmation listing what will happen; returns the chosen action. */
  const confirm = async (message: string, detail: string, verb: string): Promise<Action | undefined> => {
    const labels = ACTIONS.map((a) => a.label.replace('Commit', verb));
    const picked = await vscode.window.showInformationMessage(message, { modal: true, detail }, ...labels);
    return picked ? ACTIONS[labels.indexOf(picked)].action : undefined;
  };

  /** Push, ask the agent, follow it: one cancellable progress notification with the steps. */
  const pushAndFollow = async (title: string, action: Action, app: App | string | undefined, dir: string, work: (report: (m: string) => void) => Promise<string>) => {
    const steps: string[] = [];
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `GitOps: ${title}`, cancellable: true }, async (progress, token) => {
      const report = (message: string) => { steps.push(message); progress.report({ message }); output.info(`${title}: ${message}`); };
      const commit = await work(report);
      if (action === 'commit') return { commit, steps };
      const git = gitModule();
      const pushed = await git.push(dir, report);
      report(`pushed ${pushed.head.slice(0, 7)} to ${pushed.remote}/${pushed.branch}${pushed.rebased ? ' (replayed onto newer commits)' : ''}`);
      if (action === 'push' || !app) return { commit, pushed, steps };
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      const began = Date.now();
      const status = await git.syncAndWait(conn(), app, pushed.head, {
        timeoutMs: timeoutMs(), signal: controller.signal,
        onStep: (step) => { steps.push(step); progress.report({ message: `${step} (${((Date.now() - began) / 1000).toFixed(1)} s)`, increment: 33 }); output.info(`${title}: ${step}`); },
      });
      return { commit, pushed, status, seconds: (Date.now() - began) / 1000, steps };
    });
  };

  reg('gitops.bumpImageTag', async (rawArg?: unknown) => {
    const arg: BumpArg = isPlainArg(rawArg) ? rawArg as BumpArg : {};
    const git = gitModule();
    let appName = arg.app ?? (rawArg && !isPlainArg(rawArg) ? services.resolveTarget(rawArg)?.app : undefined);
    const dir = await folderFor(appName ? host.app(appName) : undefined);
    if (!dir) return undefined;
    let image = arg.image;
    let currentTag: string | undefined;
    if (!image) {
      const scan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'GitOps: finding image declarations' },
        () => git.listImages(dir, tools()));
      const byImage = new Map<string, typeof scan.declarations>();
      for (const d of scan.declarations) if (d.image && d.tag !== undefined) (byImage.get(d.image) ?? byImage.set(d.image, []).get(d.image)!).push(d);
      if (byImage.size === 0) { void vscode.window.showInformationMessage('GitOps: no image tags are declared in this workspace.'); return undefined; }
      const rel = (f: string) => vscode.workspace.asRelativePath(f);
      const picked = await vscode.window.showQuickPick([...byImage].map(([name, decls]) => {
        const live = decls.filter((d) => d.feeds?.length);
        return {
          label: name,
          description: [...new Set((live.length ? live : decls).map((d) => d.tag))].join(', '),
          detail: decls.map((d) => `${rel(d.file)}:${d.line} ${d.kind}${d.feeds?.length ? ` → ${d.feeds.join(', ')}` : ''}`).join(' · '),
          image: name, tag: (live[0] ?? decls[0]).tag,
        };
      }), { placeHolder: 'Image to bump', matchOnDetail: true });
      if (!picked) return undefined;
      image = picked.image;
      currentTag = picked.tag;
    }
    let tag = arg.tag;
    if (!tag) {
      tag = (await vscode.window.showInputBox({
        title: `New tag for ${image}`, value: currentTag, prompt: currentTag ? `current: ${currentTag}` : undefined,
        validateInput: (v) => tagProblem(v.trim()),
      }))?.trim();
      if (!tag) return undefined;
    }
    const problem = tagProblem(tag);
    if (problem) throw new Error(problem);

    // Plan (dry run): which declaration wins, what will roll. Several apps: ask which one.
    const plan = async () => vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `GitOps: planning ${image} -> ${tag}` },
      (progress) => git.bump({ path: dir, image: image!, tag: tag!, app: appName, tools: tools(), dryRun: true, onStep: (m) => progress.report({ message: m }) }));
    let planned;
    try {
      planned = await plan();
    } catch (err) {
      const m = /deployed by \d+ apps \(([^)]+)\)/.exec(err instanceof Error ? err.message : '');
      if (!m || appName) throw err;
      appName = await vscode.window.showQuickPick(m[1].split(', '), { placeHolder: `${image} is deployed by several apps: which one?` });
      if (!appName) return undefined;
      planned = await plan();
    }
    const rel = (f: string) => vscode.workspace.asRelativePath(f);
    const detail = [
      ...planned.edited.map((e) => `Edit ${rel(e.file)}:${e.line} (${e.kind}${e.valuesKey ? ` ${e.valuesKey}` : ''})${e.note ? ` — ${e.note}` : ''}`),
      `Why: ${planned.reason}`,
      ...planned.notEdited.map((n) => `Not edited: ${rel(n.file)}:${n.line} — ${n.why}`),
      planned.rolls.length ? 'Will roll:' : 'Will roll: nothing',
      ...planned.rolls.map((r) => `  ${r.workload} [${r.container}]: ${r.from} -> ${r.to}`),
      `Commit: ${planned.message}`,
    ].join('\n');
    output.info(`bump plan for ${planned.app}:\n${detail}\n${planned.diff}`);
    const action = arg.action ?? await confirm(`Bump ${planned.image} ${planned.oldTag} -> ${planned.newTag} in ${planned.app}?`, detail, 'Commit');
    if (!action) return undefined;
    let result: Awaited<ReturnType<GitWorkflows['bump']>> | undefined;
    const done = await pushAndFollow(`bump ${planned.image} ${planned.oldTag} -> ${planned.newTag}`, action, planned.appInfo ?? planned.app, dir, async (report) => {
      report(`committing ${planned.files.join(', ')}`);
      result = await git.bump({ path: dir, image: image!, tag: tag!, app: planned.app, tools: tools(), onStep: report });
      report(`committed ${result.commit!.slice(0, 7)} ${result.message}`);
      return result.commit!;
    });
    void host.refresh?.();
    const tail = 'status' in done && done.status ? ` — live in ${(done as { seconds: number }).seconds.toFixed(1)} s` : 'pushed' in done ? ' and pushed' : '';
    void vscode.window.showInformationMessage(`GitOps: ${result!.message} (${result!.commit!.slice(0, 7)})${tail}.`);
    return { ...done, bump: result };
  });

  reg('gitops.revertCommit', async (rawArg?: unknown) => {
    const arg: RevertArg = isPlainArg(rawArg) ? rawArg as RevertArg : {};
    const git = gitModule();
    const app = arg.app ? host.app(arg.app) : (host.get()?.apps().length ? await services.pickApp(rawArg, 'Application whose history to show') : undefined);
    const dir = await folderFor(app);
    if (!dir) return undefined;
    let sha = arg.sha;
    let subject = sha?.slice(0, 7) ?? '';
    if (!sha) {
      const { commits } = await git.history(dir, app, 100);
      if (!commits.length) { void vscode.window.showInformationMessage(`GitOps: no commits touch ${app?.name ?? 'this repository'}.`); return undefined; }
      const picked = await vscode.window.showQuickPick(commits.map((c) => ({
        label: c.subject, description: `${c.sha.slice(0, 7)} · ${c.author} · ${new Date(c.date).toLocaleString()}`,
        detail: c.files.join(', '), commit: c,
      })), { placeHolder: `Commit to revert${app ? ` (history of ${app.name})` : ''}`, matchOnDescription: true, matchOnDetail: true });
      if (!picked) return undefined;
      sha = picked.commit.sha;
      subject = picked.commit.subject;
    }
    const action = arg.action ?? await confirm(`Revert "${subject}"?`, `A new commit undoes ${sha.slice(0, 7)}. Your other staged and unstaged changes stay as they are.`, 'Revert');
    if (!action) return undefined;
    let reverted: Awaited<ReturnType<GitWorkflows['revert']>> | undefined;
    const done = await pushAndFollow(`revert ${sha.slice(0, 7)}`, action, app, dir, async (report) => {
      reverted = await git.revert(dir, [sha!], report);
      report(`committed ${reverted.head.slice(0, 7)} Revert "${reverted.reverted[0].subject}"`);
      return reverted.head;
    });
    void vscode.window.showInformationMessage(`GitOps: reverted ${sha.slice(0, 7)} as ${reverted!.head.slice(0, 7)}${'status' in done && done.status ? ' — live' : 'pushed' in done ? ' and pushed' : ''}.`);
    return { ...done, revert: reverted };
  });

  reg('gitops.rollbackApp', async (rawArg?: unknown) => {
    const arg: RollbackArg = isPlainArg(rawArg) ? rawArg as RollbackArg : {};
    const git = gitModule();
    const app = arg.app ? host.app(arg.app) : await services.pickApp(rawArg, 'Application to roll back');
    if (!app) return undefined;
    const dir = await folderFor(app);
    if (!dir) return undefined;
    if (app.agent !== 'argocd') throw new Error(`${app.name} is not an Argo CD Application: roll back with Revert Commit instead`);
    let revision = arg.revision;
    if (!revision) {
      const entries = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `GitOps: reading ${app.name}'s history` },
        () => git.argoHistory(conn(), app, dir));
      if (entries.length < 2) { void vscode.window.showInformationMessage(`GitOps: ${app.name} has no earlier deployment in status.history.`); return undefined; }
      const picked = await vscode.window.showQuickPick(entries.slice(1).map((e) => ({
        label: `#${e.id} ${e.revision.slice(0, 7)}`, description: e.subject ?? '(commit not in this clone)', detail: e.deployedAt ? `deployed ${new Date(e.deployedAt).toLocaleString()}` : undefined, entry: e,
      })), { placeHolder: `Roll ${app.name} back to` });
      if (!picked) return undefined;
      revision = picked.entry.revision;
    }
    const action = arg.action ?? await confirm(`Roll ${app.name} back to ${revision.slice(0, 7)}?`,
      'Every commit after it that touched the app\'s files is reverted (one revert commit each); the agent then applies the result.', 'Revert');
    if (!action) return undefined;
    let result: Awaited<ReturnType<GitWorkflows['rollback']>> | undefined;
    const done = await pushAndFollow(`roll back ${app.name} to ${revision.slice(0, 7)}`, action, app, dir, async (report) => {
      result = await git.rollback(dir, app, revision!, report);
      report(`reverted ${result.reverted.length} commit(s)`);
      return result.head;
    });
    void vscode.window.showInformationMessage(`GitOps: ${app.name} rolled back to ${revision.slice(0, 7)} (${result!.reverted.length} revert commit(s))${'status' in done && done.status ? ' — live' : ''}.`);
    return { ...done, rollback: result };
  });
}
