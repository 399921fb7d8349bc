// Plain GET requests to the API server with the kubeconfig's TLS and credentials (client-node
// applies them to Node's https options), with a timeout. Used for discovery and lists; watches
// go through client-node's Watch.
import http from 'node:http';
import https from 'node:https';
import type { ClusterAccess } from './liteConfig';

/** One keep-alive connection pool per cluster access, at most a few connections wide: a TLS handshake costs
 *  more CPU than the request it opens (a cold diff sent ~13 requests at once = 13 handshakes), and a
 *  reused connection has none. */
const agents = new WeakMap<ClusterAccess, https.Agent>();
const MAX_CONNECTIONS = 4;

function agentFor(kc: ClusterAccess): https.Agent {
  let agent = agents.get(kc);
  if (!agent) agents.set(kc, (agent = new https.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS })));
  return agent;
}

export class KubeHttpError extends Error {
  constructor(message: string, readonly statusCode: number | undefined, readonly reason?: string) {
    super(message);
  }
}

/** Network-level failure (refused, DNS, TLS, timeout): the cluster is unreachable. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof KubeHttpError ? err.statusCode === undefined : true;
}

/** `timeoutMs`: longest silence on the connection (default 30 s); `deadlineMs`: longest whole request
 *  (a server that accepts connections but never answers TLS trips the idle timer only late). */
/** `ownConnection`: not through the pool (a probe must not queue behind lists on a server that hangs). */
export async function kubeGet<T = unknown>(kc: ClusterAccess, apiPath: string, opts: { timeoutMs?: number; deadlineMs?: number; signal?: AbortSignal; ownConnection?: boolean } = {}): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeHttpError('no current cluster in kubeconfig', undefined);
  const url = new URL(cluster.server.replace(/\/$/, '') + apiPath);
  const options: https.RequestOptions = {
    method: 'GET',
    headers: { Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(options);
  const transport = url.protocol === 'http:' ? http : https;
  // A proxy agent from the kubeconfig stays; otherwise the pooled one.
  if (transport === https && !options.agent) options.agent = opts.ownConnection ? false : agentFor(kc);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return await new Promise<T>((resolve, reject) => {
    const req = transport.request(url, { ...options, signal: opts.signal, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(new KubeHttpError(`${url.host}: ${err.message}`, undefined)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) {
          try { resolve(JSON.parse(text) as T); } catch (err) { reject(new KubeHttpError(`GET ${apiPath}: invalid JSON (${(err as Error).message})`, code)); }
          return;
        }
        let message = text.slice(0, 300);
        let reason: string | undefined;
        try {
          const status = JSON.parse(text) as { message?: string; reason?: string };
          message = status.message ?? message;
          reason = status.reason;
        } catch { /* not a Status object */ }
        reject(new KubeHttpError(`GET ${apiPath}: ${code} ${message}`, code, reason));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    if (opts.deadlineMs) {
      const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${opts.deadlineMs} ms`)), opts.deadlineMs);
      req.on('close', () => clearTimeout(deadline));
    }
    req.on('error', (err) => reject(new KubeHttpError(`${url.host}: ${err.message}`, undefined)));
    req.end();
  });
}
