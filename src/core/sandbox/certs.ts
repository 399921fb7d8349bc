// A self-signed CA and a serving certificate for 127.0.0.1/localhost, made with openssl (kubectl only
// sends a bearer token over verified HTTPS). Cached in `dir` when given, so a restarted sandbox keeps
// the CA its kubeconfig already trusts.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SandboxCerts { caCert: string; serverCert: string; serverKey: string }

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl not found on PATH: the sandbox needs it to make its TLS certificate (install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

export async function ensureCerts(dir?: string): Promise<SandboxCerts> {
  const target = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-pki-'));
  fs.mkdirSync(target, { recursive: true });
  const file = (n: string) => path.join(target, n);
  if (dir && ['ca.crt', 'server.crt', 'server.key'].every((n) => fs.existsSync(file(n)))) {
    return { caCert: fs.readFileSync(file('ca.crt'), 'utf8'), serverCert: fs.readFileSync(file('server.crt'), 'utf8'), serverKey: fs.readFileSync(file('server.key'), 'utf8') };
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=gitops-workbench-sandbox-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], target);
  await openssl(['req', ...ec, '-keyout', 'server.key.tmp', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], target);
  fs.writeFileSync(file('server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt.tmp', '-days', '3650', '-extfile', 'server.ext'], target);
  // Rename last so a half-made set is never taken for a cached one.
  fs.renameSync(file('server.key.tmp'), file('server.key'));
  fs.renameSync(file('server.crt.tmp'), file('server.crt'));
  const certs = { caCert: fs.readFileSync(file('ca.crt'), 'utf8'), serverCert: fs.readFileSync(file('server.crt'), 'utf8'), serverKey: fs.readFileSync(file('server.key'), 'utf8') };
  if (!dir) fs.rmSync(target, { recursive: true, force: true });
  return certs;
}
