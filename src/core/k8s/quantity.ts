// resource.Quantity as apimachinery parses and prints it (pkg/api/resource/{quantity,amount,suffix}.go),
// so that the sandbox stores what a real API server stores and the engine compares 0.5 with 500m.
// Facts and the test table: /work/shared/k8s-defaults.md §2.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** An exact value: mantissa x 10^exponent (binary suffixes are multiplied out, so everything is decimal). */
export interface ParsedQuantity {
  mantissa: bigint;
  exponent: number;
  format: QuantityFormat;
  /** The input string when apimachinery keeps it verbatim (already canonical). */
  verbatim?: string;
}

export class QuantityError extends Error {}

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_BY_EXP = new Map(Object.entries(BINARY_SUFFIX).map(([s, e]) => [e, s]));
const NANO = -9;
// Fast-path precision limit of int64Amount (maxInt64Factors).
const MAX_INT64_FACTORS = 18;

interface Lexed { positive: boolean; num: string; denom: string; suffix: string }

/** parseQuantityString: sign, digits with leading zeros stripped, optional fraction, suffix. */
function lex(str: string): Lexed {
  let pos = 0;
  let positive = true;
  if (str[0] === '-') { positive = false; pos++; } else if (str[0] === '+') pos++;
  while (pos < str.length && str[pos] === '0') pos++;
  let start = pos;
  while (pos < str.length && str[pos] >= '0' && str[pos] <= '9') pos++;
  const num = str.slice(start, pos) || '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    start = pos;
    while (pos < str.length && str[pos] >= '0' && str[pos] <= '9') pos++;
    denom = str.slice(start, pos);
  }
  return { positive, num, denom, suffix: str.slice(pos) };
}

function interpretSuffix(suffix: string): { base: 10 | 2; exp: number; format: QuantityFormat } {
  if (suffix in DECIMAL_SUFFIX) return { base: 10, exp: DECIMAL_SUFFIX[suffix], format: 'DecimalSI' };
  if (suffix in BINARY_SUFFIX) return { base: 2, exp: BINARY_SUFFIX[suffix], format: 'BinarySI' };
  const m = /^[eE]([+-]?\d+)$/.exec(suffix);
  if (m) return { base: 10, exp: Number(m[1]), format: 'DecimalExponent' };
  throw new QuantityError(`unable to parse quantity's suffix`);
}

/** Numbers arrive from YAML/JSON unquoted (`cpu: 0.5`); print them the way Go's decoder sees them. */
function numberToString(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError('quantities must match the regular expression');
  const s = String(n);
  return s.replace(/e\+/, 'e');
}

export function parseQuantity(input: string | number): ParsedQuantity {
  const str = typeof input === 'number' ? numberToString(input) : String(input).trim();
  if (str.length === 0) throw new QuantityError('quantities must match the regular expression');
  if (str === '0') return { mantissa: 0n, exponent: 0, format: 'DecimalSI', verbatim: '0' };
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/.test(str)) {
    throw new QuantityError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(str)}`);
  }
  const { positive, num, denom, suffix } = lex(str);
  const { base, exp, format } = interpretSuffix(suffix);

  let mantissa = BigInt(num + denom);
  let exponent = -denom.length;
  if (base === 10) exponent += exp;
  else mantissa *= 2n ** BigInt(exp);
  if (!positive) mantissa = -mantissa;

  // Round anything finer than 1n up (away from zero), as apimachinery does.
  if (exponent < NANO && mantissa !== 0n) {
    const div = 10n ** BigInt(NANO - exponent);
    const q = mantissa / div;
    mantissa = mantissa % div === 0n ? q : q + (mantissa > 0n ? 1n : -1n);
    exponent = NANO;
  }

  let fmt = format;
  const abs = mantissa < 0n ? -mantissa : mantissa;
  if (fmt === 'BinarySI' && abs !== 0n && compareAbs(abs, exponent, 1n, 0) < 0) fmt = 'DecimalSI';
  return { mantissa, exponent, format: fmt, verbatim: keptVerbatim(str, positive, num, denom, base, exp, format) };
}

/**
 * ParseQuantity's fast path keeps the caller's string when it is already canonical: decimal with a
 * scale that is a multiple of 3 and no trailing "000" or leading "0"; binary with a whole Ki/Mi/... count
 * not divisible by 8.
 */
function keptVerbatim(str: string, positive: boolean, num: string, denom: string, base: 10 | 2, exp: number,
  format: QuantityFormat): string | undefined {
  let scale: number;
  if (base === 10) {
    if (MAX_INT64_FACTORS - (num.length + denom.length) < 0) return undefined;
    scale = exp;
  } else {
    if (denom.length > 0) return undefined;
    const precision = 15 - num.length - Math.trunc((exp * 3) / 10) - 1;
    if (precision < 0) return undefined;
    scale = 0;
  }
  scale -= denom.length;
  if (scale < NANO) return undefined;
  const shifted = num + denom;
  const value = BigInt(shifted);
  if (value * (base === 2 ? 2n ** BigInt(exp) : 1n) > 9223372036854775807n) return undefined;
  if (format === 'BinarySI') return exp % 10 === 0 && (value & 7n) !== 0n ? str : undefined;
  void positive;
  return scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0' ? str : undefined;
}

/** Compare |a| = am x 10^ae with |b| = bm x 10^be. */
function compareAbs(am: bigint, ae: number, bm: bigint, be: number): number {
  const e = Math.min(ae, be);
  const a = am * 10n ** BigInt(ae - e);
  const b = bm * 10n ** BigInt(be - e);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Move factors of 10 into the exponent, then lower the exponent to a multiple of 3. */
function decimalCanonical(mantissa: bigint, exponent: number): [bigint, number] {
  let m = mantissa;
  let e = exponent;
  while (m !== 0n && m % 10n === 0n) { m /= 10n; e++; }
  while (((e % 3) + 3) % 3 !== 0) { m *= 10n; e--; }
  return [m, e];
}

/** The string apimachinery stores for this quantity. */
export function formatQuantity(q: ParsedQuantity): string {
  if (q.mantissa === 0n) return '0';
  if (q.verbatim !== undefined) return q.verbatim;
  let format = q.format;
  let wholeValue: bigint | undefined;
  if (format === 'BinarySI') {
    const abs = q.mantissa < 0n ? -q.mantissa : q.mantissa;
    if (compareAbs(abs, q.exponent, 1024n, 0) < 0) format = 'DecimalSI';
    else {
      wholeValue = asInteger(q.mantissa, q.exponent);
      if (wholeValue === undefined) format = 'DecimalSI'; // don't lose precision
    }
  }
  if (format === 'BinarySI' && wholeValue !== undefined) {
    let v = wholeValue;
    let e = 0;
    while (e < 60 && v % 1024n === 0n) { v /= 1024n; e += 10; }
    return `${v}${BINARY_BY_EXP.get(e) ?? ''}`;
  }
  const [m, e] = decimalCanonical(q.mantissa, q.exponent);
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  const suffix = DECIMAL_BY_EXP.get(e);
  // Beyond E or below n there is no SI suffix; fall back to an exponent rather than print a wrong value.
  return suffix !== undefined ? `${m}${suffix}` : `${m}e${e}`;
}

function asInteger(mantissa: bigint, exponent: number): bigint | undefined {
  if (exponent >= 0) return mantissa * 10n ** BigInt(exponent);
  const div = 10n ** BigInt(-exponent);
  return mantissa % div === 0n ? mantissa / div : undefined;
}

/** Canonical form of a quantity (throws QuantityError on invalid input): 0.5 -> 500m, 1024Mi -> 1Gi. */
export function canonicalQuantity(q: string | number): string {
  return formatQuantity(parseQuantity(q));
}

/** Like canonicalQuantity but returns the input unchanged when it does not parse. */
export function tryCanonicalQuantity<T>(q: T): T | string {
  if (typeof q !== 'string' && typeof q !== 'number') return q;
  try {
    return canonicalQuantity(q);
  } catch {
    return q;
  }
}

// quantityEquals sees the same few spellings over and over (every container's `cpu: 0.5` against the
// live "500m"): each value's exact number is remembered as a string key, non-quantities as null, in a
// map that is emptied when it grows big.
const valueKeys = new Map<string | number, string | null>();
const VALUE_KEYS_MAX = 1024;

/** A string equal for two quantities exactly when their values are equal (mantissa without trailing
 *  zeros, and exponent); undefined when `v` is not a quantity. */
function valueKey(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  let key = valueKeys.get(v);
  if (key === undefined) {
    try {
      const q = parseQuantity(v);
      let m = q.mantissa;
      let e = q.exponent;
      if (m === 0n) e = 0;
      else while (m % 10n === 0n) { m /= 10n; e++; }
      key = `${m}e${e}`;
    } catch {
      key = null;
    }
    if (valueKeys.size >= VALUE_KEYS_MAX) valueKeys.clear();
    valueKeys.set(v, key);
  }
  return key ?? undefined;
}

/** -1, 0, 1 comparing two quantities by value; throws when either is not a quantity. */
export function compareQuantities(a: string | number, b: string | number): number {
  const pa = parseQuantity(a);
  const pb = parseQuantity(b);
  const e = Math.min(pa.exponent, pb.exponent);
  const x = pa.mantissa * 10n ** BigInt(pa.exponent - e);
  const y = pb.mantissa * 10n ** BigInt(pb.exponent - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Same value as quantities (0.5 == "500m", 1Gi == 1024Mi, 1000 == "1k"). Values that are not both
 * quantities compare with ===.
 */
export function quantityEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ka = valueKey(a);
  const kb = valueKey(b);
  return ka !== undefined && kb !== undefined && ka === kb;
}
