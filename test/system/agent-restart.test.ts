// The agent across a sandbox restart with --state: it picks up where the stored status left off
// (no repeated sync of a revision already deployed) and pulls a commit pushed while it was down.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../support/sandbox';
import { applyApp, configMap, getApp, getJson, makeRepo, tempRoot, waitSyncedAt, type Json } from './agentHelpers';

describe('pull agent across a restart (--state)', () => {
  const root = tempRoot('gw-agent-restart-');
  const state = tempRoot('gw-agent-state-');
  const running: Sandbox[] = [];
  after(async () => {
    for (const sb of running) await sb.stop();
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(state, { recursive: true, force: true });
  });

  test('status survives, history is not duplicated, a commit pushed while down is applied', async () => {
    const repo = makeRepo(root, 'restart', { 'app/cm.yaml': configMap('c', { v: '1' }) });
    const first = await startSandbox({ agent: true, state, extraArgs: ['--poll', '1'] });
    running.push(first);
    applyApp(first, { name: 'restart', repoURL: repo.remote, path: 'app', namespace: 'restart', automated: { prune: true } });
    const synced = await waitSyncedAt(first, 'restart', repo.head());
    assert.equal(synced.status.history.length, 1);
    await first.stop();

    const next = repo.commit({ 'app/cm.yaml': configMap('c', { v: '2' }) }, 'v2 while the agent is down');
    const second = await startSandbox({ agent: true, state, extraArgs: ['--poll', '1'] });
    running.push(second);
    const app: Json = await waitSyncedAt(second, 'restart', next);
    assert.deepEqual(app.status.history.map((h: Json) => h.revision), [synced.status.sync.revision, next]);
    assert.equal(getJson(second, ['get', 'cm', 'c', '-n', 'restart']).data.v, '2');
    // A few more polls: nothing new is deployed.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(getApp(second, 'restart').status.history.length, 2);
  });
});
