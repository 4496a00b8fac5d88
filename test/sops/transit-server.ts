// A minimal transit engine on loopback for tests: PUT/POST /v1/<mount>/encrypt|decrypt/<key>,
// X-Vault-Token checked, ciphertexts `vault:v1:<base64(iv|ct|tag)>` under a random AES-256-GCM key.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TransitServer {
  address: string;
  requests: { method: string; url: string; token: string | undefined; namespace: string | undefined }[];
  close(): Promise<void>;
}

export async function startTransitServer(token: string): Promise<TransitServer> {
  const key = randomBytes(32);
  const requests: TransitServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const t = req.headers['x-vault-token'] as string | undefined;
      requests.push({ method: req.method ?? '', url: req.url ?? '', token: t, namespace: req.headers['x-vault-namespace'] as string | undefined });
      const reply = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (t !== token) return reply(403, { errors: ['permission denied'] });
      const m = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/.exec(req.url ?? '');
      if (!m || (req.method !== 'PUT' && req.method !== 'POST')) return reply(404, { errors: [] });
      const data = JSON.parse(body || '{}') as { plaintext?: string; ciphertext?: string };
      if (m[2] === 'encrypt') {
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', key, iv);
        const ct = Buffer.concat([c.update(Buffer.from(data.plaintext ?? '', 'base64')), c.final()]);
        return reply(200, { data: { ciphertext: `vault:v1:${Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64')}`, key_version: 1 } });
      }
      try {
        const raw = Buffer.from((data.ciphertext ?? '').replace(/^vault:v1:/, ''), 'base64');
        const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        d.setAuthTag(raw.subarray(raw.length - 16));
        const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
        return reply(200, { data: { plaintext: pt.toString('base64') } });
      } catch {
        return reply(400, { errors: ['cipher: message authentication failed'] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
