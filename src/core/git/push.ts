// Push the current branch to its upstream. A non-fast-forward rejection fetches, replays the local
// commits onto the upstream in a temporary worktree, moves the branch there (only paths the
// author has not touched), and pushes once more. Never forces. Every other failure stops with a
// clear message and the local commit kept.
import { GitError, git, gitRun, headSha, currentBranch, withTempWorktree, fastForwardTo } from './repo';

export class PushError extends GitError {}

export interface PushResult {
  remote: string;
  branch: string;
  /** refs/heads/<name> on the remote. */
  remoteRef: string;
  head: string;
  /** True when the local commits were replayed onto commits someone else had pushed first. */
  rebased: boolean;
  /** The commits the remote gained. */
  pushed: string[];
}

function rejectedNonFastForward(out: string): boolean {
  return /\[rejected\]|non-fast-forward|fetch first|\(stale info\)/.test(out) && !/\[remote rejected\]/.test(out);
}

export async function pushCurrentBranch(repo: string, onStep: (s: string) => void = () => {}): Promise<PushResult> {
  const branch = await currentBranch(repo);
  const head = await headSha(repo);
  if (!branch) throw new PushError(`HEAD is detached: check out a branch to push; the commit ${head.slice(0, 7)} is kept`);
  const remote = (await gitRun(repo, ['config', '--get', `branch.${branch}.remote`])).stdout.trim();
  const remoteRef = (await gitRun(repo, ['config', '--get', `branch.${branch}.merge`])).stdout.trim();
  if (!remote || !remoteRef || remote === '.') {
    throw new PushError(`branch ${branch} has no upstream: run \`git push -u <remote> ${branch}\` once; the commit ${head.slice(0, 7)} is kept`);
  }
  const before = (await gitRun(repo, ['rev-parse', '--verify', '--quiet', '@{upstream}'])).stdout.trim();
  const attempt = async (): Promise<{ ok: boolean; out: string }> => {
    const r = await gitRun(repo, ['push', '--porcelain', remote, `HEAD:${remoteRef}`]);
    return { ok: r.code === 0, out: `${r.stdout}\n${r.stderr}` };
  };
  onStep(`pushing ${branch} to ${remote}`);
  let r = await attempt();
  if (r.ok) {
    const pushed = before ? (await git(repo, ['rev-list', `${before}..${head}`])).split('\n').filter(Boolean) : [head];
    return { remote, branch, remoteRef, head, rebased: false, pushed };
  }
  if (!rejectedNonFastForward(r.out)) throw new PushError(`push to ${remote} failed; the commit ${head.slice(0, 7)} is kept: ${cleanGitOutput(r.out)}`);

  // Someone pushed first: fetch, replay our commits onto theirs, push once more.
  onStep(`${remote}/${remoteRef.replace('refs/heads/', '')} moved: fetching and replaying ${branch} onto it`);
  const fetched = await gitRun(repo, ['fetch', '--quiet', remote, remoteRef]);
  if (fetched.code !== 0) throw new PushError(`push was rejected and fetching ${remote} failed; the commit ${head.slice(0, 7)} is kept: ${cleanGitOutput(fetched.stderr)}`);
  const upstream = (await git(repo, ['rev-parse', 'FETCH_HEAD'])).trim();
  const local = (await git(repo, ['rev-list', '--reverse', `${upstream}..${head}`])).split('\n').filter(Boolean);
  const merges = (await git(repo, ['rev-list', '--merges', `${upstream}..${head}`])).trim();
  if (merges) throw new PushError(`push was rejected and ${branch} has merge commits not on ${remote}: pull and push yourself; nothing was changed`);
  const rebuilt = await withTempWorktree(repo, upstream, async (wt) => {
    if (local.length > 0) {
      const pick = await gitRun(wt, ['cherry-pick', '--allow-empty', ...local]);
      if (pick.code !== 0) {
        const conflicted = (await gitRun(wt, ['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
        await gitRun(wt, ['cherry-pick', '--abort']);
        throw new PushError(`push was rejected: ${remote} has new commits that conflict with yours${conflicted.length ? ` in ${conflicted.join(', ')}` : ''}; ` +
          `your commit ${head.slice(0, 7)} is kept and nothing else changed: pull, resolve and push`);
      }
    }
    return (await git(wt, ['rev-parse', 'HEAD'])).trim();
  });
  try {
    await fastForwardTo(repo, head, rebuilt, `replay ${branch} onto ${remote}`);
  } catch (err) {
    throw new PushError(`push was rejected (${remote} has new commits) and the files they change have local edits: ${(err as Error).message}; your commit ${head.slice(0, 7)} is kept`);
  }
  r = await attempt();
  if (!r.ok) throw new PushError(`push to ${remote} failed again after replaying onto its new commits; the commit ${rebuilt.slice(0, 7)} is kept: ${cleanGitOutput(r.out)}`);
  const pushed = (await git(repo, ['rev-list', `${upstream}..${rebuilt}`])).split('\n').filter(Boolean);
  return { remote, branch, remoteRef, head: rebuilt, rebased: true, pushed };
}

function cleanGitOutput(out: string): string {
  return out.split('\n').map((l) => l.trim()).filter((l) => l && l !== 'Done' && !l.startsWith('To ')).join('; ');
}
