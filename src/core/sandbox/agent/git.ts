// The agent's view of Git, like Argo CD's repo-server: one cache clone (a mirror) per repoURL under
// the work dir, fetched on each poll, revisions resolved to commit shas, trees exported per render.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GIT_TIMEOUT_MS = 60_000;

export class GitError extends Error {}

/** Run git with an argument array; resolves stdout, rejects with git's own message. */
export function git(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, {
      cwd: opts.cwd, timeout: opts.timeoutMs ?? GIT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024,
      // Never prompt, never read the user's global hooks/config surprises that change output.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...opts.env },
    }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') reject(new GitError('git not found on PATH: install git'));
        else reject(new GitError(`git ${args[0]}: ${(stderr || e.message).trim()}`));
      } else resolve(stdout);
    });
  });
}

/** A local path for repoURL: an absolute/relative path or a file:// URL. Other schemes are refused. */
export function localRepoPath(repoURL: string): string {
  if (repoURL.startsWith('file://')) return fileURLToPath(repoURL);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repoURL) || /^[^/]+@[^:]+:/.test(repoURL)) {
    throw new GitError(`repoURL ${repoURL}: only local paths and file:// URLs are supported by the sandbox agent`);
  }
  return path.resolve(repoURL);
}

const SHA_RE = /^[0-9a-f]{7,40}$/i;

export class RepoCache {
  private readonly lastCheck = new Map<string, number>();
  /** mirror dir -> the remote's refs as of the last fetch (`git ls-remote --symref` output). */
  private readonly fetchedRefs = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly workDir: string) {}

  private mirrorDir(repoURL: string): string {
    const hash = crypto.createHash('sha256').update(localRepoPath(repoURL)).digest('hex').slice(0, 16);
    return path.join(this.workDir, 'repos', hash + '.git');
  }

  /** Make the mirror current, checking at most once per maxAgeMs (0 = always). Like Argo CD's repo-server,
   *  a cheap `ls-remote` decides whether a fetch is needed. Returns the mirror dir. */
  async sync(repoURL: string, maxAgeMs: number): Promise<string> {
    const dir = this.mirrorDir(repoURL);
    const last = this.lastCheck.get(dir);
    if (last !== undefined && Date.now() - last < maxAgeMs && fs.existsSync(dir)) return dir;
    // One check per repo at a time; concurrent callers share it.
    const pending = this.inflight.get(dir);
    if (pending) return pending;
    const job = (async () => {
      const source = localRepoPath(repoURL);
      if (!fs.existsSync(source)) throw new GitError(`repository not found: ${repoURL}`);
      const refs = await git(['ls-remote', '--symref', source]);
      if (!fs.existsSync(path.join(dir, 'HEAD'))) {
        fs.mkdirSync(path.dirname(dir), { recursive: true });
        fs.rmSync(dir, { recursive: true, force: true });
        await git(['clone', '--quiet', '--mirror', source, dir]);
      } else if (this.fetchedRefs.get(dir) !== refs) {
        await git(['fetch', '--quiet', '--prune', '--force', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], { cwd: dir });
        // Follow the remote's default branch if it moved (fetch does not update a mirror's HEAD).
        const remoteHead = /^ref: (\S+)\s+HEAD$/m.exec(refs)?.[1];
        if (remoteHead) await git(['symbolic-ref', 'HEAD', remoteHead], { cwd: dir });
      }
      this.fetchedRefs.set(dir, refs);
      this.lastCheck.set(dir, Date.now());
      return dir;
    })();
    this.inflight.set(dir, job);
    try { return await job; } finally { this.inflight.delete(dir); }
  }

  /** Resolve targetRevision (HEAD, branch, tag, full or short sha) to a commit sha: refs from the
   *  ls-remote answer (no process), anything else with rev-parse in the mirror. */
  async resolve(repoURL: string, revision: string | undefined, maxAgeMs: number): Promise<string> {
    const dir = await this.sync(repoURL, maxAgeMs);
    const rev = (revision ?? '').trim() || 'HEAD';
    const refs = new Map<string, string>();
    for (const line of (this.fetchedRefs.get(dir) ?? '').split('\n')) {
      const [sha, name] = line.split('\t');
      if (name && /^[0-9a-f]{40}$/.test(sha)) refs.set(name, sha);
    }
    // Annotated tags: the peeled (^{}) entry is the commit.
    for (const name of rev === 'HEAD' ? ['HEAD'] : [`refs/heads/${rev}`, `refs/tags/${rev}^{}`, `refs/tags/${rev}`, `${rev}^{}`, rev]) {
      const sha = refs.get(name);
      if (sha) return sha;
    }
    const candidates = rev === 'HEAD' ? ['HEAD'] : [...(SHA_RE.test(rev) ? [rev] : []), rev];
    for (const candidate of candidates) {
      try {
        return (await git(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], { cwd: dir })).trim();
      } catch { /* next */ }
    }
    throw new GitError(`unable to resolve '${rev}' to a commit SHA in ${repoURL}`);
  }

  /** Export the tree at sha into a fresh directory (git archive | tar -x). The caller removes it. */
  async export(repoURL: string, sha: string, into: string): Promise<void> {
    const dir = await this.sync(repoURL, Number.POSITIVE_INFINITY);
    fs.mkdirSync(into, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      const archive = spawn('git', ['archive', '--format=tar', sha], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const tar = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
      let errors = '';
      archive.stderr.on('data', (d) => { errors += d; });
      tar.stderr.on('data', (d) => { errors += d; });
      archive.stdout.pipe(tar.stdin);
      const timer = setTimeout(() => { archive.kill(); tar.kill(); }, GIT_TIMEOUT_MS);
      let pending = 2;
      let failed = false;
      const done = (name: string) => (code: number | null) => {
        if (code !== 0 && !failed) { failed = true; clearTimeout(timer); reject(new GitError(`${name} of ${sha.slice(0, 7)} failed: ${errors.trim() || `exit ${code}`}`)); }
        if (--pending === 0 && !failed) { clearTimeout(timer); resolve(); }
      };
      archive.on('error', (e) => { failed = true; reject(new GitError(`git archive: ${e.message}`)); });
      tar.on('error', (e) => { failed = true; reject(new GitError(`tar: ${e.message}`)); });
      archive.on('close', done('git archive'));
      tar.on('close', done('tar -x'));
    });
  }

  /** Repo-relative paths that differ between two commits (renames count as both paths). */
  async changedFiles(repoURL: string, from: string, to: string): Promise<string[]> {
    const dir = await this.sync(repoURL, Number.POSITIVE_INFINITY);
    const out = await git(['diff', '--name-only', '--no-renames', '-z', from, to], { cwd: dir });
    return out.split('\0').filter(Boolean);
  }

  /** The commit's subject/author (for history and logs). */
  async commitInfo(repoURL: string, sha: string): Promise<{ message: string; author: string; date: string }> {
    const dir = await this.sync(repoURL, Number.POSITIVE_INFINITY);
    const out = await git(['show', '-s', '--format=%an <%ae>%x00%aI%x00%s', sha], { cwd: dir });
    const [author, date, message] = out.trim().split('\0');
    return { author: author ?? '', date: date ?? '', message: message ?? '' };
  }
}
