// Git plumbing that never disturbs the author's own work. Every history-changing step (commit,
// revert, rebase before a push) runs in a temporary worktree; the user's branch then moves to the
// result with fastForwardTo(), which rewrites only the paths the new commits changed and refuses
// (before touching anything) when the author has local changes to one of them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class GitError extends Error {
  constructor(message: string, readonly stderr = '', readonly code?: number) { super(message); }
}
/** The author has staged or unstaged changes to a path the operation would rewrite. */
export class LocalChangesError extends GitError {
  constructor(readonly paths: string[], what: string) {
    super(`${what}: you have uncommitted changes to ${paths.join(', ')}; commit or stash them first (nothing was changed)`);
  }
}

const GIT_TIMEOUT_MS = 120_000;

export interface GitResult { code: number; stdout: string; stderr: string }

/** Run git with an argument array; never throws (see git()). */
export function gitRun(cwd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, {
      cwd, maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? GIT_TIMEOUT_MS, encoding: 'utf8',
      // Never wait on a credential prompt nobody can answer; never localise messages we parse.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_LITERAL_PATHSPECS: '1', LC_ALL: 'C', LANG: 'C', ...opts.env },
    }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new GitError('git is not installed or not on PATH: install git (the tag bump, revert and push run the git binary)'));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      if (err && (err as { killed?: boolean }).killed) { resolve({ code: 124, stdout, stderr: `${stderr}\ngit ${args[0]} timed out` }); return; }
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Run git; throw GitError (with git's own message) on a non-zero exit. */
export async function git(cwd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const r = await gitRun(cwd, args, opts);
  if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${(r.stderr || r.stdout).trim()}`, r.stderr, r.code);
  return r.stdout;
}

export async function repoRoot(dir: string): Promise<string> {
  const r = await gitRun(dir, ['rev-parse', '--show-toplevel']);
  if (r.code !== 0) throw new GitError(`${dir} is not inside a git repository (${r.stderr.trim()})`);
  return r.stdout.trim();
}

export async function headSha(repo: string): Promise<string> {
  return (await git(repo, ['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
}

export async function currentBranch(repo: string): Promise<string | undefined> {
  const r = await gitRun(repo, ['symbolic-ref', '-q', '--short', 'HEAD']);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export async function resolveCommit(repo: string, rev: string): Promise<string> {
  const r = await gitRun(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (r.code !== 0 || !r.stdout.trim()) throw new GitError(`'${rev}' is not a commit in ${repo}`);
  return r.stdout.trim();
}

/** Run fn in a throwaway worktree checked out (detached) at rev; always removed afterwards. */
export async function withTempWorktree<T>(repo: string, rev: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const holder = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-wt-'));
  const dir = path.join(holder, 'wt');
  await git(repo, ['worktree', 'add', '--detach', '--quiet', dir, rev]);
  try {
    return await fn(dir);
  } finally {
    await gitRun(repo, ['worktree', 'remove', '--force', dir]);
    fs.rmSync(holder, { recursive: true, force: true });
    await gitRun(repo, ['worktree', 'prune']);
  }
}

interface RawChange { oldMode: string; newMode: string; oldSha: string; newSha: string; status: string; path: string }

const ZERO = '0000000000000000000000000000000000000000';

async function changesBetween(repo: string, from: string, to: string): Promise<RawChange[]> {
  const out = await git(repo, ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', from, to]);
  const parts = out.split('\0');
  const changes: RawChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i].replace(/^:/, '').split(' ');
    if (meta.length < 5) break;
    changes.push({ oldMode: meta[0], newMode: meta[1], oldSha: meta[2], newSha: meta[3], status: meta[4], path: parts[i + 1] });
  }
  return changes;
}

/** Paths (of `paths`) whose index entry or working-tree file differ from commit `rev`. */
export async function dirtyPaths(repo: string, rev: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const expected = new Map<string, string>();
  const tree = await git(repo, ['ls-tree', '-z', rev, '--', ...paths]);
  for (const entry of tree.split('\0').filter(Boolean)) {
    const tab = entry.indexOf('\t');
    const [mode, , sha] = entry.slice(0, tab).split(' ');
    expected.set(entry.slice(tab + 1), `${mode} ${sha}`);
  }
  const index = new Map<string, string>();
  const staged = await git(repo, ['ls-files', '-s', '-z', '--', ...paths]);
  for (const entry of staged.split('\0').filter(Boolean)) {
    const tab = entry.indexOf('\t');
    const [mode, sha, stage] = entry.slice(0, tab).split(' ');
    index.set(entry.slice(tab + 1), stage === '0' ? `${mode} ${sha}` : 'conflict');
  }
  const dirty = new Set<string>();
  const present: string[] = [];
  for (const p of paths) {
    if (index.get(p) !== expected.get(p)) dirty.add(p);
    const exists = fs.existsSync(path.join(repo, p));
    if (exists !== expected.has(p)) dirty.add(p);
    else if (exists) present.push(p);
  }
  if (present.length > 0) {
    const hashes = (await git(repo, ['hash-object', '--', ...present])).trim().split('\n');
    present.forEach((p, i) => { if (expected.get(p)?.split(' ')[1] !== hashes[i]) dirty.add(p); });
  }
  return paths.filter((p) => dirty.has(p));
}

/**
 * Move HEAD (the current branch, or a detached HEAD) from oldHead to newHead and bring the index
 * and working tree along for exactly the paths that differ between the two commits. Every other
 * staged or unstaged change is left as it is. Throws LocalChangesError, changing nothing, when
 * one of those paths has local changes; GitError when HEAD moved meanwhile.
 */
export async function fastForwardTo(repo: string, oldHead: string, newHead: string, what: string): Promise<string[]> {
  const changes = await changesBetween(repo, oldHead, newHead);
  const paths = changes.map((c) => c.path);
  const dirty = await dirtyPaths(repo, oldHead, paths);
  if (dirty.length > 0) throw new LocalChangesError(dirty, what);
  await git(repo, ['update-ref', '-m', `gitops-workbench: ${what}`, 'HEAD', newHead, oldHead]);
  if (changes.length === 0) return [];
  const info = changes.map((c) => (c.newSha === ZERO ? `0 ${ZERO}\t${c.path}` : `${c.newMode} ${c.newSha}\t${c.path}`)).join('\0') + '\0';
  await git(repo, ['update-index', '-z', '--index-info'], { input: info });
  const kept = changes.filter((c) => c.newSha !== ZERO).map((c) => c.path);
  for (const c of changes.filter((c) => c.newSha === ZERO)) fs.rmSync(path.join(repo, c.path), { force: true });
  if (kept.length > 0) await git(repo, ['checkout-index', '-f', '-q', '--', ...kept]);
  // Refresh stat data so `git status` does not re-hash (and never reports) the rewritten files.
  await gitRun(repo, ['update-index', '-q', '--refresh', '--', ...kept]);
  return paths;
}

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  email: string;
  date: string;
  files: string[];
  parents: string[];
}

/** Commits that touched `paths` (repo-relative; all when empty), newest first; `files` lists every file
 *  each commit changed (a revert undoes all of them), not only those under `paths`. */
export async function historyOf(repo: string, paths: string[], opts: { max?: number; range?: string } = {}): Promise<CommitInfo[]> {
  const args = ['log', `--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s`, '--name-only', '--full-diff', `-n${opts.max ?? 50}`];
  if (opts.range) args.push(opts.range);
  const out = await git(repo, [...args, '--', ...paths]);
  return out.split('\x1e').filter((c) => c.trim()).map((chunk) => {
    const [header, ...rest] = chunk.split('\n');
    const [sha, parents, author, email, date, subject] = header.split('\x1f');
    return { sha, parents: parents ? parents.split(' ') : [], author, email, date, subject, files: rest.map((l) => l.trim()).filter(Boolean) };
  });
}

export async function commitInfo(repo: string, rev: string): Promise<CommitInfo> {
  const sha = await resolveCommit(repo, rev);
  const [info] = await historyOf(repo, [], { max: 1, range: sha });
  return info;
}

/** Files changed by the commit relative to its first parent. */
export async function filesOf(repo: string, sha: string): Promise<string[]> {
  return (await git(repo, ['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', '-z', sha])).split('\0').filter(Boolean);
}

/** A snapshot of HEAD, index and working-tree state, to prove an operation changed nothing. */
export async function repoFingerprint(repo: string): Promise<{ head: string; index: string; status: string }> {
  const head = (await gitRun(repo, ['rev-parse', 'HEAD'])).stdout.trim();
  const index = (await git(repo, ['ls-files', '-s', '-z'])).replace(/\0/g, '\n');
  const status = await git(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  return { head, index, status: status.replace(/\0/g, '\n') };
}

export function relativeTo(repo: string, file: string): string {
  return path.relative(repo, file).split(path.sep).join('/');
}
