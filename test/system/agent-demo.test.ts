// `gitops-workbench sandbox --demo`: the demo repository (plain app, Kustomize overlay, Helm chart),
// synced by the agent at the remote's HEAD, with exactly one drift (web scaled by kubectl-scale).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { helmPath } from '../support/tools';
import { appSummary, getApp, getJson, tempRoot, waitFor, type Json } from './agentHelpers';

describe('sandbox --demo', () => {
  let sb: Sandbox;
  let startMs = 0;
  const state = tempRoot('gw-agent-demo-');
  const start = () => startSandbox({ agent: true, demo: true, state, extraArgs: ['--poll', '1'], env: { GITOPS_WORKBENCH_HELM: helmPath() }, readyTimeoutMs: 120_000 });
  before(async () => {
    const t0 = Date.now();
    sb = await start();
    startMs = Date.now() - t0;
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(state, { recursive: true, force: true });
  });

  test('seeds a clone and a bare remote, syncs the three apps at HEAD, leaves one drift', async () => {
    console.log(`# sandbox --demo ready in ${startMs} ms`);
    assert.ok(sb.demoRepo && fs.existsSync(path.join(sb.demoRepo, 'argocd/web.yaml')), `demo repo printed: ${sb.log()}`);
    const clone = sb.demoRepo!;
    for (const f of ['apps/web/deployment.yaml', 'apps/api/overlays/demo/kustomization.yaml', 'charts/shop/values.yaml', 'argocd/api.yaml', 'argocd/shop.yaml']) {
      assert.ok(fs.existsSync(path.join(clone, f)), f);
    }
    const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8' }).trim();
    assert.equal(git('status', '--porcelain'), '', 'clean working tree');
    assert.equal(git('log', '-1', '--format=%an <%ae>'), 'Dana Demo <dana@example.com>');
    const head = git('rev-parse', 'HEAD');
    assert.equal(git('rev-parse', '@{upstream}'), head, 'pushed');

    const apps: Record<string, Json> = {};
    for (const name of ['web', 'api', 'shop']) {
      apps[name] = getApp(sb, name);
      assert.equal(apps[name].status.sync.revision, head, `${name} compared at HEAD`);
      assert.equal(apps[name].status.operationState.phase, 'Succeeded', `${name}: ${appSummary(apps[name])}`);
      assert.equal(apps[name].status.history.at(-1).revision, head);
    }
    assert.equal(apps.api.status.sourceType, 'Kustomize');
    assert.equal(apps.shop.status.sourceType, 'Helm');
    assert.equal(getJson(sb, ['get', 'deploy', 'api', '-n', 'api']).spec.template.spec.containers[0].image, 'ghcr.io/acme/api:2.1.0');
    assert.equal(getJson(sb, ['get', 'deploy', 'shop', '-n', 'shop']).spec.template.spec.containers[0].image, 'ghcr.io/acme/shop:1.4.2');

    // The drift: web scaled to 3 by kubectl-scale; selfHeal is off, so it stays and web is OutOfSync.
    const web = getJson(sb, ['get', 'deploy', 'web', '-n', 'web', '--show-managed-fields']);
    assert.equal(web.spec.replicas, 3);
    assert.ok(web.metadata.managedFields.some((m: Json) => m.manager === 'kubectl-scale'), JSON.stringify(web.metadata.managedFields));
    let last: Json;
    await waitFor('web OutOfSync, api and shop Synced', () => {
      last = { web: getApp(sb, 'web'), api: getApp(sb, 'api'), shop: getApp(sb, 'shop') };
      return last.web.status.sync.status === 'OutOfSync' && last.api.status.sync.status === 'Synced' && last.shop.status.sync.status === 'Synced';
    }, 15_000, () => JSON.stringify(Object.fromEntries(Object.entries(last).map(([k, v]) => [k, appSummary(v)]))));
    const drifted = last.web.status.resources.filter((r: Json) => r.status === 'OutOfSync').map((r: Json) => `${r.kind}/${r.name}`);
    assert.deepEqual(drifted, ['Deployment/web']);
  });

  test('restarted with the same --state, the demo is reused: same clone and history, the drift is not made again', async () => {
    const before = { web: getApp(sb, 'web'), clone: sb.demoRepo };
    await sb.stop();
    sb = await start();
    assert.equal(sb.demoRepo, before.clone);
    assert.match(sb.log(), /demo: reusing/);
    const web = getApp(sb, 'web');
    assert.equal(web.status.history.length, before.web.status.history.length, 'no new deployment of the same revision');
    assert.equal(getJson(sb, ['get', 'deploy', 'web', '-n', 'web']).spec.replicas, 3, 'the drift from the first run is still there');
  });
});

describe('sandbox --demo without helm', () => {
  test('leaves the Helm app out at once (saying why) instead of waiting for it to time out', async () => {
    const state = tempRoot('gw-agent-demo-nohelm-');
    const t0 = Date.now();
    const sb = await startSandbox({ agent: true, demo: true, state, extraArgs: ['--poll', '1'], env: { GITOPS_WORKBENCH_HELM: path.join(state, 'no-such-helm') }, readyTimeoutMs: 60_000 });
    try {
      const readyMs = Date.now() - t0;
      assert.match(sb.log(), /no helm on PATH .*the demo's shop app, which needs it, is left out/);
      const clone = sb.demoRepo!;
      assert.ok(!fs.existsSync(path.join(clone, 'argocd/shop.yaml')) && !fs.existsSync(path.join(clone, 'charts/shop')), 'no Helm app in the repo');
      assert.ok(fs.existsSync(path.join(clone, 'argocd/web.yaml')) && fs.existsSync(path.join(clone, 'argocd/api.yaml')));
      for (const name of ['web', 'api']) assert.equal(getApp(sb, name).status.operationState.phase, 'Succeeded', name);
      assert.ok(readyMs < 60_000, `ready in ${readyMs} ms`);
    } finally {
      await sb.stop();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
