// Cluster down and back: the test stops the sandbox by PID and restarts it on the same port and state.
import { syncedWorkspace, WEB_DEPLOYMENT } from './gitopsFixture.mjs';

export const tests = ['gitops/outage.test.ts'];
export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 300_000;

export async function setup(ctx) {
  syncedWorkspace(ctx, { 'apps/web/deployment.yaml': WEB_DEPLOYMENT }, ['web']);
  return { settings: { 'gitops.agent': 'none' } };
}
