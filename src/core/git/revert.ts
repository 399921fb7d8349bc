// `git revert` that cannot leave a mess: the revert runs in a temporary worktree; a conflict aborts
// there and the author's HEAD, index and working tree are exactly as before (no REVERT_HEAD, no
// conflict markers). On success the branch moves to the revert commit(s) with fastForwardTo().
import { GitError, git, gitRun, headSha, resolveCommit, withTempWorktree, fastForwardTo, historyOf, commitInfo, type CommitInfo } from './repo';

export class RevertConflictError extends GitError {
  constructor(message: string, readonly files: string[]) { super(message); }
}

export interface RevertResult {
  /** The new HEAD. */
  head: string;
  /** The revert commits made, oldest first. */
  commits: string[];
  /** The commits reverted, in the order they were reverted (newest first). */
  reverted: CommitInfo[];
  /** Repository-relative paths the revert changed. */
  paths: string[];
}

/** Revert `revs` (newest first) as one revert commit each, on top of HEAD. */
export async function revertCommits(repo: string, revs: string[], onStep: (s: string) => void = () => {}): Promise<RevertResult> {
  if (revs.length === 0) throw new GitError('nothing to revert');
  const oldHead = await headSha(repo);
  const reverted: CommitInfo[] = [];
  for (const rev of revs) {
    const sha = await resolveCommit(repo, rev);
    const info = await commitInfo(repo, sha);
    if (info.parents.length > 1) throw new GitError(`${sha.slice(0, 7)} "${info.subject}" is a merge commit: revert it with git revert -m <parent> yourself`);
    const ancestor = await gitRun(repo, ['merge-base', '--is-ancestor', sha, oldHead]);
    if (ancestor.code !== 0) throw new GitError(`${sha.slice(0, 7)} "${info.subject}" is not in the history of HEAD; nothing to revert`);
    reverted.push(info);
  }
  onStep(`reverting ${reverted.map((c) => c.sha.slice(0, 7)).join(', ')}`);
  const newHead = await withTempWorktree(repo, oldHead, async (wt) => {
    const r = await gitRun(wt, ['revert', '--no-edit', ...reverted.map((c) => c.sha)]);
    if (r.code !== 0) {
      const conflicted = (await gitRun(wt, ['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
      const current = (await gitRun(wt, ['rev-parse', '--verify', '--quiet', 'REVERT_HEAD'])).stdout.trim();
      await gitRun(wt, ['revert', '--abort']);
      const which = reverted.find((c) => c.sha === current) ?? reverted[0];
      if (conflicted.length > 0) {
        throw new RevertConflictError(`reverting ${which.sha.slice(0, 7)} "${which.subject}" conflicts with later changes to ${conflicted.join(', ')}: ` +
          'nothing was changed (HEAD, index and working tree are as before); resolve it by hand with git revert', conflicted);
      }
      if (/nothing to commit|nothing added to commit|empty/i.test(r.stdout + r.stderr)) {
        throw new GitError(`reverting ${which.sha.slice(0, 7)} "${which.subject}" changes nothing: its changes are already undone`);
      }
      throw new GitError(`git revert failed: ${(r.stderr || r.stdout).trim()}`);
    }
    return (await git(wt, ['rev-parse', 'HEAD'])).trim();
  });
  const paths = await fastForwardTo(repo, oldHead, newHead, `revert ${reverted.map((c) => c.sha.slice(0, 7)).join(' ')}`);
  const commits = (await git(repo, ['rev-list', '--reverse', `${oldHead}..${newHead}`])).split('\n').filter(Boolean);
  return { head: newHead, commits, reverted, paths };
}

/**
 * Roll an app back to `revision` the GitOps way: revert, newest first, every commit after it that
 * touched the app's paths (repo-relative). Merge commits in the range are refused (reverting one
 * needs a human to pick the parent).
 */
export async function rollbackPaths(repo: string, revision: string, paths: string[], onStep?: (s: string) => void): Promise<RevertResult> {
  const base = await resolveCommit(repo, revision);
  const head = await headSha(repo);
  if ((await gitRun(repo, ['merge-base', '--is-ancestor', base, head])).code !== 0) {
    throw new GitError(`${revision.slice(0, 7)} is not in the history of HEAD: cannot roll back to it`);
  }
  const since = await historyOf(repo, paths, { range: `${base}..${head}`, max: 1000 });
  if (since.length === 0) throw new GitError(`no commit after ${base.slice(0, 7)} changed ${paths.join(', ') || 'the app'}: the app is already at that revision`);
  return revertCommits(repo, since.map((c) => c.sha), onStep);
}
