// Workspace folders (a multi-root workspace has several): which of them count, which one holds a file,
// and the Git work tree a folder is in. Shared by the engine, discovery and the extension's commands.
import fs from 'node:fs';
import path from 'node:path';

const isInside = (file: string, folder: string) => file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);

/** Folders discovery never looks into: hidden ones (.git, .vscode, .github ...) and node_modules. */
export function skippedFolderName(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/** The folders not inside another of them, in the order given, without repeats. */
export function outermostFolders(folders: string[]): string[] {
  const unique = [...new Set(folders)];
  return unique.filter((f) => !unique.some((other) => other !== f && isInside(f, other)));
}

/** The deepest of `folders` that is or holds `file`, if any. */
export function folderHolding(folders: string[], file: string): string | undefined {
  let best: string | undefined;
  for (const folder of folders) {
    if ((file === folder || isInside(file, folder)) && (!best || folder.length > best.length)) best = folder;
  }
  return best;
}

/** The enclosing git work tree root, if any. */
export function gitRoot(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
