// Decoding of the protobuf bodies kubectl 1.32+ sends for its generators (`kubectl create namespace`,
// `create configmap`, `create secret generic`, `create serviceaccount`): the `k8s\0` envelope
// (runtime.Unknown) around the typed message. Only these kinds' fields are known (field numbers from
// k8s.io/api core/v1 and apimachinery meta/v1 generated.proto); any other kind answers 415.

type Field = { name: string; type: 'string' | 'bytes' | 'int' | 'bool' | 'stringMap' | 'bytesMap' | 'strings' | 'message' | 'messages'; message?: Schema };
type Schema = Record<number, Field>;

const OWNER_REF: Schema = {
  1: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' }, 6: { name: 'controller', type: 'bool' }, 7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' }, 11: { name: 'labels', type: 'stringMap' }, 12: { name: 'annotations', type: 'stringMap' },
  13: { name: 'ownerReferences', type: 'messages', message: OWNER_REF }, 14: { name: 'finalizers', type: 'strings' },
};
const NAME_REF: Schema = { 1: { name: 'name', type: 'string' } };
const OBJECT_REF: Schema = { 1: { name: 'kind', type: 'string' }, 2: { name: 'namespace', type: 'string' }, 3: { name: 'name', type: 'string' }, 5: { name: 'apiVersion', type: 'string' } };
const meta = { name: 'metadata', type: 'message', message: OBJECT_META } as const;

const KINDS: Record<string, Schema> = {
  Namespace: { 1: meta, 2: { name: 'spec', type: 'message', message: { 1: { name: 'finalizers', type: 'strings' } } } },
  ConfigMap: { 1: meta, 2: { name: 'data', type: 'stringMap' }, 3: { name: 'binaryData', type: 'bytesMap' }, 4: { name: 'immutable', type: 'bool' } },
  Secret: { 1: meta, 2: { name: 'data', type: 'bytesMap' }, 3: { name: 'type', type: 'string' }, 4: { name: 'stringData', type: 'stringMap' }, 5: { name: 'immutable', type: 'bool' } },
  ServiceAccount: { 1: meta, 2: { name: 'secrets', type: 'messages', message: OBJECT_REF }, 3: { name: 'imagePullSecrets', type: 'messages', message: NAME_REF },
    4: { name: 'automountServiceAccountToken', type: 'bool' } },
};

const ENVELOPE: Schema = {
  1: { name: 'typeMeta', type: 'message', message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  2: { name: 'raw', type: 'bytes' },
};

export class ProtobufError extends Error {}

/** Raw fields of one message: field number -> values (varints as numbers, length-delimited as Buffers). */
function fields(buf: Buffer): Map<number, (number | Buffer)[]> {
  const out = new Map<number, (number | Buffer)[]>();
  let pos = 0;
  const varint = (): number => {
    let result = 0; let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new ProtobufError('truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    let value: number | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) { const len = varint(); value = buf.subarray(pos, pos + len); pos += len; }
    else if (wire === 1) { value = 0; pos += 8; }
    else if (wire === 5) { value = 0; pos += 4; }
    else throw new ProtobufError(`unsupported wire type ${wire}`);
    out.set(num, [...(out.get(num) ?? []), value]);
  }
  return out;
}

function decode(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [num, values] of fields(buf)) {
    const f = schema[num];
    if (!f) continue;
    const last = values[values.length - 1];
    const asBuf = (v: number | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));
    switch (f.type) {
      case 'string': out[f.name] = asBuf(last).toString('utf8'); break;
      case 'bytes': out[f.name] = asBuf(last); break;
      case 'int': out[f.name] = Number(last); break;
      case 'bool': out[f.name] = Number(last) !== 0; break;
      case 'strings': out[f.name] = values.map((v) => asBuf(v).toString('utf8')); break;
      case 'message': out[f.name] = decode(asBuf(last), f.message!); break;
      case 'messages': out[f.name] = values.map((v) => decode(asBuf(v), f.message!)); break;
      case 'stringMap':
      case 'bytesMap': {
        const map: Record<string, string> = {};
        for (const v of values) {
          const entry = fields(asBuf(v));
          const key = asBuf(entry.get(1)?.[0] ?? Buffer.alloc(0)).toString('utf8');
          const val = asBuf(entry.get(2)?.[0] ?? Buffer.alloc(0));
          map[key] = f.type === 'bytesMap' ? val.toString('base64') : val.toString('utf8');
        }
        out[f.name] = map;
        break;
      }
    }
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The JSON form of a protobuf request body, or undefined when its kind is not one this decoder knows. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('missing k8s protobuf envelope');
  const env = decode(body.subarray(4), ENVELOPE) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Buffer };
  const kind = env.typeMeta?.kind ?? '';
  const schema = KINDS[kind];
  if (!schema || !env.raw) return undefined;
  return { apiVersion: env.typeMeta?.apiVersion ?? 'v1', kind, ...decode(env.raw, schema) };
}
