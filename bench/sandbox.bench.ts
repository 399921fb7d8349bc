// Sandbox API server benchmark (`npm run bench`, or `node --import tsx bench/sandbox.bench.ts`).
// Starts the real sandbox (dist/cli.cjs, its own process, loopback HTTPS), creates 2,000 ConfigMaps, then:
//   - GET of single objects: requests/s (keep-alive, 16 in flight)
//   - LIST of all 2,000: lists/s and objects/s (4 in flight)
//   - watch fan-out: N watchers on the collection; for each of K writes, the time from sending the
//     write to each watcher receiving its event (p50 / p95 / max)
// Every loop is bounded; figures are printed as measured.
import https from 'node:https';
import { startSandbox, type Sandbox } from '../test/support/sandbox';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 2000);
const GETS = Number(process.env.BENCH_GETS ?? 5000);
const LISTS = Number(process.env.BENCH_LISTS ?? 40);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 50);
const WRITES = Number(process.env.BENCH_WRITES ?? 30);
const NS = 'bench';

function client(sb: Sandbox) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca: sb.ca });
  return (method: string, path: string, body?: unknown, contentType = 'application/json') => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(`${sb.server}${path}`, {
      method, agent, headers: { authorization: `Bearer ${sb.token}`, ...(text ? { 'content-type': contentType, 'content-length': Buffer.byteLength(text) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

async function pool(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await fn(next++);
  }));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

async function main(): Promise<void> {
  const sb = await startSandbox();
  try {
    const call = client(sb);
    const expect = (r: { status: number; text: string }, code: number) => { if (r.status !== code) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 300)}`); };
    expect(await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }), 201);
    const base = `/api/v1/namespaces/${NS}/configmaps`;

    const createSecs = await pool(OBJECTS, 16, async (i) => {
      expect(await call('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'bench', shard: String(i % 10) } }, data: { index: String(i), payload: 'x'.repeat(200) } }), 201);
    });
    console.log(`sandbox create: ${(OBJECTS / createSecs).toFixed(0)} objects/s (${OBJECTS} ConfigMaps, 16 in flight)`);

    const getSecs = await pool(GETS, 16, async (i) => { expect(await call('GET', `${base}/cm-${(i * 7919) % OBJECTS}`), 200); });
    console.log(`sandbox GET: ${(GETS / getSecs).toFixed(0)} requests/s (${GETS} single-object GETs over ${OBJECTS} objects, 16 in flight)`);

    let listed = 0;
    const listSecs = await pool(LISTS, 4, async () => {
      const r = await call('GET', base);
      expect(r, 200);
      listed += (JSON.parse(r.text).items as unknown[]).length;
    });
    if (listed !== LISTS * OBJECTS) throw new Error(`lists returned ${listed} objects, expected ${LISTS * OBJECTS}`);
    console.log(`sandbox LIST: ${(LISTS / listSecs).toFixed(1)} lists/s of ${OBJECTS} objects = ${(listed / listSecs).toFixed(0)} objects/s (${LISTS} lists, 4 in flight)`);

    // Watch fan-out.
    const rv = JSON.parse((await call('GET', `${base}?limit=1`)).text).metadata.resourceVersion;
    const sentAt = new Map<string, bigint>();
    const latencies: number[] = [];
    let received = 0;
    const requests: ReturnType<typeof https.get>[] = [];
    await Promise.all(Array.from({ length: WATCHERS }, () => new Promise<void>((resolve, reject) => {
      const req = https.get(`${sb.server}${base}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dcm-0`, {
        ca: sb.ca, headers: { authorization: `Bearer ${sb.token}` }, agent: false,
      }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const now = process.hrtime.bigint();
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, i));
            buf = buf.slice(i + 1);
            const t0 = sentAt.get(ev.object?.data?.index);
            if (t0 !== undefined) { latencies.push(Number(now - t0) / 1e6); received++; }
          }
        });
        resolve();
      });
      req.on('error', reject);
      requests.push(req);
    })));
    for (let w = 0; w < WRITES; w++) {
      const marker = `w${w}`;
      sentAt.set(marker, process.hrtime.bigint());
      expect(await call('PATCH', `${base}/cm-0`, { data: { index: marker } }, 'application/merge-patch+json'), 200);
      const end = Date.now() + 5000;
      while (received < (w + 1) * WATCHERS && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const r of requests) r.destroy();
    const expected = WATCHERS * WRITES;
    console.log(`sandbox watch fan-out: ${WATCHERS} watchers x ${WRITES} writes, ${received}/${expected} events delivered; write-to-event latency p50 ${pct(latencies, 50).toFixed(2)} ms, p95 ${pct(latencies, 95).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`);
    if (received !== expected) throw new Error(`watch fan-out lost events: ${received}/${expected}`);
  } finally {
    await sb.stop();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
