// Image declarations and tag bumps on real-world repositories (../shared/corpus, read in place; bumps
// run on a temporary git copy). Skips with the reason when the corpus is absent.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanWorkspace } from '../../src/core/git/images';
import { bumpImage } from '../../src/core/git/bump';
import { corpusDir, corpusMissing, helmPath, kubectlPath } from '../support/tools';

const tools = { helmPath: helmPath(), kubectlPath: kubectlPath(), trusted: true };
const skip = corpusMissing();

describe('git workflows on the corpus', { skip }, () => {
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-corpus-')); });
  after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

  test('podinfo: declarations in chart values, kustomize and bases; a values file the app does not read feeds nothing', async () => {
    const root = path.join(corpusDir, 'podinfo');
    const scan = await scanWorkspace(root, tools);
    const at = (rel: string, key?: string) => scan.declarations.find((d) => path.relative(root, d.file) === rel && (!key || d.valuesKey === key));
    const chart = at('charts/podinfo/values.yaml', 'image.tag')!;
    assert.equal(chart.image, 'ghcr.io/stefanprodan/podinfo');
    assert.deepEqual(chart.feeds, ['podinfo: Deployment/default/podinfo[podinfo]']);
    assert.deepEqual(at('charts/podinfo/values-prod.yaml', 'image.tag')?.feeds ?? [], [], 'values-prod.yaml is not read by the chart app');
    assert.equal(at('kustomize/deployment.yaml')?.kind, 'container');
    assert.ok(at('kustomize/deployment.yaml')?.feeds?.some((f) => f.startsWith('kustomize: Deployment/')));
  });

  test('argocd-example-apps: a bump of the guestbook image in a copy changes one line', async () => {
    const work = path.join(tmp, 'argocd-example-apps');
    fs.cpSync(path.join(corpusDir, 'argocd-example-apps'), work, { recursive: true });
    const git = (...a: string[]) => execFileSync('git', a, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=t', '-c', 'user.email=t@e', 'add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'corpus');
    git('config', 'user.name', 't');
    git('config', 'user.email', 't@e');
    const r = await bumpImage({ path: path.join(work, 'guestbook'), image: 'gcr.io/google-samples/gb-frontend', tag: 'v6', tools });
    assert.equal(r.edited.length, 1);
    assert.equal(r.rolls.length, 1);
    const numstat = git('show', '--numstat', '--format=', 'HEAD').trim().split('\n');
    assert.equal(numstat.length, 1);
    assert.match(numstat[0], /^1\t1\tguestbook\//);
  });
});
