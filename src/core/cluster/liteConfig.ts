// A small kubeconfig reader for one-shot runs (the CLI): token, token file, basic auth, client
// certificate and CA, from files or inline data, merged across $KUBECONFIG like kubectl. It spares
// the CLI client-node's start-up (~0.5-1 s); anything it does not handle (exec plugins, auth
// providers, proxies) returns undefined and the caller uses client-node's KubeConfig instead.
import fs from 'node:fs';
import type https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parseDocuments } from '../manifests/yamlSource';
import type { LoadKubeConfigOptions } from './kubeconfig';

/** What the HTTP helpers need from a kubeconfig; client-node's KubeConfig has the same shape. */
export interface ClusterAccess {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

type Named<T> = { name: string } & Record<string, T>;
type Rec = Record<string, unknown>;

function readData(inline: unknown, file: unknown, dir: string): Buffer | undefined {
  if (typeof inline === 'string' && inline) return Buffer.from(inline, 'base64');
  if (typeof file === 'string' && file) return fs.readFileSync(path.resolve(dir, file));
  return undefined;
}

export function loadLiteKubeConfig(opts: LoadKubeConfigOptions): { kc: ClusterAccess; context: string; server: string; namespace?: string; source: string } | undefined {
  const source = opts.kubeconfig || process.env.KUBECONFIG || path.join(os.homedir(), '.kube', 'config');
  const files = (opts.kubeconfig ? [opts.kubeconfig] : source.split(path.delimiter)).filter((f) => f && fs.existsSync(f));
  if (!files.length) return undefined; // client-node's loader words the error
  const clusters = new Map<string, { cfg: Rec; dir: string }>();
  const users = new Map<string, { cfg: Rec; dir: string }>();
  const contexts = new Map<string, Rec>();
  let current: string | undefined;
  try {
    for (const file of files) {
      // The manifests' fast YAML path (already loaded by a diff): the yaml package only if it must.
      const parsed = parseDocuments(fs.readFileSync(file, 'utf8'), file);
      if (parsed.errors.length || parsed.docs.length > 1) return undefined; // client-node's loader words the error
      const doc = parsed.docs[0]?.value as Rec | null | undefined;
      if (!doc || typeof doc !== 'object') continue;
      const dir = path.dirname(path.resolve(file));
      for (const c of (doc.clusters as Named<Rec>[] | undefined) ?? []) if (c?.name && !clusters.has(c.name)) clusters.set(c.name, { cfg: (c.cluster ?? {}) as Rec, dir });
      for (const u of (doc.users as Named<Rec>[] | undefined) ?? []) if (u?.name && !users.has(u.name)) users.set(u.name, { cfg: (u.user ?? {}) as Rec, dir });
      for (const c of (doc.contexts as Named<Rec>[] | undefined) ?? []) if (c?.name && !contexts.has(c.name)) contexts.set(c.name, (c.context ?? {}) as Rec);
      if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) current = doc['current-context'];
    }
  } catch {
    return undefined;
  }
  const context = opts.context || current;
  const ctx = context ? contexts.get(context) : undefined;
  if (!context || !ctx) return undefined;
  const cluster = clusters.get(String(ctx.cluster ?? ''));
  const user = users.get(String(ctx.user ?? '')) ?? { cfg: {}, dir: '' };
  if (!cluster || typeof cluster.cfg.server !== 'string') return undefined;
  const u = user.cfg;
  if (u.exec || u['auth-provider'] || cluster.cfg['proxy-url']) return undefined;
  let ca: Buffer | undefined, cert: Buffer | undefined, key: Buffer | undefined;
  try {
    ca = readData(cluster.cfg['certificate-authority-data'], cluster.cfg['certificate-authority'], cluster.dir);
    cert = readData(u['client-certificate-data'], u['client-certificate'], user.dir);
    key = readData(u['client-key-data'], u['client-key'], user.dir);
  } catch {
    return undefined;
  }
  const server = cluster.cfg.server;
  const insecure = cluster.cfg['insecure-skip-tls-verify'] === true;
  const serverName = typeof cluster.cfg['tls-server-name'] === 'string' ? cluster.cfg['tls-server-name'] : undefined;
  const tokenFile = typeof u.tokenFile === 'string' ? path.resolve(user.dir, u.tokenFile) : undefined;
  const kc: ClusterAccess = {
    getCurrentCluster: () => ({ server }),
    async applyToHTTPSOptions(o) {
      if (ca) o.ca = ca;
      if (cert) o.cert = cert;
      if (key) o.key = key;
      if (insecure) o.rejectUnauthorized = false;
      if (serverName) o.servername = serverName;
      const headers = (o.headers ?? {}) as Record<string, string>;
      const token = typeof u.token === 'string' && u.token ? u.token : tokenFile ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined;
      if (token) headers.Authorization = `Bearer ${token}`;
      else if (typeof u.username === 'string' && typeof u.password === 'string') headers.Authorization = `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
      o.headers = headers;
    },
  };
  return { kc, context, server, namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined, source };
}
