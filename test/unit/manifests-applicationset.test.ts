// Argo CD ApplicationSets expanded offline (src/core/manifests/applicationSet.ts): generators, both
// template dialects, the notes for what is not evaluated, and the generated Applications as Apps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expandApplicationSet, gitPathspecMatcher, goFloat, sanitizeName } from '../../src/core/manifests/applicationSet';
import { appsFromArgoApplication } from '../../src/core/manifests/discover';
import { parseManifests } from '../../src/core/manifests/yamlSource';
import type { KubeObject } from '../../src/core/model';

/** A temp Git work tree (a `.git` folder marks the root) holding `files`. */
function repo(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-appset-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, '.git'));
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

/** An ApplicationSet parsed from YAML the way discovery parses it. */
function appSet(yaml: string): KubeObject {
  const parsed = parseManifests(yaml, 'appset.yaml');
  assert.equal(parsed.errors.length, 0, JSON.stringify(parsed.errors));
  return parsed.objects[0].object;
}

const head = (spec: string, name = 'set') => `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n${spec}`;
const names = (r: { applications: KubeObject[] }) => r.applications.map((a) => a.metadata.name);
const spec = (a: KubeObject) => a.spec as { source: { path: string; repoURL?: string }; destination: { namespace: string; server?: string }; project?: string };

test('list generator (fasttemplate): parameters substituted, values.*, unknown keys kept, Application shape', (t) => {
  const root = repo(t, {});
  const r = expandApplicationSet(appSet(head(`  generators:
  - list:
      elements:
      - cluster: dev
        url: https://1.2.3.4
        values:
          tier: gold
      - cluster: prod
        url: https://2.4.6.8
        values:
          tier: silver
  template:
    metadata:
      name: '{{cluster}}-guestbook'
      labels:
        '{{ cluster }}': 'yes'
    spec:
      project: default
      source:
        repoURL: https://example.com/repo.git
        path: 'guestbook/{{cluster}}'
      destination:
        server: '{{url}}'
        namespace: '{{values.tier}}-{{ nope }}'
`)), root);
  assert.deepEqual(r.notes, []);
  assert.deepEqual(names(r), ['dev-guestbook', 'prod-guestbook']);
  const dev = r.applications[0];
  assert.equal(dev.apiVersion, 'argoproj.io/v1alpha1');
  assert.equal(dev.kind, 'Application');
  assert.equal(dev.metadata.namespace, 'argocd', 'the ApplicationSet namespace');
  assert.deepEqual(dev.metadata.labels, { dev: 'yes' }, 'map keys are templated too');
  assert.deepEqual(dev.metadata.finalizers, ['resources-finalizer.argocd.argoproj.io']);
  assert.equal(spec(dev).source.path, 'guestbook/dev');
  assert.equal(spec(dev).destination.server, 'https://1.2.3.4');
  assert.equal(spec(dev).destination.namespace, 'gold-{{ nope }}', 'an unknown parameter stays as written');
});

test('list generator: without goTemplate a non-string element value is an Argo CD error; elementsYaml is read too', (t) => {
  const root = repo(t, {});
  const bad = expandApplicationSet(appSet(head(`  generators:
  - list:
      elements:
      - cluster: dev
        replicas: 3
  template:
    metadata: {name: '{{cluster}}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(bad.applications, []);
  assert.match(bad.notes[0], /ApplicationSet set: Argo CD reports: error parsing value as string .*replicas.*: not expanded/);
  const ok = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
  - list:
      elementsYaml: |
        - env: a
        - env: b
  template:
    metadata: {name: 'x-{{.env}}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(names(ok), ['x-a', 'x-b']);
});

test('git directories: `*` stops at "/", `**` is two `*` (Go path.Match), exclude wins, hidden folders skipped; path parameters', (t) => {
  const root = repo(t, {
    'apps/guestbook/kustomization.yaml': 'resources: []\n',
    'apps/my_app/Chart.yaml': 'name: x\n',
    'apps/skipme/a.yaml': '',
    'apps/nested/deep/a.yaml': '',
    'apps/.hidden/a.yaml': '',
    '.github/workflows/a.yaml': '',
  });
  const r = expandApplicationSet(appSet(head(`  generators:
  - git:
      repoURL: https://example.com/repo.git
      revision: HEAD
      directories:
      - path: apps/*
      - path: apps/skipme
        exclude: true
  template:
    metadata:
      name: '{{path.basenameNormalized}}'
    spec:
      project: default
      source: {repoURL: https://example.com/repo.git, path: '{{path}}'}
      destination: {namespace: '{{path[0]}}-{{path.basename}}'}
`)), root);
  assert.deepEqual(r.notes, []);
  assert.deepEqual(names(r), ['guestbook', 'my-app', 'nested']);
  assert.equal(spec(r.applications[1]).source.path, 'apps/my_app');
  assert.equal(spec(r.applications[1]).destination.namespace, 'apps-my_app');

  const deep = expandApplicationSet(appSet(head(`  generators:
  - git:
      repoURL: https://example.com/repo.git
      directories:
      - path: 'apps/**'
  template:
    metadata: {name: '{{path.basename}}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(names(deep), ['guestbook', 'nested', 'skipme'], 'apps/** matches one level only (not apps/nested/deep); my_app is not a valid name');
  assert.match(deep.notes.join('\n'), /"my_app" is not a valid Kubernetes name/);
});

test('git files: JSON, YAML and list files; flattened with dots (fmt %v numbers) or kept nested with goTemplate; path.* parameters', (t) => {
  const root = repo(t, {
    'clusters/dev/config.json': JSON.stringify({ cluster: { name: 'dev', address: 'https://1.2.3.4' }, quota: 1000000, small: 12 }),
    'clusters/prod/eu/config.json': JSON.stringify({ cluster: { name: 'prod-eu', address: 'https://5.6.7.8' }, quota: 1.5, small: 1 }),
    'teams/list.yaml': '- team: a\n  enabled: yes\n- team: b\n  enabled: no\n',
  });
  const r = expandApplicationSet(appSet(head(`  generators:
  - git:
      repoURL: https://example.com/repo.git
      files:
      - path: clusters/*/config.json
  template:
    metadata: {name: '{{cluster.name}}-{{path.basename}}'}
    spec:
      project: default
      source: {path: '{{path}}', repoURL: x}
      destination: {server: '{{cluster.address}}', namespace: '{{quota}}-{{small}}-{{path.filename}}-{{path[1]}}'}
`)), root);
  assert.deepEqual(r.notes, []);
  assert.deepEqual(names(r), ['dev-dev', 'prod-eu-eu'], 'the default file globbing lets `*` cross folders');
  assert.equal(spec(r.applications[0]).destination.namespace, '1e+06-12-config.json-dev');
  assert.equal(spec(r.applications[1]).destination.namespace, '1.5-1-config.json-prod');
  assert.equal(spec(r.applications[1]).source.path, 'clusters/prod/eu');

  const list = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
  - git:
      repoURL: https://example.com/repo.git
      files:
      - path: teams/list.yaml
  template:
    metadata: {name: 'team-{{.team}}-{{.enabled}}'}
    spec:
      project: default
      source: {path: '{{.path.path}}/{{.path.filenameNormalized}}/{{index .path.segments 0}}'}
`)), root);
  assert.deepEqual(list.notes, []);
  assert.deepEqual(names(list), ['team-a-true', 'team-b-false'], 'YAML 1.1 booleans, one Application per list element');
  assert.equal(spec(list.applications[0]).source.path, 'teams/list.yaml/teams');

  const nested = expandApplicationSet(appSet(head(`  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - git:
      repoURL: https://example.com/repo.git
      files:
      - path: clusters/**/config.json
      - path: clusters/prod/**
        exclude: true
  template:
    metadata: {name: '{{.cluster.name}}'}
    spec:
      project: default
      destination: {server: '{{.cluster.address}}', namespace: '{{.quota}}'}
`)), root);
  assert.deepEqual(nested.notes, []);
  assert.deepEqual(names(nested), ['dev']);
  assert.equal(spec(nested.applications[0]).destination.namespace, '1e+06');
});

test('git generator values: templated with the generator parameters, values.x / .values.x', (t) => {
  const root = repo(t, { 'apps/web/a.yaml': '' });
  const fast = expandApplicationSet(appSet(head(`  generators:
  - git:
      repoURL: x
      directories: [{path: 'apps/*'}]
      values:
        ns: 'team-{{path.basename}}'
  template:
    metadata: {name: '{{path.basename}}'}
    spec: {project: default, destination: {namespace: '{{values.ns}}'}}
`)), root);
  assert.equal(spec(fast.applications[0]).destination.namespace, 'team-web');
  const go = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
  - git:
      repoURL: x
      directories: [{path: 'apps/*'}]
      values:
        ns: 'team-{{ .path.basename | upper }}'
  template:
    metadata: {name: '{{.path.basename}}'}
    spec: {project: default, destination: {namespace: '{{ .values.ns | lower }}'}}
`)), root);
  assert.deepEqual(go.notes, []);
  assert.equal(spec(go.applications[0]).destination.namespace, 'team-web');
});

test('matrix git × list: cartesian product; with goTemplate the second child is interpolated with the first', (t) => {
  const root = repo(t, { 'apps/a/x.yaml': '', 'apps/b/x.yaml': '' });
  // git directories apps/* × a list with the given elements
  const gitTimes = (elements: string) => `  - matrix:
      generators:
      - git:
          repoURL: x
          directories: [{path: 'apps/*'}]
      - list:
          elements:
${elements}`;
  const fast = expandApplicationSet(appSet(head(`  generators:
${gitTimes('          - env: dev\n          - env: prod\n')}  template:
    metadata: {name: '{{path.basename}}-{{env}}'}
    spec: {project: default, source: {path: '{{path}}'}}
`)), root);
  assert.deepEqual(fast.notes, []);
  assert.deepEqual(names(fast), ['a-dev', 'a-prod', 'b-dev', 'b-prod']);
  const go = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
${gitTimes("          - ns: '{{.path.basename}}-ns'\n")}  template:
    metadata: {name: '{{.path.basename}}'}
    spec: {project: default, destination: {namespace: '{{.ns}}'}}
`)), root);
  assert.deepEqual(go.notes, []);
  assert.deepEqual(go.applications.map((a) => spec(a).destination.namespace), ['a-ns', 'b-ns']);
  const clash = expandApplicationSet(appSet(head(`  generators:
  - matrix:
      generators:
      - list: {elements: [{env: dev}]}
      - list: {elements: [{env: prod}]}
  template:
    metadata: {name: '{{env}}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(clash.applications, []);
  assert.match(clash.notes[0], /found duplicate key env with different value, a: dev ,b: prod/);
});

test('merge generator: param sets joined on mergeKeys, later generators override', (t) => {
  const root = repo(t, {});
  const r = expandApplicationSet(appSet(head(`  generators:
  - merge:
      mergeKeys: [env]
      generators:
      - list: {elements: [{env: dev, size: s}, {env: prod, size: s}]}
      - list: {elements: [{env: prod, size: xl}, {env: qa, size: m}]}
  template:
    metadata: {name: '{{env}}-{{size}}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(r.notes, []);
  assert.deepEqual(names(r).sort(), ['dev-s', 'prod-xl']);
});

test('goTemplate subset: fields, index, pipelines with sprig functions, trim markers, <no value>, missingkey=error', (t) => {
  const root = repo(t, {});
  const gen = `  generators:
  - list:
      elements:
      - name: My_App
        env: staging
        seg: [a, b]
`;
  const r = expandApplicationSet(appSet(head(`  goTemplate: true
${gen}  template:
    metadata:
      name: '{{ .name | lower | replace "_" "-" }}'
      annotations:
        a: '{{- "  x  " -}} {{ .env | trimPrefix "sta" | upper }}'
        b: '{{ index .seg 1 }}/{{ .missing }}/{{ .missing | default "dflt" }}/{{ normalize .name }}'
        c: '{{ .env | quote }} {{ trimSuffix "ing" .env }} {{ default "d" .env }}{{/* comment */}}'
    spec: {project: default}
`)), root);
  assert.deepEqual(r.notes, []);
  const a = r.applications[0];
  assert.equal(a.metadata.name, 'my-app');
  assert.deepEqual(a.metadata.annotations, { a: '  x  GING', b: 'b/<no value>/dflt/my-app', c: '"staging" stag staging' });

  const strict = expandApplicationSet(appSet(head(`  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
${gen}  template:
    metadata: {name: '{{ .nmae }}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(strict.applications, []);
  assert.match(strict.notes[0], /Argo CD reports: map has no entry for key "nmae": not expanded/);

  const outOfRange = expandApplicationSet(appSet(head(`  goTemplate: true
${gen}  template:
    metadata: {name: '{{ index .seg 5 }}'}
    spec: {project: default}
`)), root);
  assert.match(outOfRange.notes[0], /index out of range: 5/);
});

test('a Go template construct outside the subset leaves the ApplicationSet unexpanded, naming the construct', (t) => {
  const root = repo(t, {});
  for (const [tmpl, construct] of [
    ['{{ if eq .env "prod" }}p{{ end }}', 'the Go template action "if"'],
    ['{{ .env | toYaml }}', 'the Go template function "toYaml"'],
    ['{{ printf "%-8s" .env }}', 'printf with the format "%-8s"'],
    ['{{ $x := .env }}{{ $x }}', 'a Go template variable assignment'],
  ]) {
    const r = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
  - list: {elements: [{env: prod}]}
  template:
    metadata: {name: 'ok'}
    spec: {project: default, destination: {namespace: '${tmpl}'}}
`)), root);
    assert.deepEqual(r.applications, [], tmpl);
    assert.equal(r.notes.length, 1);
    assert.ok(r.notes[0].includes(`${construct} is not supported here: not expanded`), r.notes[0]);
  }
});

test('generators that need the cluster or a provider API: a note each, the others still expanded', (t) => {
  const root = repo(t, {});
  const r = expandApplicationSet(appSet(head(`  generators:
  - clusters: {}
  - list: {elements: [{env: dev}]}
  - pullRequest: {github: {owner: o, repo: r}}
  - matrix:
      generators:
      - scmProvider: {github: {organization: o}}
      - list: {elements: [{env: x}]}
  template:
    metadata: {name: 'app-{{env}}'}
    spec: {project: default}
`)), root);
  assert.deepEqual(names(r), ['app-dev']);
  assert.equal(r.notes.length, 3, r.notes.join('\n'));
  assert.match(r.notes[0], /^ApplicationSet set: generator clusters: needs the cluster or a provider API, nothing generated from it$/);
  assert.match(r.notes[1], /generator pullRequest: needs/);
  assert.match(r.notes[2], /generator scmProvider \(inside a matrix \/ merge generator, which therefore gives nothing\)/);
});

test('two generated Applications with one name: Argo CD\'s validation error, the first created, the later ones skipped', (t) => {
  const root = repo(t, {});
  const r = expandApplicationSet(appSet(head(`  generators:
  - list: {elements: [{env: dev}, {env: prod}, {env: qa}]}
  template:
    metadata: {name: '{{ env }}'}
    spec: {project: default, destination: {namespace: '{{env}}'}}
  templatePatch: |
    metadata:
      name: '{{env}}'
      labels: {tier: '{{env}}'}
`, 'dup').replace("'{{env}}'\n      labels", "same\n      labels")), root);
  assert.deepEqual(names(r), ['same']);
  assert.equal(spec(r.applications[0]).destination.namespace, 'dev', 'the first one generated is kept');
  assert.deepEqual(r.notes, [
    'ApplicationSet dup: Argo CD reports: ApplicationSet dup contains applications with duplicate name: same (the first is created, this one is skipped)',
    'ApplicationSet dup: Argo CD reports: ApplicationSet dup contains applications with duplicate name: same (the first is created, this one is skipped)',
  ]);
});

test('per-generator template over spec.template; templatePatch merged over each Application', (t) => {
  const root = repo(t, {});
  const r = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
  - list:
      elements: [{env: dev}]
      template:
        metadata: {name: 'override-{{.env}}'}
        spec:
          project: ''
          destination: {namespace: special}
  templatePatch: |
    spec:
      project: '{{ .env }}-escalated'
      syncPolicy:
        automated: {prune: true}
  template:
    metadata: {name: 'base-{{.env}}'}
    spec:
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: base}
`)), root);
  assert.deepEqual(r.notes, []);
  const a = r.applications[0];
  assert.equal(a.metadata.name, 'override-dev');
  assert.deepEqual(a.spec, { project: 'default', destination: { namespace: 'special', server: 'https://kubernetes.default.svc' }, syncPolicy: { automated: { prune: true } } }, 'a templatePatch cannot change the project');
});

test('generated Applications become Apps like hand-written ones (appsFromArgoApplication)', (t) => {
  const root = repo(t, {
    'apps/web/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n',
    'apps/db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 0.1.0\n',
  });
  const r = expandApplicationSet(appSet(head(`  generators:
  - git:
      repoURL: https://example.com/repo.git
      directories: [{path: 'apps/*'}]
  template:
    metadata: {name: '{{path.basename}}'}
    spec:
      project: default
      source: {repoURL: https://example.com/repo.git, targetRevision: HEAD, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc, namespace: 'ns-{{path.basename}}'}
`)), path.join(root, 'apps'));
  assert.deepEqual(r.notes, []);
  const apps = r.applications.flatMap((a) => appsFromArgoApplication(a, root).apps);
  assert.deepEqual(apps.map((a) => [a.name, path.relative(root, a.path), a.namespace, a.renderer, a.agentObject?.namespace]), [
    ['db', 'apps/db', 'ns-db', 'helm', 'argocd'],
    ['web', 'apps/web', 'ns-web', 'kustomize', 'argocd'],
  ]);
  assert.equal(apps[0].helm?.releaseName, 'db');
});

test('Go number printing and name normalization as Argo CD does them', () => {
  assert.deepEqual([123456, 1000000, 1234567, 1.5, 0.0001, 0.00001, -2, 1e21, 0].map(goFloat), ['123456', '1e+06', '1.234567e+06', '1.5', '0.0001', '1e-05', '-2', '1e+21', '0']);
  assert.equal(sanitizeName('-Dir_2.Name-'), 'dir-2.name');
});

test('git files globbing matches what `git ls-files -- <pattern>` lists (real git)', (t) => {
  const files = ['clusters/dev/config.json', 'clusters/prod/eu/config.json', 'clusters/prod/eu/values.yaml', 'config.json', 'c/x.json', '.github/config.json', 'apps/a b/config.yaml'];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-appset-git-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), '{}');
  }
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['add', '.'], { cwd: root });
  const patterns = ['clusters/*/config.json', '*.json', 'clusters', 'clusters/', 'clusters/prod', '**/config.json', 'c?usters/dev/config.json', 'clusters/[dp]*/config.json', 'clusters/[!d]*', 'c*', '*/*/config.json', 'apps/a b/*', 'config.json', 'clusters/de'];
  for (const pattern of patterns) {
    const git = execFileSync('git', ['ls-files', '--full-name', '-z', '--', pattern], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean).sort();
    const match = gitPathspecMatcher(pattern);
    assert.ok(match, pattern);
    assert.deepEqual(files.filter(match).sort(), git, `pattern ${pattern}`);
  }
});

test('git directories use Go path.Match: [^x] negates, [!x] is a plain class', (t) => {
  const root = repo(t, { 'd/e/a': '', 'd/f/a': '', 'd/!/a': '' });
  const dirs = (pattern: string) => names(expandApplicationSet(appSet(head(`  generators:
  - git: {repoURL: x, directories: [{path: 'd/*'}, {path: '${pattern}', exclude: true}]}
  template:
    metadata: {name: 'x{{path.basename}}'}
    spec: {project: default}
`)), root));
  assert.deepEqual(dirs('d/[^e]'), ['xe']);
  assert.deepEqual(dirs('d/[!e]'), ['xf'], 'd/! and d/e excluded by the class {!, e}; "x!" is no valid name either way');
});

test('more sprig: base, cat, dig (with a default), printf with %s %d', (t) => {
  const root = repo(t, {});
  const r = expandApplicationSet(appSet(head(`  goTemplate: true
  generators:
  - list: {elements: [{cluster: dev, dir: a/b/c, meta: {tier: gold}}]}
  template:
    metadata:
      name: '{{ .cluster }}{{ dig "nameSuffix" "" . }}'
      annotations:
        a: '{{ base .dir }} {{ cat .cluster "x" }} {{ dig "meta" "tier" "none" . }} {{ dig "meta" "zone" "none" . }}'
        b: '{{ printf "%s-%d%%" .cluster 7 }}'
    spec: {project: default}
`)), root);
  assert.deepEqual(r.notes, []);
  assert.equal(r.applications[0].metadata.name, 'dev');
  assert.deepEqual(r.applications[0].metadata.annotations, { a: 'c dev x gold none', b: 'dev-7%' });
});

test('combination generators nest once; nested selectors need spec.applyNestedSelectors; notes name where the set is declared', (t) => {
  const root = repo(t, {});
  const nested = (extra: string, third: string) => head(`${extra}  generators:
  - matrix:
      generators:
      - list: {elements: [{a: '1'}, {a: '2'}]}
      - matrix:
          generators:
          - list: {elements: [{b: x}, {b: y}]}
            selector: {matchLabels: {b: x}}
          - ${third}
  template:
    metadata: {name: 'n-{{a}}-{{b}}{{c}}'}
    spec: {project: default}
`);
  const plain = expandApplicationSet(appSet(nested('', "list: {elements: [{c: ''}]}")), root);
  assert.deepEqual(plain.notes, []);
  assert.deepEqual(names(plain), ['n-1-x', 'n-1-y', 'n-2-x', 'n-2-y'], 'the nested selector is dropped');
  const applied = expandApplicationSet(appSet(nested('  applyNestedSelectors: true\n', "list: {elements: [{c: ''}]}")), root);
  assert.deepEqual(names(applied), ['n-1-x', 'n-2-x']);
  const third = expandApplicationSet(appSet(nested('', "matrix: {generators: [{list: {elements: [{c: '1'}]}}, {list: {elements: [{c: '2'}]}}]}")), root, { where: 'argocd/set.yaml:3' });
  assert.deepEqual(third.applications, []);
  assert.match(third.notes[0], /^ApplicationSet set \(argocd\/set\.yaml:3\): Argo CD reports: .*child generator generated no parameters: not expanded$/);
});

test('discovery: an ApplicationSet in the workspace becomes one app per generated Application, not folder apps too', async (t) => {
  const root = repo(t, {
    'argocd/apps.yaml': head(`  goTemplate: true
  generators:
  - git:
      repoURL: https://example.invalid/repo.git
      revision: HEAD
      directories:
      - path: apps/*
      - path: apps/legacy
        exclude: true
  - clusters: {}
  template:
    metadata:
      name: '{{.path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://example.invalid/repo.git
        targetRevision: HEAD
        path: '{{.path.path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'team-{{.path.basename}}'
`, 'apps'),
    'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
    'apps/api/kustomization.yaml': 'resources:\n  - cm.yaml\n',
    'apps/api/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n',
    'apps/legacy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n',
  });
  const { discoverApps } = await import('../../src/core/manifests/discover');
  const r = await discoverApps(root);
  const byName = new Map(r.apps.map((a) => [a.name, a]));
  assert.deepEqual([...byName.keys()].sort(), ['api', 'legacy', 'web'], 'legacy is excluded from the set, so it is a folder app of its own');
  for (const name of ['api', 'web']) {
    const app = byName.get(name)!;
    assert.equal(app.origin, 'argocd-applicationset');
    assert.equal(app.path, path.join(root, 'apps', name));
    assert.equal(app.namespace, `team-${name}`);
    assert.deepEqual(app.definedAt, { file: path.join(root, 'argocd', 'apps.yaml'), line: 1 });
  }
  assert.equal(byName.get('api')!.renderer, 'kustomize');
  assert.equal(byName.get('legacy')!.origin, 'plain-manifests');
  assert.ok(r.notes.some((n) => /clusters/.test(n) && /argocd\/apps\.yaml:1/.test(n)), r.notes.join('\n'));
  assert.ok(!r.notes.some((n) => /not expanded/.test(n) && !/clusters/.test(n)), r.notes.join('\n'));
});
