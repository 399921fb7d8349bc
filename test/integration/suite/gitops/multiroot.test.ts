// Multi-root workspace inside the real host: two folders, each its own Git repository. Both folders' apps are
// read by one engine, drift shows in a file of the second folder, and a Git command on an app of the second
// folder works in that folder's repository (not the first folder's).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { GitOpsApi } from '../../../../src/extension/extension';
import { dumpLogOnFailure, kubectl, lineOf, readyApi, waitFor } from './helpers';

const [shop, billing] = (process.env.GITOPS_TEST_FOLDERS ?? '').split(path.delimiter);
const git = (cwd: string, args: string[]) => execFileSync('git', args, {
  cwd, encoding: 'utf8',
  env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' },
}).trim();

describe('multi-root workspace', function () {
  this.timeout(120_000);
  let api: GitOpsApi;
  dumpLogOnFailure(() => api);

  before(async function () {
    api = await readyApi(this);
  });

  it('opens both folders', () => {
    assert.deepEqual(vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath), [shop, billing]);
  });

  it('reads the apps of every folder, each Synced against the cluster', async () => {
    const { value: report } = await waitFor('apps of both folders, connected', () => {
      const r = api.report();
      return r && r.cluster.state === 'connected' && ['web', 'api'].every((n) => r.apps.some((a) => a.name === n && a.sync === 'Synced')) ? r : undefined;
    }, 30_000);
    assert.equal(report.apps.find((a) => a.name === 'web')!.path, path.join(shop, 'apps', 'web'));
    assert.equal(report.apps.find((a) => a.name === 'api')!.path, path.join(billing, 'apps', 'api'));
    assert.ok(api.treeSnapshot().some((n) => n.label === 'api'), 'the second folder\'s app is in the tree');
  });

  it('shows live drift in a file of the second folder', async () => {
    const file = vscode.Uri.file(path.join(billing, 'apps', 'api', 'deployment.yaml'));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const line = lineOf(doc, 'replicas:');
    kubectl(['scale', 'deployment/api', '-n', 'api', '--replicas=4']);
    await waitFor('drift mark on replicas in billing/', () => api.decorationsFor(file).some((m) => m.line === line && /live: 4/.test(m.text)), 15_000);
  });

  it('a Git command on an app of the second folder works in that folder\'s repository', async () => {
    const deployment = path.join(billing, 'apps', 'api', 'deployment.yaml');
    fs.writeFileSync(deployment, fs.readFileSync(deployment, 'utf8').replace('LOG_LEVEL\n              value: info', 'LOG_LEVEL\n              value: debug'));
    git(billing, ['commit', '-q', '-am', 'api: debug logging']);
    const sha = git(billing, ['rev-parse', 'HEAD']);
    const shopHead = git(shop, ['rev-parse', 'HEAD']);
    // With the first folder's editor active: the app, not the editor, decides the repository.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(path.join(shop, 'apps', 'web', 'deployment.yaml')));
    const result = await vscode.commands.executeCommand<{ commit: string }>('gitops.revertCommit', { app: 'api', sha, action: 'commit' });
    assert.ok(result?.commit, 'the revert committed');
    assert.equal(git(billing, ['rev-parse', 'HEAD']), result.commit);
    assert.match(git(billing, ['log', '-1', '--format=%s']), /^Revert "api: debug logging"/);
    assert.match(fs.readFileSync(deployment, 'utf8'), /value: info/);
    assert.equal(git(shop, ['rev-parse', 'HEAD']), shopHead, 'the first folder\'s repository is untouched');
  });
});
