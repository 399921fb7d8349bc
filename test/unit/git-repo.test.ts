// The safety core of every git workflow: fastForwardTo moves HEAD and rewrites only the paths the new
// commits change, refuses (changing nothing) when the author touched one of them, and never moves a
// HEAD that moved meanwhile. Real git, tiny repos in temp dirs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fastForwardTo, dirtyPaths, repoFingerprint, LocalChangesError, withTempWorktree, historyOf, GitError } from '../../src/core/git/repo';

let tmp: string;
let n = 0;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-repo-')); });
after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A repo with a.txt, b.txt, run.sh; returns it and a commit (made in a temp worktree) that edits a.txt,
 *  deletes b.txt, adds c.txt and makes run.sh executable. */
async function setup(): Promise<{ repo: string; oldHead: string; newHead: string }> {
  const repo = path.join(tmp, `r${++n}`);
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'T');
  git(repo, 'config', 'user.email', 't@e');
  fs.writeFileSync(path.join(repo, 'a.txt'), 'a1\n');
  fs.writeFileSync(path.join(repo, 'b.txt'), 'b1\n');
  fs.writeFileSync(path.join(repo, 'run.sh'), 'echo hi\n');
  fs.writeFileSync(path.join(repo, 'other.txt'), 'o1\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'one');
  const oldHead = git(repo, 'rev-parse', 'HEAD').trim();
  const newHead = await withTempWorktree(repo, oldHead, async (wt) => {
    fs.writeFileSync(path.join(wt, 'a.txt'), 'a2\n');
    fs.rmSync(path.join(wt, 'b.txt'));
    fs.mkdirSync(path.join(wt, 'sub'));
    fs.writeFileSync(path.join(wt, 'sub/c.txt'), 'c1\n');
    fs.chmodSync(path.join(wt, 'run.sh'), 0o755);
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', 'two');
    return git(wt, 'rev-parse', 'HEAD').trim();
  });
  return { repo, oldHead, newHead };
}

test('moves HEAD, index and working tree for the changed paths only; other staged/unstaged work stays', async () => {
  const { repo, oldHead, newHead } = await setup();
  fs.writeFileSync(path.join(repo, 'other.txt'), 'o2 staged\n');
  git(repo, 'add', 'other.txt');
  fs.writeFileSync(path.join(repo, 'other.txt'), 'o3 unstaged\n');
  fs.writeFileSync(path.join(repo, 'untracked.txt'), 'u\n');
  const paths = await fastForwardTo(repo, oldHead, newHead, 'test');
  assert.deepEqual(paths.sort(), ['a.txt', 'b.txt', 'run.sh', 'sub/c.txt']);
  assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), newHead);
  assert.equal(git(repo, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main', 'still on the branch');
  assert.equal(fs.readFileSync(path.join(repo, 'a.txt'), 'utf8'), 'a2\n');
  assert.ok(!fs.existsSync(path.join(repo, 'b.txt')));
  assert.equal(fs.readFileSync(path.join(repo, 'sub/c.txt'), 'utf8'), 'c1\n');
  assert.ok(fs.statSync(path.join(repo, 'run.sh')).mode & 0o100, 'exec bit follows the commit');
  assert.equal(git(repo, 'status', '--porcelain'), 'MM other.txt\n?? untracked.txt\n');
  assert.equal(git(repo, 'show', ':other.txt'), 'o2 staged\n');
  assert.equal(fs.readFileSync(path.join(repo, 'other.txt'), 'utf8'), 'o3 unstaged\n');
  assert.ok(git(repo, 'worktree', 'list').trim().split('\n').length === 1, 'temp worktree removed');
});

for (const [what, touch] of [
  ['an unstaged edit', (repo: string) => fs.appendFileSync(path.join(repo, 'a.txt'), 'mine\n')],
  ['a staged edit', (repo: string) => { fs.appendFileSync(path.join(repo, 'a.txt'), 'mine\n'); git(repo, 'add', 'a.txt'); }],
  ['a deleted file it changes', (repo: string) => fs.rmSync(path.join(repo, 'a.txt'))],
  ['an untracked file where it adds one', (repo: string) => { fs.mkdirSync(path.join(repo, 'sub')); fs.writeFileSync(path.join(repo, 'sub/c.txt'), 'mine\n'); }],
  ['an edit to a file it deletes', (repo: string) => fs.appendFileSync(path.join(repo, 'b.txt'), 'mine\n')],
] as const) {
  test(`refuses, changing nothing, when the author has ${what}`, async () => {
    const { repo, oldHead, newHead } = await setup();
    touch(repo);
    const fp = await repoFingerprint(repo);
    await assert.rejects(fastForwardTo(repo, oldHead, newHead, 'bump'), (e: Error) => e instanceof LocalChangesError && /uncommitted changes to/.test(e.message));
    assert.deepEqual(await repoFingerprint(repo), fp);
  });
}

test('never moves a HEAD that moved meanwhile', async () => {
  const { repo, oldHead, newHead } = await setup();
  fs.writeFileSync(path.join(repo, 'other.txt'), 'someone else\n');
  git(repo, 'commit', '-q', '-am', 'concurrent');
  const moved = git(repo, 'rev-parse', 'HEAD').trim();
  await assert.rejects(fastForwardTo(repo, oldHead, newHead, 'bump'), GitError);
  assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), moved);
});

test('dirtyPaths and historyOf', async () => {
  const { repo, oldHead } = await setup();
  fs.appendFileSync(path.join(repo, 'a.txt'), 'x\n');
  assert.deepEqual(await dirtyPaths(repo, oldHead, ['a.txt', 'b.txt', 'missing.txt']), ['a.txt']);
  const h = await historyOf(repo, ['a.txt']);
  assert.equal(h.length, 1);
  assert.equal(h[0].subject, 'one');
  assert.deepEqual(h[0].files.sort(), ['a.txt', 'b.txt', 'other.txt', 'run.sh']);
});
