// Audit cost on this machine: `npx tsc -p tsconfig.json && node dist/src/audit/broker.bench.js`.
// One file device, entries shaped like a KV v2 write (5–8 HMAC'd strings each). Prints per-pair
// (request + response entry) cost sequentially and with 100 requests in flight (group commit),
// the formatting share alone, and the verifier's speed. Absolute numbers drift on shared machines.
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBackend } from '../storage/memory.js';
import type { Request } from '../framework/types.js';
import { createAuditBroker } from './broker.js';
import { formatRequestEntry, type AuditInput } from './format.js';
import { verifyAuditFiles } from './verify.js';

function input(i: number): AuditInput {
  const request = {
    id: randomUUID(), operation: 'update', path: `data/app${i}`, fullPath: `secret/data/app${i}`,
    mount: {
      path: 'secret/', type: 'kv', accessor: 'kv_1234abcd', uuid: randomUUID(), description: '', options: { version: '2' }, local: false, sealWrap: false,
      config: { defaultLeaseTTL: 0, maxLeaseTTL: 0, forceNoCache: false, auditNonHMACRequestKeys: [], auditNonHMACResponseKeys: [], listingVisibility: '', passthroughRequestHeaders: [], allowedResponseHeaders: [] },
    },
    data: { data: { username: 'app', password: 'correct horse battery staple', port: 5432 } },
    storage: createMemoryBackend(), clientToken: 'hvs.CAESIJ0000000000000000000000000', remoteAddress: '127.0.0.1', headers: {}, wrapTTL: 0,
    token: {
      id: 'x', accessor: 'acc0000000000000000000000', policies: ['default', 'app'], displayName: 'approle', metadata: { role_name: 'app' }, entityId: '',
      type: 'service', cubbyholeId: 'c', path: 'auth/approle/login', creationTime: 1_700_000_000, ttl: 3600, orphan: true, numUses: 0,
    },
  } satisfies Request;
  return { request, response: { data: { created_time: '2024-01-01T00:00:00Z', version: i, destroyed: false } } };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-bench-'));
  try {
    const file = join(dir, 'audit.log');
    const broker = createAuditBroker({ storage: createMemoryBackend(), chainKey: randomBytes(32) });
    await broker.restore();
    await broker.enable('file', { type: 'file', options: { file_path: file } });
    const pair = async (i: number) => {
      const x = input(i);
      await broker.logRequest(x);
      await broker.logResponse(x);
    };
    for (let i = 0; i < 2000; i++) await pair(i); // warm-up
    const n = 10_000;
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await pair(i);
    let ns = Number(process.hrtime.bigint() - t);
    console.log(`sequential: ${(ns / n / 1000).toFixed(1)} µs per request+response pair`);
    t = process.hrtime.bigint();
    for (let b = 0; b < n / 100; b++) await Promise.all(Array.from({ length: 100 }, (_, i) => pair(i)));
    ns = Number(process.hrtime.bigint() - t);
    console.log(`100 in flight: ${(ns / n / 1000).toFixed(1)} µs per pair (${Math.round(n / (ns / 1e9))} pairs/s)`);
    const salt = createSecretKey(Buffer.from(randomUUID()));
    const x = input(1);
    t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) JSON.stringify(formatRequestEntry(x, salt, { logRaw: false, hmacAccessor: true, elideListResponses: false }));
    ns = Number(process.hrtime.bigint() - t);
    console.log(`formatting alone: ${(ns / n / 1000).toFixed(1)} µs per request entry`);
    const key = Buffer.from(broker.chainKeyHex('file'), 'hex');
    await broker.close();
    const size = statSync(file).size;
    t = process.hrtime.bigint();
    const r = await verifyAuditFiles([file], key);
    ns = Number(process.hrtime.bigint() - t);
    console.log(`verify: ${r.ok ? 'ok' : 'FAILED'}, ${r.lines} lines (${(size / 1e6).toFixed(1)} MB) in ${(ns / 1e6).toFixed(0)} ms, ${(ns / r.lines / 1000).toFixed(1)} µs per line`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
