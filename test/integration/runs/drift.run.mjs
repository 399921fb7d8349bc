// The extension against a synced workspace and a live sandbox (no agent, so manual drift stays).
import { syncedWorkspace, WEB_DEPLOYMENT, WEB_CONFIGMAP, API_DEPLOYMENT } from './gitopsFixture.mjs';

export const tests = ['gitops/drift.test.ts'];
export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 300_000;

export async function setup(ctx) {
  syncedWorkspace(ctx, {
    'apps/web/deployment.yaml': WEB_DEPLOYMENT,
    'apps/web/configmap.yaml': WEB_CONFIGMAP,
    'apps/api/deployment.yaml': API_DEPLOYMENT,
  }, ['web', 'api']);
  return { settings: { 'editor.hover.delay': 100, 'gitops.agent': 'none' } };
}
