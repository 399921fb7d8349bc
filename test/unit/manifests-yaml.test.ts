import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineIndex, parseDocuments, parseManifests } from '../../src/core/manifests/yamlSource';
import { FALLBACK, fastParseDocument } from '../../src/core/manifests/fastYaml';
import { globMatch } from '../../src/core/manifests/glob';
import { isNamespaced, crdScopes } from '../../src/core/manifests/scope';

const F = '/ws/app.yaml';
const lineOf = (m: Map<string, { line: number }>, p: string) => m.get(p)?.line;

test('LineIndex maps offsets to 1-based lines', () => {
  const idx = new LineIndex('a\nbc\n\nd');
  assert.equal(idx.lineOf(0), 1);
  assert.equal(idx.lineOf(1), 1); // the newline belongs to its line
  assert.equal(idx.lineOf(2), 2);
  assert.equal(idx.lineOf(5), 3);
  assert.equal(idx.lineOf(6), 4);
  assert.equal(idx.offsetOf(4), 6);
  assert.equal(idx.lineCount, 4);
});

test('every field maps to the line of its value; block values to their key', () => {
  const text = [
    '# leading comment',        // 1
    'apiVersion: apps/v1',      // 2
    'kind: Deployment',         // 3
    'metadata:',                // 4
    '  name: web',              // 5
    '  labels: {app: web,',     // 6
    '    tier: front}',         // 7
    'spec:',                    // 8
    '  replicas:',              // 9
    '    3',                    // 10
    '  template:',              // 11
    '    spec:',                // 12
    '      containers:',        // 13
    '        - name: app',      // 14
    '          image: nginx:1', // 15
    '          args:',          // 16
    '          - a',            // 17
    '          - |',            // 18
    '            multi',        // 19
    '            line',         // 20
    '          command: >-',    // 21
    '            folded',       // 22
  ].join('\n');
  const { objects, errors } = parseManifests(text, F);
  assert.deepEqual(errors, []);
  assert.equal(objects.length, 1);
  const { object, source, fieldSources } = objects[0];
  assert.deepEqual(source, { file: F, line: 2 });
  assert.equal(lineOf(fieldSources, ''), 2);
  assert.equal(lineOf(fieldSources, '/metadata'), 4);
  assert.equal(lineOf(fieldSources, '/metadata/name'), 5);
  assert.equal(lineOf(fieldSources, '/metadata/labels'), 6, 'flow map starts on its key line');
  assert.equal(lineOf(fieldSources, '/metadata/labels/app'), 6);
  assert.equal(lineOf(fieldSources, '/metadata/labels/tier'), 7);
  assert.equal(lineOf(fieldSources, '/spec/replicas'), 10, 'a scalar on the next line is mapped to where it is written');
  assert.equal(lineOf(fieldSources, '/spec/template/spec/containers'), 13);
  assert.equal(lineOf(fieldSources, '/spec/template/spec/containers/0'), 14);
  assert.equal(lineOf(fieldSources, '/spec/template/spec/containers/0/image'), 15);
  assert.equal(lineOf(fieldSources, '/spec/template/spec/containers/0/args/0'), 17);
  assert.equal(lineOf(fieldSources, '/spec/template/spec/containers/0/args/1'), 18, 'block scalar item: the line of its indicator');
  assert.equal(lineOf(fieldSources, '/spec/template/spec/containers/0/command'), 21, 'block scalar value: its key line');
  const c = (object.spec as any).template.spec.containers[0];
  assert.equal(c.args[1], 'multi\nline\n');
  assert.equal(c.command, 'folded');
  assert.equal(fieldSources.get('/metadata/name')?.file, F);
});

test('multi-document: empty and non-Kubernetes documents are skipped, lines stay absolute', () => {
  const text = [
    '---',                      // 1
    '---',                      // 2
    'foo: bar',                 // 3  not Kubernetes
    '---',                      // 4
    '# only a comment',         // 5
    '---',                      // 6
    'apiVersion: v1',           // 7
    'kind: ConfigMap',          // 8
    'metadata:',                // 9
    '  name: a',                // 10
    'data:',                    // 11
    '  k: "v"',                 // 12
    '...',                      // 13
    '---',                      // 14
    'apiVersion: v1',           // 15
    'kind: Secret',             // 16
    'metadata: {name: b}',      // 17
    'stringData: {pw: x}',      // 18
  ].join('\n');
  const { objects, errors } = parseManifests(text, F);
  assert.deepEqual(errors, []);
  assert.deepEqual(objects.map((o) => [o.object.kind, o.object.metadata.name, o.source.line]), [['ConfigMap', 'a', 7], ['Secret', 'b', 15]]);
  assert.equal(lineOf(objects[0].fieldSources, '/data/k'), 12);
  assert.equal(lineOf(objects[1].fieldSources, '/stringData/pw'), 18);
});

test('List kinds expand into their items with item-relative pointers', () => {
  const text = [
    'apiVersion: v1',           // 1
    'kind: List',               // 2
    'items:',                   // 3
    '- apiVersion: v1',         // 4
    '  kind: ConfigMap',        // 5
    '  metadata:',              // 6
    '    name: one',            // 7
    '- apiVersion: v1',         // 8
    '  kind: ServiceList',      // 9  a nested *List without items is an object
    '  metadata: {name: two}',  // 10
  ].join('\n');
  const { objects } = parseManifests(text, F);
  assert.deepEqual(objects.map((o) => o.object.metadata.name), ['one', 'two']);
  assert.equal(objects[0].source.line, 4);
  assert.equal(lineOf(objects[0].fieldSources, '/metadata/name'), 7);
  assert.equal(lineOf(objects[1].fieldSources, '/metadata/name'), 10);
});

test('malformed YAML gives a per-document error with its line and never throws; other documents survive', () => {
  const text = [
    'apiVersion: v1',           // 1
    'kind: ConfigMap',          // 2
    'metadata: {name: good}',   // 3
    '---',                      // 4
    'apiVersion: v1',           // 5
    'kind: ConfigMap',          // 6
    'metadata:',                // 7
    '  name: bad',              // 8
    'data:',                    // 9
    '  a: [1, 2',               // 10
    '---',                      // 11
    'apiVersion: v1',           // 12
    'kind: ConfigMap',          // 13
    'metadata: {name: also-good}', // 14
    'data: {x: 1, x: 2}',       // 15 duplicate key
  ].join('\n');
  const { objects, errors } = parseManifests(text, F);
  assert.deepEqual(objects.map((o) => o.object.metadata.name), ['good']);
  assert.equal(errors.length, 2);
  assert.ok(errors[0].line === 10 || errors[0].line === 11, `line ${errors[0].line}: where the parser notices the unclosed [`);
  assert.match(errors[0].message, /flow sequence|\]/i);
  assert.equal(errors[1].line, 15);
  assert.match(errors[1].message, /unique|duplicate/i);
  // garbage of every kind never throws
  for (const junk of ['\t\tkey: : :', '{', '- [', 'a: *missing', '%YAML 9.9\n---\nx', '\u0000\u0001', '"unterminated']) {
    assert.doesNotThrow(() => parseManifests(junk, F));
  }
});

test('anchors, aliases and merge keys resolve; aliased values point at the alias', () => {
  const text = [
    'apiVersion: v1',           // 1
    'kind: ConfigMap',          // 2
    'metadata:',                // 3
    '  name: x',                // 4
    '  labels: &labels',        // 5
    '    app: web',             // 6
    '  annotations: *labels',   // 7
    'data:',                    // 8
    '  base: &b {a: "1", b: "2"}', // 9
    '  merged:',                // 10
    '    <<: *b',               // 11
    '    b: "3"',               // 12
  ].join('\n');
  const { objects, errors } = parseManifests(text, F);
  assert.deepEqual(errors, []);
  const { object, fieldSources } = objects[0];
  assert.deepEqual(object.metadata.annotations, { app: 'web' });
  assert.equal(lineOf(fieldSources, '/metadata/annotations'), 7);
  assert.deepEqual((object as any).data.merged, { a: '1', b: '3' });
  assert.equal(lineOf(fieldSources, '/data/merged/b'), 12, 'own key wins over the merged one');
  assert.equal(lineOf(fieldSources, '/data/merged/a'), 9, 'merged key: where the anchor wrote it');
});

test('keys with / and ~ are escaped in pointers; JSON documents parse too', () => {
  const text = '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "j", "annotations": {"a.io/x~y": "1"}}}';
  const { objects } = parseManifests(text, F);
  assert.equal(lineOf(objects[0].fieldSources, '/metadata/annotations/a.io~1x~0y'), 2);
});

test('parseDocuments keeps non-Kubernetes documents (values files, kustomizations)', () => {
  const { docs, errors } = parseDocuments('image:\n  tag: "1.0"\n', '/v.yaml');
  assert.deepEqual(errors, []);
  assert.deepEqual(docs[0].value, { image: { tag: '1.0' } });
  assert.equal(docs[0].fieldSources.get('/image/tag')?.line, 2);
});

test('a 5,000-line manifest file takes the fast path for every document (speed itself: npm run bench)', () => {
  const doc = (i: number) => [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: app-${i}`, '  labels: {app: web, tier: front}',
    'spec:', '  replicas: 2', '  template:', '    spec:', '      containers:', '        - name: app',
    `          image: "nginx:1.${i}"`, '          env:', '            - name: A', '              value: "1"',
    '          args:', '            - |', '              multi', '          resources:',
    '            limits: {cpu: 500m, memory: 128Mi} # comment',
  ].join('\n');
  const text = Array.from({ length: 250 }, (_, i) => doc(i)).join('\n---\n');
  assert.ok(text.split('\n').length >= 5000);
  const segments = text.split('\n---\n');
  let line = 1;
  for (const seg of segments) {
    assert.notEqual(fastParseDocument(seg.split('\n'), line, F, true), FALLBACK);
    line += seg.split('\n').length + 1;
  }
  const r = parseManifests(text, F);
  assert.equal(r.objects.length, 250);
  assert.equal(r.objects[249].fieldSources.get('/spec/template/spec/containers/0/image')?.line, 249 * 21 + 12);
});

test('directory globs: *, **, ?, {a,b}; patterns without a slash also match the file name', () => {
  assert.ok(globMatch('*.yaml', 'a.yaml'));
  assert.ok(globMatch('*.yaml', 'sub/a.yaml'), 'basename match');
  assert.ok(!globMatch('sub/*.yaml', 'sub/deeper/a.yaml'));
  assert.ok(globMatch('sub/**/*.yaml', 'sub/deeper/a.yaml'));
  assert.ok(globMatch('sub/**/*.yaml', 'sub/a.yaml'));
  assert.ok(globMatch('{a,b}.yaml', 'b.yaml'));
  assert.ok(!globMatch('{a,b}.yaml', 'c.yaml'));
  assert.ok(globMatch('?.yml', 'x.yml'));
  assert.ok(!globMatch('*.yaml', 'a.yml'));
});

test('cluster-scoped kinds stay unnamespaced; CRDs declare their own scope', () => {
  assert.equal(isNamespaced({ apiVersion: 'v1', kind: 'Namespace' }), false);
  assert.equal(isNamespaced({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }), false);
  assert.equal(isNamespaced({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer' }), false);
  assert.equal(isNamespaced({ apiVersion: 'apps/v1', kind: 'Deployment' }), true);
  assert.equal(isNamespaced({ apiVersion: 'example.com/v1', kind: 'Widget' }), true);
  const crds = crdScopes([{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' }, spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Gadget' } } }]);
  assert.equal(isNamespaced({ apiVersion: 'example.com/v1', kind: 'Gadget' }, crds), false);
});
