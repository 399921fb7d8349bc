// A 5,000-line multi-document file with 500 drifted fields: decoration update time.
import { bulkYaml, kubectl, syncedWorkspace } from './gitopsFixture.mjs';
import fs from 'node:fs';
import path from 'node:path';

export const tests = ['gitops/bulk.test.ts'];
export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 300_000;

export async function setup(ctx) {
  syncedWorkspace(ctx, { 'apps/bulk/bulk.yaml': bulkYaml(false) }, ['bulk']);
  if (ctx.sandbox) {
    // 5 fields x 100 objects changed live by another manager, in one server-side apply.
    const drifted = path.join(ctx.tempDir(), 'drifted.yaml');
    fs.writeFileSync(drifted, bulkYaml(true));
    kubectl(ctx.sandbox.kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=hotfix', '-f', drifted]);
    ctx.log('bulk: 500 fields drifted by manager hotfix');
  }
  return { settings: { 'gitops.agent': 'none' } };
}
