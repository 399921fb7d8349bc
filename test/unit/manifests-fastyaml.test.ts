// The fast YAML path must agree with the `yaml` package exactly (values and field lines), and fall
// back to it for everything it does not handle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocuments } from '../../src/core/manifests/yamlSource';
import { FALLBACK, fastParseDocument, resolvePlain } from '../../src/core/manifests/fastYaml';
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

test('fuzz: mutated manifests never throw, and whenever the fast path accepts a document it agrees with the yaml package', { skip: corpusMissing() }, () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = [' ', '  ', '-', '- ', ': ', ':', '#', ' #', '"', "'", '|', '>', '{', '}', '[', ']', ',', '\t', '&a', '*a', '!', '?', '\n', '---\n', 'x', '1', '\\', '|-', '>+'];
  const sources = yamlFiles(path.join(corpusDir, 'argocd-example-apps')).slice(0, 40).map((f) => fs.readFileSync(f, 'utf8'));
  let accepted = 0;
  for (let round = 0; round < 600; round++) {
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
