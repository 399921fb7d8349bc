// Tag bumps change only the tag's characters, across the YAML styles people write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanYamlImages, type ImageDeclaration } from '../../src/core/git/yamlImages';
import { bumpTagInText, TagEditError } from '../../src/core/git/tagEdit';
import { isValidReference, isValidTag, normalizeImageName, parseImageReference, sameImageName, tagProblem } from '../../src/core/git/reference';

function only(decls: ImageDeclaration[], pred: (d: ImageDeclaration) => boolean = () => true): ImageDeclaration {
  const found = decls.filter(pred);
  assert.equal(found.length, 1, `expected one declaration, got ${JSON.stringify(found.map((d) => [d.kind, d.pointer, d.tag]))}`);
  return found[0];
}

/** The edit touches one line, and on it only the tag (the rest of the line is identical). */
function assertOnlyTagChanged(before: string, after: string, oldTag: string, newTag: string): void {
  const b = before.split('\n');
  const a = after.split('\n');
  assert.equal(a.length, b.length, 'line count changed');
  const changed = b.map((line, i) => [line, a[i]] as const).filter(([x, y]) => x !== y);
  assert.equal(changed.length, 1, 'exactly one line differs');
  const [x, y] = changed[0];
  const at = x.lastIndexOf(oldTag);
  assert.equal(y, x.slice(0, at) + newTag + x.slice(at + oldTag.length));
}

const deployment = `# web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the name
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: "busybox:1.36"   # quoted, double
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2 # trailing comment kept
        - {name: side, image: 'registry.local:5000/tools/side:0.9'}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: >-
                folded/not-edited:1.0
            - name: job2
              image: nightly/job@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`;

test('container images in any workload kind, init containers, CronJob templates, flow maps', () => {
  const decls = scanYamlImages(deployment, '/r/app.yaml');
  const byPtr = Object.fromEntries(decls.map((d) => [`${d.docIndex}${d.pointer}`, d]));
  assert.equal(byPtr['0/spec/template/spec/initContainers/0/image'].tag, '1.36');
  assert.equal(byPtr['0/spec/template/spec/containers/0/image'].image, 'ghcr.io/acme/web');
  assert.equal(byPtr['0/spec/template/spec/containers/0/image'].line, 14);
  assert.equal(byPtr['0/spec/template/spec/containers/1/image'].image, 'registry.local:5000/tools/side');
  assert.equal(byPtr['0/spec/template/spec/containers/1/image'].tag, '0.9');
  assert.equal(byPtr['1/spec/jobTemplate/spec/template/spec/containers/1/image'].tag, undefined);
  assert.match(byPtr['1/spec/jobTemplate/spec/template/spec/containers/1/image'].digest ?? '', /^sha256:/);
  // A folded block scalar is not edited (its written form is not its value).
  assert.equal(byPtr['1/spec/jobTemplate/spec/template/spec/containers/0/image'], undefined);
  assert.equal(byPtr['0/spec/template/spec/containers/0/image'].owner, 'Deployment/web');
});

test('plain scalar with a trailing comment: only the tag changes', () => {
  const decl = only(scanYamlImages(deployment, '/r/app.yaml'), (d) => d.image === 'ghcr.io/acme/web');
  const { text } = bumpTagInText(deployment, decl, '1.5.0');
  assertOnlyTagChanged(deployment, text, '1.4.2', '1.5.0');
  assert.match(text, /image: ghcr\.io\/acme\/web:1\.5\.0 # trailing comment kept\n/);
});

test('double- and single-quoted scalars keep their quotes; a port in the registry is not the tag', () => {
  const decls = scanYamlImages(deployment, '/r/app.yaml');
  const busy = bumpTagInText(deployment, only(decls, (d) => d.image === 'busybox'), '1.37').text;
  assert.match(busy, /image: "busybox:1\.37"   # quoted, double/);
  assertOnlyTagChanged(deployment, busy, '1.36', '1.37');
  const side = bumpTagInText(deployment, only(decls, (d) => d.image.endsWith('/side')), '1.0.0-rc.1').text;
  assert.match(side, /- \{name: side, image: 'registry\.local:5000\/tools\/side:1\.0\.0-rc\.1'\}/);
});

test('CRLF files and --- separators survive byte for byte', () => {
  const crlf = deployment.replace(/\n/g, '\r\n');
  const decl = only(scanYamlImages(crlf, '/r/app.yaml'), (d) => d.image === 'ghcr.io/acme/web');
  const { text } = bumpTagInText(crlf, decl, '2.0.0');
  assert.equal(text, crlf.replace('ghcr.io/acme/web:1.4.2', 'ghcr.io/acme/web:2.0.0'));
  assert.equal(text.split('\r\n---\r\n').length, 2);
  assert.ok(!/[^\r]\n/.test(text), 'no bare LF introduced');
});

test('a digest-pinned image is refused with a reason', () => {
  const text = 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n';
  const decl = only(scanYamlImages(text, '/r/pod.yaml'));
  assert.equal(decl.tag, '1.25');
  assert.throws(() => bumpTagInText(text, decl, '1.26'), (e: Error) => e instanceof TagEditError && /digest/.test(e.message));
});

test('kustomize images: newTag edited, name and newName both answer', () => {
  const text = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/acme/api
    newName: registry.acme.io/api   # mirror
    newTag: "2.1.0"
  - name: redis
    newTag: 7.2 # keep
  - name: nginx
    newName: nginx-unprivileged
`;
  const decls = scanYamlImages(text, '/r/overlays/prod/kustomization.yaml');
  assert.equal(decls.length, 3);
  const api = only(decls, (d) => d.names.includes('ghcr.io/acme/api'));
  assert.deepEqual(api.names, ['registry.acme.io/api', 'ghcr.io/acme/api']);
  assert.equal(api.kind, 'kustomize-images');
  assert.equal(api.line, 8);
  const bumped = bumpTagInText(text, api, '2.2.0').text;
  assertOnlyTagChanged(text, bumped, '2.1.0', '2.2.0');
  assert.match(bumped, /newTag: "2\.2\.0"\n/);
  const redis = bumpTagInText(text, only(decls, (d) => d.image === 'redis'), '7.4.1').text;
  assert.match(redis, /newTag: 7\.4\.1 # keep\n/);
  assert.equal(only(decls, (d) => d.image === 'nginx-unprivileged').tag, undefined);
});

test('helm values: image.tag, <x>.image.tag, registry+repository, imageTag, image: repo:tag, numbers keep their written form', () => {
  const text = `# chart defaults
replicaCount: 2
image:
  repository: ghcr.io/acme/api
  tag: "2.1.0"   # bumped by CI
  pullPolicy: IfNotPresent
worker:
  image:
    registry: docker.io
    repository: acme/worker
    tag: 1.10
legacy:
  image: quay.io/acme/legacy
  imageTag: v3
sidecar:
  image: "ghcr.io/acme/sidecar:0.3.1"
templated:
  image: "{{ .Values.global.registry }}/x:1"
`;
  const decls = scanYamlImages(text, '/r/chart/values.yaml', { values: true });
  const get = (key: string) => only(decls, (d) => d.valuesKey === key);
  assert.equal(get('image.tag').image, 'ghcr.io/acme/api');
  assert.equal(get('image.tag').tag, '2.1.0');
  assert.equal(get('worker.image.tag').image, 'docker.io/acme/worker');
  assert.equal(get('worker.image.tag').tag, '1.10', 'the written form, not the number 1.1');
  assert.equal(get('legacy.imageTag').image, 'quay.io/acme/legacy');
  assert.equal(get('sidecar.image').tag, '0.3.1');
  assert.equal(decls.length, 4, 'the templated reference is not a declaration');
  const a = bumpTagInText(text, get('image.tag'), '2.2.0', { values: true }).text;
  assertOnlyTagChanged(text, a, '2.1.0', '2.2.0');
  assert.match(a, /  tag: "2\.2\.0"   # bumped by CI\n/);
  const w = bumpTagInText(text, get('worker.image.tag'), '1.11', { values: true }).text;
  assertOnlyTagChanged(text, w, '1.10', '1.11');
  // `imageTag: v3` -> 4.0 would turn into a number in the chart: quoted, and said so.
  const l = bumpTagInText(text, get('legacy.imageTag'), '4.0', { values: true });
  assert.match(l.text, /  imageTag: "4\.0"\n/);
  assert.match(l.edit.note ?? '', /number/);
  assert.equal(bumpTagInText(text, get('legacy.imageTag'), 'v4', { values: true }).edit.note, undefined);
});

test('HelmRelease spec.values and Argo CD Application kustomize.images / helm.parameters', () => {
  const text = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: apps}
spec:
  values:
    image:
      repository: ghcr.io/stefanprodan/podinfo
      tag: 6.5.0
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: argocd}
spec:
  source:
    repoURL: https://example/repo.git
    path: guestbook
    kustomize:
      images:
        - gcr.io/heptio-images/ks-guestbook-demo:0.2   # pinned
        - old/name=new/name:1.0
    helm:
      parameters:
        - name: image.repository
          value: ghcr.io/acme/api
        - name: image.tag
          value: "2.1.0"
`;
  const decls = scanYamlImages(text, '/r/apps.yaml');
  const hr = only(decls, (d) => d.owner === 'HelmRelease/podinfo');
  assert.equal(hr.kind, 'helm-values');
  assert.equal(hr.image, 'ghcr.io/stefanprodan/podinfo');
  const ks = only(decls, (d) => d.image === 'gcr.io/heptio-images/ks-guestbook-demo');
  assert.equal(ks.kind, 'argocd-kustomize-images');
  const renamed = only(decls, (d) => d.names.includes('old/name'));
  assert.equal(renamed.image, 'new/name');
  assert.equal(renamed.tag, '1.0');
  const param = only(decls, (d) => d.kind === 'argocd-helm-parameter');
  assert.equal(param.image, 'ghcr.io/acme/api');
  assert.equal(param.valuesKey, 'image.tag');
  for (const [d, t] of [[ks, '0.3'], [renamed, '1.1'], [param, '2.2.0'], [hr, '6.6.0']] as const) {
    assertOnlyTagChanged(text, bumpTagInText(text, d, t).text, d.tag!, t);
  }
  assert.match(bumpTagInText(text, renamed, '1.1').text, /- old\/name=new\/name:1\.1\n/);
});

test('Flux setter markers: whole reference, :tag with :name, on values keys no other rule knows', () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: podinfo}
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "flux-system:podinfo"}
---
appImage:
  repo: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}
  version: "1.2.3" # {"$imagepolicy": "flux-system:app:tag"}
`;
  const decls = scanYamlImages(text, '/r/deploy.yaml');
  const whole = only(decls, (d) => d.image === 'ghcr.io/stefanprodan/podinfo');
  assert.equal(whole.kind, 'container');
  assert.equal(whole.setter, 'flux-system:podinfo');
  const tagOnly = only(decls, (d) => d.kind === 'flux-setter');
  assert.equal(tagOnly.image, 'ghcr.io/acme/app');
  assert.equal(tagOnly.tag, '1.2.3');
  assert.equal(tagOnly.setter, 'flux-system:app:tag');
  const out = bumpTagInText(text, tagOnly, '1.3.0').text;
  assertOnlyTagChanged(text, out, '1.2.3', '1.3.0');
  assert.match(out, /version: "1\.3\.0" # \{"\$imagepolicy": "flux-system:app:tag"\}/);
  const out2 = bumpTagInText(text, whole, '6.6.0').text;
  assert.match(out2, /podinfo:6\.6\.0 # \{"\$imagepolicy": "flux-system:podinfo"\}/);
});

test('a stale declaration (file changed since the scan) is refused', () => {
  const decl = only(scanYamlImages(deployment, '/r/app.yaml'), (d) => d.image === 'ghcr.io/acme/web');
  assert.throws(() => bumpTagInText(deployment.replace('1.4.2', '1.4.3'), decl, '1.5.0'), /changed since it was read/);
});

test('Docker reference grammar', () => {
  for (const t of ['1.0', 'v1.2.3-rc.1', 'latest', '_x', 'A'.repeat(128), '2024_01_01']) assert.ok(isValidTag(t), t);
  for (const t of ['', '.1', '-x', 'a/b', 'a:b', 'A'.repeat(129), 'with space', '1.0@sha']) assert.ok(!isValidTag(t), t);
  assert.match(tagProblem('-rc') ?? '', /not a valid image tag/);
  assert.match(tagProblem('x'.repeat(200)) ?? '', /200 characters/);
  assert.deepEqual(parseImageReference('localhost:5000/a/b:1.2'), { name: 'localhost:5000/a/b', tag: '1.2', digest: undefined, tagOffset: 19 });
  assert.deepEqual(parseImageReference('localhost:5000/a/b'), { name: 'localhost:5000/a/b', digest: undefined });
  assert.ok(isValidReference('ghcr.io/acme/api:2.1.0'));
  assert.ok(isValidReference('nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'));
  assert.ok(!isValidReference('Ghcr/Upper:1'));
  assert.ok(!isValidReference('ghcr.io/acme/api:-bad'));
  assert.equal(normalizeImageName('nginx'), 'docker.io/library/nginx');
  assert.equal(normalizeImageName('index.docker.io/library/nginx'), 'docker.io/library/nginx');
  assert.ok(sameImageName('bitnami/redis', 'docker.io/bitnami/redis'));
  assert.ok(!sameImageName('ghcr.io/acme/api', 'acme/api'));
});
