// Workspace folders (a multi-root workspace has several): which of them count, and which one holds a
// file. Pure path logic, shared by the engine and the extension's commands.
import path from 'node:path';

const isInside = (file: string, folder: string) => file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);

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
