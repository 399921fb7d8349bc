import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adoptValueEdit, applyEdit } from '../../src/extension/editor/adoptValue';

function adopt(text: string, line: number, pointer: string, value: unknown): string {
  const r = adoptValueEdit(text, line, pointer, value);
  if ('error' in r) throw new Error(r.error);
  return applyEdit(text, r.edit);
}

const deployment = `# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api   # the api
spec:
  replicas: 3 # keep in sync with HPA
  template:
    spec:
      containers:
        - name: api
          image: "ghcr.io/acme/api:2.1.0"
          args: [--port, '8080']
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  mode: 'fast'
`;

test('replaces only the number, keeping the trailing comment', () => {
  const out = adopt(deployment, 7, '/spec/replicas', 5);
  assert.equal(out, deployment.replace('replicas: 3 # keep', 'replicas: 5 # keep'));
});

test('keeps double quotes on a string', () => {
  const out = adopt(deployment, 12, '/spec/template/spec/containers/0/image', 'ghcr.io/acme/api:2.2.0');
  assert.equal(out, deployment.replace('"ghcr.io/acme/api:2.1.0"', '"ghcr.io/acme/api:2.2.0"'));
});

test('picks the list item by index in a flow sequence', () => {
  const out = adopt(deployment, 13, '/spec/template/spec/containers/0/args/1', '9090');
  assert.equal(out, deployment.replace("[--port, '8080']", "[--port, '9090']"));
});

test('works in the second document and keeps single quotes', () => {
  const out = adopt(deployment, 19, '/data/mode', "it's slow");
  assert.equal(out, deployment.replace("mode: 'fast'", "mode: 'it''s slow'"));
});

test('a plain string that would read back as a number gets quoted', () => {
  const text = 'image:\n  tag: v1\n';
  assert.equal(adopt(text, 2, '/image/tag', '1.10'), "image:\n  tag: \"1.10\"\n");
});

test('matches a Helm values key that differs from the pointer when it is the only value on the line', () => {
  const text = 'replicaCount: 2\nimage:\n  tag: "1.0"\n';
  assert.equal(adopt(text, 1, '/spec/replicas', 4), 'replicaCount: 4\nimage:\n  tag: "1.0"\n');
});

test('refuses maps, absent values, block scalars and lines without a value', () => {
  assert.ok('error' in adoptValueEdit(deployment, 7, '/spec/replicas', { a: 1 }));
  assert.ok('error' in adoptValueEdit(deployment, 7, '/spec/replicas', undefined));
  assert.ok('error' in adoptValueEdit('a: |\n  x\n', 1, '/a', 'y'));
  assert.ok('error' in adoptValueEdit(deployment, 6, '/spec', 1));
});

test('several values on a line and no matching key is an error, not a guess', () => {
  const r = adoptValueEdit('m: {a: 1, b: 2}\n', 1, '/m/c', 3);
  assert.ok('error' in r);
  assert.equal(adopt('m: {a: 1, b: 2}\n', 1, '/m/b', 3), 'm: {a: 1, b: 3}\n');
});
