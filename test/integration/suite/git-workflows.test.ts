// The git workflow commands inside the real extension host (code-server), against the sandbox and its
// pull agent: bump -> commit -> push -> agent applies -> live; revert; a conflicting revert changes
// nothing; roll back to a status.history entry. Commands are run through the command API with their
// argument object (the pickers are covered by the e2e spec); progress steps are read from the log.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { gitopsApi, kubectl, record } from './gitops/helpers';

const ws = () => process.env.GITOPS_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0].uri.fsPath;
const git = (...args: string[]) => execFileSync('git', args, { cwd: ws(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const liveImage = (ns: string, name: string) => kubectl(['get', 'deploy', name, '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);

interface CommandResult { error?: string; steps?: string[]; commit?: string; pushed?: { head: string }; status?: { sync?: string; health?: string }; seconds?: number; bump?: { message: string; rolls: unknown[] } }

describe('git workflows (bump, revert, rollback) in the extension host', function () {
  this.timeout(300_000);

  before(async function () {
    if (!process.env.GITOPS_TEST_KUBECONFIG) this.skip();
    const api = await gitopsApi();
    await api.ready();
  });

  /** The author's own work: a staged file that must stay staged and uncommitted. */
  const stageNotes = () => {
    fs.writeFileSync(path.join(ws(), 'NOTES.md'), 'work in progress\n');
    git('add', 'NOTES.md');
  };
  const notesStillStaged = () => {
    assert.match(git('status', '--porcelain'), /^A  NOTES\.md$/m);
    assert.throws(() => git('cat-file', '-e', 'HEAD:NOTES.md'));
  };

  it('Bump Image Tag: one-line commit, pushed, the agent applies, the command returns when live', async () => {
    stageNotes();
    const r = await vscode.commands.executeCommand<CommandResult>('gitops.bumpImageTag', { image: 'ghcr.io/acme/api', tag: '2.2.0', action: 'wait' });
    assert.ok(r && !r.error, `command failed: ${r?.error}`);
    assert.equal(r.status?.health, 'Healthy');
    assert.equal(liveImage('api', 'api'), 'ghcr.io/acme/api:2.2.0', 'live when the command resolves');
    assert.equal(git('show', '--numstat', '--format=', 'HEAD').trim(), '1\t1\tapps/api/overlays/prod/kustomization.yaml');
    assert.equal(git('log', '-1', '--format=%s').trim(), 'chore(api): bump ghcr.io/acme/api 2.1.0 -> 2.2.0');
    assert.equal(git('rev-parse', 'HEAD').trim(), execFileSync('git', ['rev-parse', 'main'], { cwd: process.env.GITOPS_TEST_GIT_REMOTE, encoding: 'utf8' }).trim(), 'pushed');
    notesStillStaged();
    // The progress notification's messages, in order: committed, pushed, then the agent's steps.
    const steps = r.steps ?? [];
    const order = [/^committed /, /^pushed /, /^agent saw commit$/, /^applying$/, /^healthy$/].map((re) => steps.findIndex((m) => re.test(m)));
    assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), `progress steps in order:\n${steps.join('\n')}`);
    record('git-bump', { pushToLiveSeconds: r.seconds });
  });

  it('Bump Image Tag on a plain manifest keeps the trailing comment', async () => {
    const r = await vscode.commands.executeCommand<CommandResult>('gitops.bumpImageTag', { image: 'ghcr.io/acme/web', tag: '1.1.0', action: 'wait' });
    assert.ok(r && !r.error, r?.error);
    assert.equal(liveImage('web', 'web'), 'ghcr.io/acme/web:1.1.0');
    assert.match(fs.readFileSync(path.join(ws(), 'apps/web/deployment.yaml'), 'utf8'), /image: ghcr\.io\/acme\/web:1\.1\.0 # pinned by release\n/);
    notesStillStaged();
  });

  it('Revert Commit: the live image rolls back; a conflicting revert changes nothing', async () => {
    const bump = git('log', '-1', '--format=%H', '--', 'apps/web').trim();
    const r = await vscode.commands.executeCommand<CommandResult>('gitops.revertCommit', { sha: bump, app: 'web', action: 'wait' });
    assert.ok(r && !r.error, r?.error);
    assert.match(git('log', '-1', '--format=%s'), /^Revert "chore\(web\): bump ghcr\.io\/acme\/web 1\.0\.0 -> 1\.1\.0"/);
    assert.equal(liveImage('web', 'web'), 'ghcr.io/acme/web:1.0.0');
    notesStillStaged();
    // Bump twice, then revert the first: it conflicts with the second.
    const first = await vscode.commands.executeCommand<CommandResult>('gitops.bumpImageTag', { image: 'ghcr.io/acme/web', tag: '1.2.0', action: 'commit' });
    await vscode.commands.executeCommand<CommandResult>('gitops.bumpImageTag', { image: 'ghcr.io/acme/web', tag: '1.3.0', action: 'commit' });
    const before = { head: git('rev-parse', 'HEAD'), status: git('status', '--porcelain'), index: git('ls-files', '-s') };
    const c = await vscode.commands.executeCommand<CommandResult>('gitops.revertCommit', { sha: first!.commit, app: 'web', action: 'commit' });
    assert.match(c?.error ?? '', /conflicts with later changes to apps\/web\/deployment\.yaml: nothing was changed/);
    assert.deepEqual({ head: git('rev-parse', 'HEAD'), status: git('status', '--porcelain'), index: git('ls-files', '-s') }, before);
    assert.ok(!fs.existsSync(path.join(ws(), '.git/REVERT_HEAD')));
  });

  it('Roll Back App to a status.history entry reverts the later commits on its files', async () => {
    const history = JSON.parse(kubectl(['get', 'applications.argoproj.io', 'web', '-n', 'argocd', '-o', 'json'])).status.history as { revision: string }[];
    const initial = history[0].revision;
    const r = await vscode.commands.executeCommand<CommandResult>('gitops.rollbackApp', { app: 'web', revision: initial, action: 'wait' });
    assert.ok(r && !r.error, r?.error);
    assert.equal(liveImage('web', 'web'), 'ghcr.io/acme/web:1.0.0');
    assert.equal(git('diff', initial, 'HEAD', '--', 'apps/web').trim(), '', 'app files back at the history entry');
    notesStillStaged();
  });
});
