// The fast YAML path must agree with the `yaml` package exactly (values and field lines), and fall
// back to it for everything it does not handle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LazyFieldSources, parseDocuments, parseManifests, setIfAbsent } from '../../src/core/manifests/yamlSource';
import type { ParsedDocument } from '../../src/core/manifests/yamlSource';
import { FALLBACK, fastParseDocument, leanParseDocument, leanScan, resolvePlain } from '../../src/core/manifests/fastYaml';
import type { SourceLocation } from '../../src/core/model';
import { corpusDir, corpusMissing, projectRoot } from '../support/tools';

function same(text: string, label: string): void {
  const fast = parseDocuments(text, '/f.yaml');
  const slow = parseDocuments(text, '/f.yaml', { fast: false });
  assert.deepEqual(fast.errors.map((e) => e.line), slow.errors.map((e) => e.line), `${label}: error lines`);
  assert.equal(fast.docs.length, slow.docs.length, `${label}: document count`);
  fast.docs.forEach((d, i) => {
    assert.deepEqual(d.value, slow.docs[i].value, `${label}: doc ${i} value`);
    assert.equal(d.line, slow.docs[i].line, `${label}: doc ${i} line`);
    assert.deepEqual(Object.fromEntries(d.fieldSources), Object.fromEntries(slow.docs[i].fieldSources), `${label}: doc ${i} field lines`);
  });
}

/** Documents whose field sources are still to compute (they took the values-only path). */
const lazyCount = (docs: ParsedDocument[]) => docs.filter((d) => d.fieldSources instanceof LazyFieldSources && d.fieldSources.pendingParse).length;

/** The default path (values only, lazy field sources) must give what the eager path gives: errors,
 *  values (key order included) and, once read, the same field sources in the same order. */
function sameAsEager(text: string, label: string): number {
  const eager = parseDocuments(text, '/f.yaml', { lazy: false });
  const lazy = parseDocuments(text, '/f.yaml');
  const pending = lazyCount(lazy.docs);
  assert.deepEqual(lazy.errors, eager.errors, `${label}: errors`);
  assert.equal(lazy.docs.length, eager.docs.length, `${label}: document count`);
  lazy.docs.forEach((d, i) => {
    assert.deepEqual(d.value, eager.docs[i].value, `${label}: doc ${i} value`);
    assert.deepEqual(JSON.stringify(d.value), JSON.stringify(eager.docs[i].value), `${label}: doc ${i} key order`);
    assert.equal(d.line, eager.docs[i].line, `${label}: doc ${i} line`);
    assert.deepEqual([...d.fieldSources], [...eager.docs[i].fieldSources], `${label}: doc ${i} field sources`);
  });
  return pending;
}

const onFastPath = (text: string) => fastParseDocument(text.split('\n'), 1, '/f.yaml', true) !== FALLBACK;

test('fast path agrees with the yaml package on hand-written cases', () => {
  const cases: Record<string, string> = {
    scalars: 'a: 1\nb: 1.5\nc: true\nd: ~\ne:\nf: "q\\tx\\u00e9"\ng: \'it\'\'s\'\nh: 0x1F\ni: 0o17\nj: .inf\nk: -.5e3\nl: 1.0\nm: 007\nn: yes\no: 12:30\np: "#x"\nq: a#b\nr: x # comment\ns: "a: b"\nt: http://x:80/y\n',
    nesting: 'a:\n  b:\n    - 1\n    - x: 2\n      y: [3, "4", {z: 5}]\n    -   deep: 1\n        deeper: 2\n  c: {}\n  d: []\nlist:\n- a\n- b\n',
    blocks: 'a: |\n  line1\n   indented\n\n  line3\nb: |-\n  stripped\nc: |+\n  kept\n\nd: >\n  folded\n  text\n\n  para\ne: >-\n  x\n  y\nf: |2\n    two\ng: end\n',
    seqBlocks: 'args:\n  - |\n    one\n  - >-\n    two\n    three\n  - plain\n',
    nullsInSeq: 'a:\n  - x: \n    y: 1\n  - k:\n      v: 2\n',
    comments: '# top\na: 1 # c\n# mid\nb:\n  # inside\n  c: 2\n\n\nd: "x" # c\n',
    quotedKeys: '"a.b": 1\n\'c d\': 2\n"e": {"f": 3}\n',
    numericKeys: '80: http\n1.0: x\ntrue: y\n',
    crlf: 'a: 1\r\nb:\r\n  c: 2\r\n',
    indentedRoot: '  a: 1\n  b: 2\n',
    scalarOnNextLine: 'a:\n  3\nb:\n  "q"\n',
    emptyDocs: '---\n---\n# c\n---\na: 1\n...\n---\nb: 2\n',
    noFinalNewline: 'a: |\n  x',
  };
  for (const [label, text] of Object.entries(cases)) same(text, label);
});

test('unsupported constructs fall back to the yaml package (and still agree with it)', () => {
  const cases: Record<string, string> = {
    anchors: 'a: &x {b: 1}\nc: *x\n',
    merge: 'a: &x {b: 1}\nc:\n  <<: *x\n',
    tags: 'a: !!str 1\n',
    multilineFlow: 'a: {b: 1,\n  c: 2}\n',
    multilinePlain: 'a: one\n  two\n',
    multilineQuoted: 'a: "one\n  two"\n',
    duplicate: 'a: 1\na: 2\n',
    directive: '%YAML 1.2\n---\na: 1\n',
    tabs: 'a:\n\tb: 1\n',
    complexKey: '? a\n: b\n',
    broken: 'a: [1, 2\nb: 3\n',
    badIndent: 'a:\n    b: 1\n  c: 2\n',
    nestedCompactSeq: '- - a\n  - b\n',
    emptyItem: 'a:\n  -\n  - b\n',
  };
  for (const [label, text] of Object.entries(cases)) same(text, label);
  assert.ok(!onFastPath(cases.anchors) && !onFastPath(cases.multilinePlain) && !onFastPath(cases.duplicate));
  assert.ok(onFastPath('a: {b: 1}\nc: [1, 2]\n'));
});

test('core schema resolution of plain scalars', () => {
  assert.equal(resolvePlain('null'), null);
  assert.equal(resolvePlain(''), null);
  assert.equal(resolvePlain('True'), true);
  assert.equal(resolvePlain('yes'), 'yes');
  assert.equal(resolvePlain('012'), 12);
  assert.equal(resolvePlain('1e3'), 1000);
  assert.equal(resolvePlain('1.2.3'), '1.2.3');
  assert.equal(resolvePlain('500m'), '500m');
});

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'templates' && !e.name.startsWith('.') && e.name !== 'node_modules') yamlFiles(p, out);
    } else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

test('fast path agrees with the yaml package on every YAML file of the fixtures and the corpus', { skip: corpusMissing() }, () => {
  const files = [...yamlFiles(path.join(projectRoot, 'test/fixtures')), ...yamlFiles(corpusDir)];
  let fastDocs = 0;
  let total = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    same(text, path.relative(projectRoot, file));
    for (const doc of text.split(/^---.*$/m)) {
      if (!doc.trim()) continue;
      total++;
      if (fastParseDocument(doc.split('\n'), 1, file, true) !== FALLBACK) fastDocs++;
    }
  }
  assert.ok(files.length > 50, `${files.length} files`);
  assert.ok(fastDocs / total > 0.9, `only ${fastDocs}/${total} documents on the fast path`);
});

/** Corpus files with 1-3 random edits each (insert a YAML-significant piece, cut a few characters, drop a
 *  line), from a fixed seed: the same rounds on every run. */
function* mutatedCorpus(seed: number, rounds: number, files: number, pieces: string[]): Generator<[number, string]> {
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const sources = yamlFiles(path.join(corpusDir, 'argocd-example-apps')).slice(0, files).map((f) => fs.readFileSync(f, 'utf8'));
  for (let round = 0; round < rounds; round++) {
    let text = sources[rand(sources.length)];
    for (let m = 0, n = 1 + rand(3); m < n; m++) {
      const at = rand(text.length + 1);
      const op = rand(3);
      if (op === 0) text = text.slice(0, at) + pieces[rand(pieces.length)] + text.slice(at);
      else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(4));
      else {
        const lines = text.split('\n');
        lines.splice(rand(lines.length), 1);
        text = lines.join('\n');
      }
    }
    yield [round, text];
  }
}

test('fuzz: mutated manifests never throw, and whenever the fast path accepts a document it agrees with the yaml package', { skip: corpusMissing() }, () => {
  let accepted = 0;
  for (const [round, text] of mutatedCorpus(42, 600, 40, [' ', '  ', '-', '- ', ': ', ':', '#', ' #', '"', "'", '|', '>', '{', '}', '[', ']', ',', '\t', '&a', '*a', '!', '?', '\n', '---\n', 'x', '1', '\\', '|-', '>+'])) {
    assert.doesNotThrow(() => parseDocuments(text, '/f.yaml'), `round ${round}`);
    const fast = parseDocuments(text, '/f.yaml');
    const slow = parseDocuments(text, '/f.yaml', { fast: false });
    // invalid YAML must stay invalid (the fast path never accepts what the yaml package rejects)
    assert.deepEqual(fast.errors.map((e) => e.line), slow.errors.map((e) => e.line), `round ${round} errors: ${JSON.stringify(text.slice(0, 600))}`);
    // a document the fast path accepted must read exactly as the yaml package reads it
    if (fast.errors.length === 0 && slow.errors.length === 0) {
      assert.deepEqual(fast.docs.map((d) => d.value), slow.docs.map((d) => d.value), `round ${round}: ${JSON.stringify(text.slice(0, 400))}`);
      assert.deepEqual(fast.docs.map((d) => Object.fromEntries(d.fieldSources)), slow.docs.map((d) => Object.fromEntries(d.fieldSources)), `round ${round} lines`);
      accepted++;
    }
  }
  assert.ok(accepted > 100, `${accepted} valid mutants compared`);
});

// ---- values-only path and lazy field sources ----

const handWritten: Record<string, string> = {
  fleetDeployment: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-1\n  namespace: fleet-0\n  labels:\n    app: svc-1\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example/fleet/svc-1:1.0.1\n          ports:\n            - containerPort: 8080\n          env:\n            - name: APP\n              value: "0"\n          resources:\n            limits:\n              cpu: 0.5\n              memory: 256Mi\n',
  scalars: 'a: 1\nb: 1.5\nc: true\nd: ~\ne:\nf: "q x"\ng: \'it s\'\nh: 0x1F\ni: 0o17\nj: .inf\nk: -.5e3\nl: 1.0\nm: 007\nn: yes\no: 12:30\np: "#x"\nq: a#b\nr: x # comment\ns: "a: b"\nt: http://x:80/y\nu: null\nv: Null\nw: nul\nx: ""\ny: \'\'\nz: -x\n',
  sequenceAfterKey: 'z: -\n',
  keys: '80: http\n1.0: x\ntrue: y\nnull: z\n"q:k": 1\n\'s k\': 2\na b: 3\nk~/x: 6\n',
  inheritedKeys: 'constructor: 4\ntoString: 5\n',
  comments: '# top\na: 1 # c\n# mid\nb:\n  # inside\n  c: 2\t# tab comment\n\n\nd: "x" # c\ne: [] # empty\nf: {}\ng: a #b: c\nh: #just a comment\n  i: 1\n',
  sequences: 'a:\n- 1\n- x: 2\n  y: 3\n-   deep: 1\n    deeper: 2\n- # comment\n  k: v\nb:\n  - c\n  -  "d"\n',
  nestedCompact: 'b:\n  - - nested\n',
  compact: 'list:\n  - name: a\n    value: "1"\n  - name: b\n\n    value: \'2\'\n  -\n    name: c\n',
  crlf: 'a: 1\r\nb:\r\n  c: 2 \r\n  d: "x"\r\n',
  strayCr: 'a: 1\rb: 2\n',
  multiDoc: '---\n---\n# c\n---\na: 1\n...\n---\nb: 2\n--- # c\nc: [1, 2]\n---\nd: |\n  block\n',
  markers: 'a: 1\n---x: 2\n...x\n',
  afterEnd: 'a: 1\n...\nb: 2\n',
  blockScalars: 'a: |\n  line1\n   indented\n\n  # not a comment\n  line3\nb: >-\n  x\n  y\n\n  z\nc: |2\n    two\nd: > # c\n  f\ne: 1\n',
  blockChomping: 'a: |+\n  kept\n\n\nb: |-\n  stripped\n\nc: |\n\nd: >+\n  x\n',
  blockInSequence: 'args:\n  - |\n    one\n  - >-\n    two\n    three\n  - plain\nlist:\n- name: a\n  script: |\n    echo hi\n- name: b\n',
  blockCrlf: 'a: |\r\n  x\r\n  y \r\n\r\nb: 1\r\n',
  blockBeforeMarker: 'a: |\n  x\n\n---\nb: |+\n  y\n\n',
  blockAtEndWithoutNewline: 'a: |\n  x',
  foldedMoreIndented: 'a: >\n  x\n    y\n  z\n',
  scalarOnNextLine: 'a:\n  3\nb:\n  "q" # c\nannotations:\n    {}\n    # kubernetes.io/ingress.class: nginx\nlist:\n  -\n    x\n',
  blockHeaderAlone: 'a:\n  |\n  x\n',
  flow: 'a: {b: 1, c: [2, 3]}\nd: [x, "y"] # c\ne: { }\nf: [ ]\ng:\n  - {name: a, value: "1"}\n  - [1, {x: y}]\nh: {"q": \'s\', k: }\n',
  brokenFlow: 'a: [1, 2\nb: 3\n',
  unicode: 'a: caf\u00e9\nb: "\u00a0"\nc: x\u00a0\n',
  tabs: 'a:\n\tb: 1\n',
  trailingBlanks: 'a: 1   \nb:\t\n  c: x\t \n',
  noFinalNewline: 'a: 1\nb: x',
  indentedRoot: '  a: 1\n  b: 2\n',
  rootSequence: '- a\n- b: 1\n',
  rootScalar: 'just text\n',
  duplicate: 'a: 1\na: 2\n',
  proto: '__proto__: 1\nb: 2\n',
  errors: 'a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n',
  anchors: 'a: &x {b: 1}\nc: *x\n',
  escapes: 'a: "x\\"y"\nb: "\\u00e9"\nc: "q\\tx"\n',
  quoteEscape: 'g: \'it\'\'s\'\nh: \'a\'\'b\' # c\ni: "\\"q\\"" #c\n',
  escapedKey: '"a\\"b": 1\n',
  badIndent: 'a:\n    b: 1\n  c: 2\n',
  continuation: 'a: one\n  two\nb: 1\n',
  colonValue: 'a: b: c\n',
  directive: '%YAML 1.2\n---\na: 1\n',
  mergeKey: 'a: &x {b: 1}\nc:\n  <<: *x\n',
  list: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: one\n',
};

test('the values-only path with lazy field sources agrees with the eager path on hand-written cases', () => {
  let pending = 0;
  for (const [label, text] of Object.entries(handWritten)) pending += sameAsEager(text, label);
  assert.ok(pending >= 15, `only ${pending} documents took the values-only path`);
  // documents it must take, and ones it must leave to the eager path
  const lean = (text: string) => lazyCount(parseDocuments(text, '/f.yaml').docs);
  assert.equal(lean(handWritten.fleetDeployment), 1);
  assert.equal(lean(handWritten.crlf), 1);
  assert.equal(lean(handWritten.compact), 1);
  for (const label of ['scalars', 'keys', 'comments', 'sequences', 'trailingBlanks', 'noFinalNewline', 'indentedRoot', 'rootSequence', 'list', 'flow', 'escapes', 'quoteEscape', 'blockScalars', 'blockChomping', 'blockInSequence', 'blockCrlf', 'rootScalar', 'scalarOnNextLine']) assert.equal(lean(handWritten[label]), 1, label);
  assert.equal(lean(handWritten.blockBeforeMarker), 2);
  assert.equal(parseDocuments('~\n---\nnull\n', '/f.yaml').docs.length, 0, 'null documents are skipped');
  assert.equal(lean(handWritten.multiDoc), 4);
  assert.equal(lean(handWritten.errors), 2, 'the broken document goes the eager way');
  for (const label of ['blockAtEndWithoutNewline', 'foldedMoreIndented', 'unicode', 'tabs', 'strayCr', 'duplicate', 'proto', 'inheritedKeys', 'nestedCompact', 'anchors', 'blockHeaderAlone', 'directive', 'afterEnd', 'continuation', 'escapedKey', 'brokenFlow']) {
    assert.equal(lean(handWritten[label]), 0, label);
  }
});

test('leanParseDocument: FALLBACK for what it leaves to the other paths, undefined for empty documents', () => {
  const one = (text: string) => {
    const f = leanScan(text)!;
    return leanParseDocument(f, f.segments[0], f.segments[1]);
  };
  assert.deepEqual(one('a:\n  - b: 1\n    c: x y\n'), { a: [{ b: 1, c: 'x y' }] });
  assert.equal(one('# only a comment\n\n'), undefined);
  assert.deepEqual(one('a: {b: 1, c: [x, "y"]}\nd: "\\t\\u00e9"\ne: \'it\'\'s\'\n'), { a: { b: 1, c: ['x', 'y'] }, d: '\t\u00e9', e: "it's" });
  assert.deepEqual(one('a: |\n  x\n  # y\nb: >-\n  p\n  q\n'), { a: 'x\n# y\n', b: 'p q' });
  assert.equal(one('x\n'), 'x');
  for (const text of ['a: |\n  x', 'a: {b: 1\n', 'a: "x\n  y"\n', 'a: 1\n  b\n', 'a:\n  x\n  y\n', 'a: [1] x\n', '? a\n: b\n', 'a:\n  -\n', '"a\\"b": 1\n']) {
    assert.equal(one(text), FALLBACK, JSON.stringify(text));
  }
  assert.equal(leanScan('a: caf\u00e9\n'), undefined, 'non-ASCII: the eager path for the whole file');
  assert.equal(leanScan('%YAML 1.2\n---\na: 1\n'), undefined);
  assert.deepEqual(leanScan('a: 1\n---\nb: 2\n...\n')!.segments, [0, 1, 2, 3]);
  const f = leanScan('a: 1\n')!;
  leanScan('b: 2\n');
  assert.throws(() => leanParseDocument(f, 0, 1), /not the file scanned last/);
});

test('lazy field sources: reads compute them; writes before that are replayed in order', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n';
  const fresh = () => {
    const fs_ = parseManifests(text, '/f.yaml').objects[0].fieldSources;
    assert.ok(fs_ instanceof LazyFieldSources && fs_.pendingParse);
    return fs_ as LazyFieldSources;
  };
  const eager = parseManifests(text, '/f.yaml', { lazy: false }).objects[0].fieldSources;
  const at = (line: number): SourceLocation => ({ file: '/app.yaml', line });
  // every read method computes them
  const reads: [string, (m: Map<string, SourceLocation>) => unknown][] = [
    ['get', (m) => m.get('/data/k')], ['has', (m) => m.has('/data/k')], ['size', (m) => m.size],
    ['forEach', (m) => { const out: string[] = []; m.forEach((_, k) => out.push(k)); return out; }],
    ['keys', (m) => [...m.keys()]], ['values', (m) => [...m.values()]], ['entries', (m) => [...m.entries()]],
    ['iterator', (m) => [...m]], ['fromEntries', (m) => Object.fromEntries(m)], ['spread into a Map', (m) => [...new Map(m)]],
  ];
  for (const [name, read] of reads) {
    const m = fresh();
    assert.deepEqual(read(m), read(eager), name);
    assert.equal(m.pendingParse, false, name);
  }
  // set / setIfAbsent before the first read: same map as the same calls on the eager one
  const writes = (m: Map<string, SourceLocation>) => {
    m.set('/metadata/name', at(1)); // existing key: keeps its place, new value
    setIfAbsent(m, '/metadata/namespace', at(2)); // absent: added at the end
    setIfAbsent(m, '/data/k', at(3)); // present: unchanged
    m.set('/extra', at(4));
    m.set('/extra', at(5));
    return m;
  };
  const m = fresh();
  writes(m);
  assert.equal(m.pendingParse, true, 'writes do not compute the sources');
  const expected = writes(new Map(eager));
  assert.deepEqual([...m], [...expected]);
  // after the first read, writes go straight through
  writes(m);
  writes(expected);
  assert.deepEqual([...m], [...expected]);
  // delete and clear
  const d = fresh();
  assert.equal(d.delete('/data/k'), true);
  assert.equal(d.has('/data/k'), false);
  assert.equal(d.size, eager.size - 1);
  const c = fresh();
  c.set('/x', at(1));
  c.clear();
  assert.equal(c.size, 0);
  c.set('/y', at(2));
  assert.deepEqual([...c], [['/y', at(2)]]);
  // setIfAbsent on a plain Map
  const plain = new Map<string, SourceLocation>([['/a', at(1)]]);
  setIfAbsent(plain, '/a', at(2));
  setIfAbsent(plain, '/b', at(3));
  assert.deepEqual([...plain], [['/a', at(1)], ['/b', at(3)]]);
});

test('lazy field sources of a document in a multi-document CRLF file, and of one left to the yaml package', () => {
  const text = '# head\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: b\r\ndata:\r\n  k: v # c\r\n';
  const lazy = parseManifests(text, '/f.yaml');
  const eager = parseManifests(text, '/f.yaml', { lazy: false });
  assert.equal(lazyCount(lazy.objects.map((o) => ({ value: o.object, line: o.source.line, fieldSources: o.fieldSources }))), 2);
  assert.equal(lazy.objects[1].fieldSources.get('/data/k')?.line, 12);
  assert.deepEqual(lazy.objects.map((o) => [...o.fieldSources]), eager.objects.map((o) => [...o.fieldSources]));
  assert.deepEqual(lazy.objects.map((o) => o.source), eager.objects.map((o) => o.source));
});

test('a file of 70,000 lines (the line table grows, and is dropped for the next file) reads as on the eager path', () => {
  const doc = (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n  labels:\n    app: a${i % 7}\ndata:\n${Array.from({ length: 26 }, (_, k) => `  k${k}: "v${i}-${k}" # c`).join('\n')}\n`;
  const big = Array.from({ length: 2100 }, (_, i) => doc(i)).join('---\n');
  assert.ok(big.split('\n').length > 70_000);
  assert.equal(sameAsEager(big, 'big'), 2100);
  assert.equal(sameAsEager(handWritten.fleetDeployment, 'after big'), 1);
});

test('values-only path agrees with the eager path on every YAML file of the fixtures and the corpus', { skip: corpusMissing() }, () => {
  const files = [...yamlFiles(path.join(projectRoot, 'test/fixtures')), ...yamlFiles(corpusDir)];
  let pending = 0;
  let total = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    pending += sameAsEager(text, path.relative(projectRoot, file));
    total += parseDocuments(text, file).docs.length;
    // CRLF copies too
    if (!text.includes('\r')) pending += sameAsEager(text.replace(/\n/g, '\r\n'), `${path.relative(projectRoot, file)} (CRLF)`);
  }
  assert.ok(pending / 2 / total > 0.5, `only ${pending / 2}/${total} documents on the values-only path`);
});

test('fuzz: mutated manifests read the same on the values-only path as on the eager path', { skip: corpusMissing() }, () => {
  let pending = 0;
  for (const [round, text] of mutatedCorpus(7, 1500, 60, [' ', '  ', '-', '- ', ': ', ':', '#', ' #', '"', "'", '|', '>', '{', '}', '[', ']', '{}', '[]', ',', '\t', '&a', '*a', '!', '?', '\n', '\r\n', '\r', '---\n', '...\n', 'x', '1', '\\', '~', 'null', 'a: b', '\u00e9', '<<: '])) {
    pending += sameAsEager(text, `round ${round}: ${JSON.stringify(text.slice(0, 300))}`);
  }
  assert.ok(pending > 500, `${pending} mutated documents on the values-only path`);
});
