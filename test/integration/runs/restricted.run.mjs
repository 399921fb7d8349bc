// Restricted mode: the workspace opened untrusted (workspace trust on, no prompt). Beside a plain app it
// holds a Kustomize overlay, a Helm chart and workspace settings that point helm and kustomize at a script
// that leaves a mark when run: in restricted mode nothing of that may run.
import fs from 'node:fs';
import path from 'node:path';
import { syncedWorkspace, WEB_DEPLOYMENT } from './gitopsFixture.mjs';

export const tests = ['gitops/restricted.test.ts'];
export const sandbox = { args: ['--no-agent'] };
export const timeoutMs = 240_000;

export async function setup(ctx) {
  syncedWorkspace(ctx, { 'apps/web/deployment.yaml': WEB_DEPLOYMENT }, ['web']);
  const { workspace } = ctx;
  const write = (rel, text, mode) => {
    const file = path.join(workspace, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
  };
  const marker = path.join(ctx.tempDir(), 'tool-ran');
  const tool = path.join(workspace, 'tools/render.sh');
  write('tools/render.sh', `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 1\n`, 0o755);
  write('apps/api/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cm.yaml\n');
  write('apps/api/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n  namespace: web\ndata:\n  A: "1"\n');
  write('charts/shop/Chart.yaml', 'apiVersion: v2\nname: shop\nversion: 0.1.0\n');
  write('charts/shop/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop\ndata:\n  A: "1"\n');
  write('.vscode/settings.json', JSON.stringify({ 'gitops.helmPath': tool, 'gitops.kustomizePath': tool }, null, 2));
  return {
    env: { GITOPS_TEST_TOOL_MARKER: marker },
    settings: {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'never',
      'gitops.agent': 'none',
    },
  };
}
