// A documented subset of jq path expressions, enough for Argo CD's `jqPathExpressions`
// (no npm jq library runs offline and synchronously: jq-web is async WebAssembly, node-jq needs
// a binary). Evaluated synchronously to the concrete paths an expression selects.
//
// Supported grammar (pipelines of path terms):
//   .a.b    ."a-b"    .["a/b"]    .a[0]    .a[]    .a[]?    .a?    .
//   select(PATH == LITERAL)   select(PATH != LITERAL)   select(PATH)         (truthiness)
//   select(PATH | startswith("x"))   select(PATH | endswith("x"))   select(PATH | test("regex"))
//   LITERAL: "string", number, true, false, null
// e.g. `.spec.template.spec.containers[] | select(.name == "app") | .image`.
// Anything else throws JqUnsupportedError naming the expression.

export class JqUnsupportedError extends Error {}

type Segment = string | number;
type Step =
  | { op: 'field'; name: string; optional: boolean }
  | { op: 'index'; index: number; optional: boolean }
  | { op: 'iterate'; optional: boolean }
  | { op: 'select'; path: Step[][]; test: Test };
type Test =
  | { kind: 'truthy' }
  | { kind: 'eq' | 'ne'; value: unknown }
  | { kind: 'startswith' | 'endswith' | 'test'; value: string };

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  fail(msg: string): never {
    throw new JqUnsupportedError(`jq expression ${JSON.stringify(this.src)} not supported (${msg} at ${this.pos}); supported: .a.b, .a[], .a[]?, .a[N], select(PATH == LITERAL), pipes`);
  }
  ws(): void { while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++; }
  peek(s: string): boolean { this.ws(); return this.src.startsWith(s, this.pos); }
  eat(s: string): boolean { if (this.peek(s)) { this.pos += s.length; return true; } return false; }
  expect(s: string): void { if (!this.eat(s)) this.fail(`expected '${s}'`); }
  done(): boolean { this.ws(); return this.pos >= this.src.length; }

  /** pipeline := term ('|' term)*  — stops before ')' or a comparison operator. */
  pipeline(): Step[][] {
    const terms: Step[][] = [this.term()];
    while (this.eat('|')) terms.push(this.term());
    return terms;
  }

  term(): Step[] {
    this.ws();
    if (this.eat('select(')) {
      const path = this.pathPipelineForSelect();
      let test: Test = { kind: 'truthy' };
      if (this.eat('==')) test = { kind: 'eq', value: this.literal() };
      else if (this.eat('!=')) test = { kind: 'ne', value: this.literal() };
      this.expect(')');
      return [{ op: 'select', path: path.terms, test: path.fn ?? test }];
    }
    return this.path();
  }

  /** Inside select(): a path, optionally piped into startswith/endswith/test. */
  pathPipelineForSelect(): { terms: Step[][]; fn?: Test } {
    const terms: Step[][] = [this.path()];
    while (this.eat('|')) {
      for (const fn of ['startswith', 'endswith', 'test'] as const) {
        if (this.eat(fn + '(')) {
          const value = this.literal();
          if (typeof value !== 'string') this.fail(`${fn} needs a string`);
          this.expect(')');
          return { terms, fn: { kind: fn, value } };
        }
      }
      terms.push(this.path());
    }
    return { terms };
  }

  path(): Step[] {
    this.ws();
    if (this.src[this.pos] !== '.') this.fail("a path must start with '.'");
    const steps: Step[] = [];
    this.pos++;
    // "." alone is the identity.
    let first = true;
    for (;;) {
      const c = this.src[this.pos];
      if (c === '[') {
        this.pos++;
        this.ws();
        if (this.eat(']')) {
          steps.push({ op: 'iterate', optional: this.optional() });
        } else if (this.src[this.pos] === '"') {
          const name = this.string();
          this.expect(']');
          steps.push({ op: 'field', name, optional: this.optional() });
        } else {
          const m = /^-?\d+/.exec(this.src.slice(this.pos));
          if (!m) this.fail('expected an index');
          this.pos += m[0].length;
          this.expect(']');
          steps.push({ op: 'index', index: Number(m[0]), optional: this.optional() });
        }
      } else if (c === '"' && first) {
        steps.push({ op: 'field', name: this.string(), optional: this.optional() });
      } else if (c !== undefined && /[A-Za-z_]/.test(c) && first) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos))!;
        this.pos += m[0].length;
        steps.push({ op: 'field', name: m[0], optional: this.optional() });
      } else if (c === '.' && !first) {
        this.pos++;
        first = true;
        continue;
      } else {
        break;
      }
      first = false;
    }
    return steps;
  }

  optional(): boolean {
    if (this.src[this.pos] === '?') { this.pos++; return true; }
    return false;
  }

  string(): string {
    const m = /^"(?:[^"\\]|\\.)*"/.exec(this.src.slice(this.pos));
    if (!m) this.fail('bad string');
    this.pos += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  literal(): unknown {
    this.ws();
    if (this.src[this.pos] === '"') return this.string();
    const m = /^(-?\d+(?:\.\d+)?|true|false|null)/.exec(this.src.slice(this.pos));
    if (!m) this.fail('expected a literal');
    this.pos += m[0].length;
    return JSON.parse(m[0]);
  }
}

export interface CompiledJq { source: string; terms: Step[][] }

export function compileJq(expr: string): CompiledJq {
  const p = new Parser(expr);
  const terms = p.pipeline();
  if (!p.done()) p.fail('unexpected input');
  return { source: expr, terms };
}

interface Item { value: unknown; path: Segment[] }

function applySteps(items: Item[], steps: Step[]): Item[] {
  let cur = items;
  for (const step of steps) {
    const next: Item[] = [];
    for (const it of cur) {
      const v = it.value;
      switch (step.op) {
        case 'field':
          if (v && typeof v === 'object' && !Array.isArray(v)) {
            next.push({ value: (v as Record<string, unknown>)[step.name], path: [...it.path, step.name] });
          } else if (v === null || v === undefined) {
            next.push({ value: undefined, path: [...it.path, step.name] });
          } // else: jq error (cannot index); `?` or not, the path selects nothing here.
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            next.push({ value: v[i], path: [...it.path, i] });
          }
          break;
        case 'iterate':
          if (Array.isArray(v)) v.forEach((x, i) => next.push({ value: x, path: [...it.path, i] }));
          else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) next.push({ value: x, path: [...it.path, k] });
          break;
        case 'select': {
          let sub: Item[] = [{ value: v, path: [] }];
          for (const t of step.path) sub = applySteps(sub, t);
          if (sub.some((s) => passes(s.value, step.test))) next.push(it);
          break;
        }
      }
    }
    cur = next;
  }
  return cur;
}

function passes(value: unknown, test: Test): boolean {
  switch (test.kind) {
    case 'truthy': return value !== null && value !== undefined && value !== false;
    case 'eq': return JSON.stringify(value ?? null) === JSON.stringify(test.value);
    case 'ne': return JSON.stringify(value ?? null) !== JSON.stringify(test.value);
    case 'startswith': return typeof value === 'string' && value.startsWith(test.value);
    case 'endswith': return typeof value === 'string' && value.endsWith(test.value);
    case 'test': return typeof value === 'string' && new RegExp(test.value).test(value);
  }
}

/** The concrete paths (as segments) an expression selects in `obj` that exist there. */
export function jqPaths(expr: CompiledJq | string, obj: unknown): Segment[][] {
  const compiled = typeof expr === 'string' ? compileJq(expr) : expr;
  let items: Item[] = [{ value: obj, path: [] }];
  for (const t of compiled.terms) items = applySteps(items, t);
  return items.filter((it) => it.value !== undefined).map((it) => it.path);
}
