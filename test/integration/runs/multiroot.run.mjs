// A multi-root workspace (a .code-workspace file with two folders, each its own Git repository): the
// extension reads the apps of both, shows drift in a file of the second folder, and a Git command on an app
// works in that app's own repository.
import fs from 'node:fs';
import path from 'node:path';
import { API_DEPLOYMENT, syncedWorkspace, WEB_DEPLOYMENT } from './gitopsFixture.mjs';

export const tests = ['gitops/multiroot.test.ts'];
export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 240_000;

export async function setup(ctx) {
  const shop = path.join(ctx.workspace, 'shop');
  const billing = path.join(ctx.workspace, 'billing');
  fs.mkdirSync(shop);
  fs.mkdirSync(billing);
  syncedWorkspace({ ...ctx, workspace: shop }, { 'apps/web/deployment.yaml': WEB_DEPLOYMENT }, ['web']);
  syncedWorkspace({ ...ctx, workspace: billing }, { 'apps/api/deployment.yaml': API_DEPLOYMENT }, ['api']);
  const file = path.join(ctx.workspace, 'gitops.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders: [{ path: 'shop' }, { path: 'billing' }], settings: {} }, null, 2));
  return {
    workspace: file,
    env: { GITOPS_TEST_FOLDERS: [shop, billing].join(path.delimiter) },
    settings: { 'gitops.agent': 'none' },
  };
}
