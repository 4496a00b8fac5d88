// Builds Requests for calling a backend directly (no HTTP), as engine unit tests do.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../src/core/errors.js';
import type { Storage } from '../../src/storage/backend.js';
import type { Backend, BackendFactory, MountInfo, Operation, Request, Response, SystemView, TokenInfo } from '../../src/framework/types.js';

export function testMount(path: string, type: string, options: Record<string, string> = {}): MountInfo {
  return {
    path, type, accessor: `${type}_0000beef`, uuid: randomUUID(), description: '', options, local: false, sealWrap: false,
    config: {
      defaultLeaseTTL: 0, maxLeaseTTL: 0, forceNoCache: false, auditNonHMACRequestKeys: [], auditNonHMACResponseKeys: [],
      listingVisibility: '', passthroughRequestHeaders: [], allowedResponseHeaders: [],
    },
  };
}

/** A plain in-memory Storage (Map-based) for backend unit tests. */
export function mapStorage(): Storage & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  return {
    map,
    async get(k) { return map.get(k); },
    async put(k, v) { map.set(k, v); },
    async delete(k) { map.delete(k); },
    async list(prefix) {
      const out = new Set<string>();
      for (const k of map.keys()) {
        if (!k.startsWith(prefix)) continue;
        const rest = k.slice(prefix.length);
        const i = rest.indexOf('/');
        out.add(i === -1 ? rest : rest.slice(0, i + 1));
      }
      return [...out].sort();
    },
    async transaction(ops) {
      for (const op of ops) if (op.type === 'put') map.set(op.key, op.value); else map.delete(op.key);
    },
  };
}

export function testToken(overrides: Partial<TokenInfo> = {}): TokenInfo {
  return {
    id: 'test-token-id', accessor: 'test-accessor', policies: ['root'], displayName: 'root', metadata: {}, entityId: '',
    type: 'service', cubbyholeId: 'cubby-1', path: 'auth/token/root', creationTime: Math.floor(Date.now() / 1000), ttl: 0,
    orphan: true, numUses: 0, ...overrides,
  };
}

export interface Harness {
  backend: Backend;
  storage: Storage & { map: Map<string, Uint8Array> };
  mount: MountInfo;
  /** Calls the backend as the pipeline would: existence check decides create vs update for writes. */
  call(operation: Operation, path: string, data?: Record<string, unknown>, token?: TokenInfo): Promise<Response | undefined>;
}

/** `system` overrides parts of the SystemView the backend is given (e.g. generatePassword). */
export async function createHarness(
  factory: BackendFactory, mount: MountInfo, ttl = { def: 2764800, max: 2764800 }, system: Partial<SystemView> = {},
): Promise<Harness> {
  const storage = mapStorage();
  const backend = await factory({ mount, storage, system: { defaultLeaseTTL: () => ttl.def, maxLeaseTTL: () => ttl.max, ...system } });
  await backend.initialize?.();
  return {
    backend, storage, mount,
    async call(operation, path, data = {}, token = testToken()) {
      const req: Request = {
        id: randomUUID(), operation, path, fullPath: mount.path + path, mount, data, storage, clientToken: 'hvs.test',
        token, remoteAddress: '127.0.0.1', headers: {}, wrapTTL: 0,
      };
      if (operation === 'update' || operation === 'create') {
        const exists = await backend.existenceCheck(req);
        if (exists !== undefined) req.operation = exists ? 'update' : 'create';
      }
      return backend.handleRequest(req);
    },
  };
}

/** Asserts that `p` rejects with an AppError of `code` (and, if given, exactly/matching `message`). */
export async function rejectsWithCode(p: Promise<unknown>, code: string, message?: RegExp | string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}
