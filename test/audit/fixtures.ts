// Shared fixtures for the audit tests: a temp directory, requests with canary secrets, a broker.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditBroker, type AuditBrokerOptions } from '../../src/audit/broker.js';
import type { AuditInput } from '../../src/audit/format.js';
import type { Request } from '../../src/framework/types.js';
import { mapStorage, testMount, testToken } from '../helpers/backend.js';

export const CANARY_TOKEN = 'hvs.CANARYTOKEN0123456789abcdef';
export const CANARY_ACCESSOR = 'CANARYACCESSOR0000xyz';
export const CANARY_SECRET = 'canary-password-7f3a91c2';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function testRequest(overrides: Partial<Request> = {}): Request {
  const mount = testMount('secret/', 'kv', { version: '2' });
  return {
    id: randomUUID(), operation: 'update', path: 'data/app', fullPath: 'secret/data/app', mount,
    data: { data: { password: CANARY_SECRET, port: 5432, tls: true, tags: ['a', CANARY_SECRET] } },
    storage: mapStorage(), clientToken: CANARY_TOKEN,
    token: testToken({ accessor: CANARY_ACCESSOR, displayName: 'userpass-bob', policies: ['default', 'app'], metadata: { username: 'bob' } }),
    remoteAddress: '127.0.0.1', headers: { 'x-vault-token': CANARY_TOKEN, 'user-agent': 'test' }, wrapTTL: 0,
    ...overrides,
  };
}

export function testInput(i = 0): AuditInput {
  const request = testRequest({ path: `data/app${i}`, fullPath: `secret/data/app${i}` });
  return {
    request,
    response: { data: { data: { password: CANARY_SECRET, n: i }, metadata: { version: 1 } }, warnings: [] },
  };
}

export function testBroker(extra: Partial<AuditBrokerOptions> = {}) {
  const storage = mapStorage();
  const chainKey = new Uint8Array(randomBytes(32));
  const broker = createAuditBroker({ storage, chainKey, ...extra });
  return { broker, storage, chainKey };
}

/** Logs n request/response pairs (2n entries). */
export async function logPairs(broker: ReturnType<typeof testBroker>['broker'], n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const input = testInput(i);
    await broker.logRequest(input);
    await broker.logResponse(input);
  }
}

/** A restored broker with one file device at "file/" writing `<dir>/audit.log`; also its chain key. */
export async function fileBroker(t: { after(fn: () => void): void }, options: Record<string, string> = {}, extra: Partial<AuditBrokerOptions> = {}) {
  const dir = tempDir(t);
  const file = join(dir, 'audit.log');
  const made = testBroker(extra);
  await made.broker.restore();
  await made.broker.enable('file', { type: 'file', options: { file_path: file, ...options } });
  const key = Buffer.from(made.broker.chainKeyHex('file'), 'hex');
  return { ...made, dir, file, key };
}
