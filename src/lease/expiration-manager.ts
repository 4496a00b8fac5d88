// The expiration manager: every secret a backend returns with a TTL, and every token with one, has
// a lease here. On expiry the engine's revoke handler runs (a database user dropped, a token tree
// revoked); failed revocations retry with exponential backoff and after `maxAttempts` become
// irrevocable (kept with their error, retried daily, listed by sys/leases?type=irrevocable).
//
// Built for a million leases: expiries sit in one time-ordered index (ExpiryQueue) with one timer;
// lease entries stay in storage and are read only when acted on; after a restart the index is
// rebuilt in the background while the server already serves (every operation reads storage, so a
// lease not yet re-indexed behaves the same); at most `concurrency` revocations run at once, so the
// event loop stays responsive while thousands expire together.
import { InvalidRequestError, InternalError, AppError } from '../core/errors.js';
import type { Backend, SecretIntent } from '../framework/types.js';
import { formatGoDuration } from '../lib/duration.js';
import { formatGoTime } from '../lib/go-time.js';
import { randomBase62 } from '../lib/ids.js';
import { createKeyedMutex } from '../lib/keyed-mutex.js';
import type { Storage, StorageOp } from '../storage/backend.js';
import { encodeJSON, getJSON } from '../storage/json.js';
import { ExpiryQueue } from './expiry-queue.js';
import { ID_PREFIX, leaseKey, tokenIndexKey, TOKEN_PREFIX, truncateError, type LeaseEntry } from './lease-entry.js';

/** Where a lease's secret is served: its mount's backend and storage view. */
export interface LeaseTarget {
  backend: Backend;
  storage: Storage;
  /** The mount path, e.g. "database/". */
  mountPath: string;
  /** The mount's effective max lease TTL in seconds. */
  maxLeaseTTL(): number;
}

export interface ExpirationDeps {
  /** Barrier-backed view reserved for leases ("sys/expire/"). */
  storage: Storage;
  /** The mount serving a lease id (longest-prefix match), undefined when none does. */
  resolve(leaseId: string): LeaseTarget | undefined;
  /** Revokes a token (and its children) by salted id; the token store then calls `tokenRevoked`. */
  revokeToken(tokenId: string): Promise<void>;
  /** Whether a stored token with this salted id still exists (tidy). */
  tokenExists(tokenId: string): Promise<boolean>;
  now?: () => number;
  /** First retry delay after a failed revocation (doubles per attempt, ±50% jitter). Default 10 s. */
  retryBaseMs?: number;
  /** Attempts before a lease becomes irrevocable. Default 6. */
  maxAttempts?: number;
  /** Revocations run at once. Default 64. */
  concurrency?: number;
  log?: (level: 'warn' | 'error' | 'info', msg: string, fields: Record<string, unknown>) => void;
  /** Told when a lease becomes irrevocable. */
  onIrrevocable?: (leaseId: string) => void;
}

export interface RegisterInput {
  /** The request path that produced the secret, e.g. "database/creds/ro". */
  path: string;
  secret: SecretIntent;
  /** Salted id of the requesting token ('' for none). */
  tokenId: string;
  /** The mount's effective TTLs (seconds). */
  defaultTTL: number;
  maxTTL: number;
}

export interface RegisteredLease {
  id: string;
  ttl: number;
  renewable: boolean;
}

export interface TokenLeaseInput {
  /** The token's creation path (auth/token/create, auth/approle/login). */
  path: string;
  tokenId: string;
  issueTime: number;
  expireTime: number;
  ttl: number;
  renewable: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
const RESTORE_PARALLEL = 32;
/** Leases re-indexed between turns of the event loop while restoring. */
const RESTORE_BATCH = 100;

export const LEASE_NOT_FOUND = 'lease not found';

export function createExpirationManager(deps: ExpirationDeps) {
  const storage = deps.storage;
  const now = deps.now ?? Date.now;
  const retryBaseMs = deps.retryBaseMs ?? 10_000;
  const maxAttempts = deps.maxAttempts ?? 6;
  const concurrency = deps.concurrency ?? 64;
  const log = deps.log ?? (() => undefined);
  const queue = new ExpiryQueue();
  const locks = createKeyedMutex();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let running = false;
  let pumpQueued = false;
  let inFlight = 0;
  let restoring: Promise<void> = Promise.resolve();
  const idle: Array<() => void> = [];

  // --- storage -----------------------------------------------------------------------------

  async function load(id: string): Promise<LeaseEntry | undefined> {
    const entry = await getJSON<LeaseEntry>(storage, leaseKey(id));
    return entry && entry.id === id ? entry : undefined;
  }

  function saveOps(entry: LeaseEntry): StorageOp[] {
    const ops: StorageOp[] = [{ type: 'put', key: leaseKey(entry.id), value: encodeJSON(entry) }];
    if (entry.tokenId !== '' && entry.kind === 'secret') {
      ops.push({ type: 'put', key: tokenIndexKey(entry.tokenId, entry.id), value: new TextEncoder().encode(entry.id) });
    }
    return ops;
  }

  async function remove(entry: LeaseEntry): Promise<void> {
    const ops: StorageOp[] = [{ type: 'delete', key: leaseKey(entry.id) }];
    if (entry.tokenId !== '' && entry.kind === 'secret') ops.push({ type: 'delete', key: tokenIndexKey(entry.tokenId, entry.id) });
    await storage.transaction(ops);
    queue.delete(entry.id);
  }

  /** Every lease id under `prefix` (a path ending in '/' or ''), depth first. */
  async function* walk(prefix: string): AsyncGenerator<string> {
    for (const name of await storage.list(`${ID_PREFIX}${prefix}`)) {
      if (name.endsWith('/')) yield* walk(`${prefix}${name}`);
      else yield `${prefix}${name}`;
    }
  }

  // --- scheduling ----------------------------------------------------------------------------

  function schedule(id: string, at: number): void {
    queue.set(id, at);
    if (running && at < timerAt) arm();
  }

  function arm(): void {
    if (!running) return;
    const next = queue.peekTime();
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerAt = Infinity;
    if (next === undefined) return;
    const delay = Math.max(0, Math.min(next - now(), 2 ** 31 - 1));
    timerAt = next;
    timer = setTimeout(pump, delay);
    timer.unref();
  }

  /** Starts due revocations up to the concurrency limit; completions call back in for more. */
  function pump(): void {
    pumpQueued = false;
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerAt = Infinity;
    if (!running) return;
    const t = now();
    while (inFlight < concurrency) {
      const id = queue.popDue(t);
      if (id === undefined) break;
      inFlight++;
      void expire(id).finally(afterExpire);
    }
    if (inFlight < concurrency) arm();
  }

  function afterExpire(): void {
    inFlight--;
    if (inFlight === 0) for (const wake of idle.splice(0)) wake();
    if (!running || pumpQueued) return;
    const next = queue.peekTime();
    // More due now: continue on the next turn of the event loop (requests interleave); else wait for the timer.
    if (next !== undefined && next <= now()) {
      pumpQueued = true;
      setImmediate(pump);
    } else if (next !== undefined && next < timerAt) {
      arm();
    }
  }

  function backoff(attempt: number): number {
    const base = retryBaseMs * 2 ** Math.min(attempt - 1, 20);
    return Math.round(base * (0.5 + Math.random()));
  }

  /** A due lease: revoke it unless it was renewed meanwhile; failures retry, then turn irrevocable. */
  async function expire(id: string): Promise<void> {
    await locks.run(id, async () => {
      const entry = await load(id);
      if (!entry) return;
      const t = now();
      if (entry.expireTime > t && entry.revokeAttempts === 0) {
        schedule(id, entry.expireTime);
        return;
      }
      try {
        await revokeEntry(entry, false);
      } catch (err) {
        await recordFailure(entry, err);
      }
    });
  }

  async function recordFailure(entry: LeaseEntry, err: unknown): Promise<void> {
    entry.revokeAttempts++;
    entry.revokeError = truncateError(err instanceof Error ? err.message : String(err));
    const becameIrrevocable = !entry.irrevocable && entry.revokeAttempts >= maxAttempts;
    if (becameIrrevocable) entry.irrevocable = true;
    await storage.put(leaseKey(entry.id), encodeJSON(entry)).catch(() => undefined);
    schedule(entry.id, now() + (entry.irrevocable ? DAY_MS : backoff(entry.revokeAttempts)));
    if (becameIrrevocable) {
      log('error', 'lease is irrevocable', { lease_id: entry.id, attempts: entry.revokeAttempts, error: entry.revokeError });
      deps.onIrrevocable?.(entry.id);
    } else {
      log('warn', 'lease revocation failed; will retry', { lease_id: entry.id, attempt: entry.revokeAttempts, error: entry.revokeError });
    }
  }

  // --- revocation ----------------------------------------------------------------------------

  /** Runs the engine's revoke (or revokes the token) and deletes the lease. `force` drops it even on failure. */
  async function revokeEntry(entry: LeaseEntry, force: boolean): Promise<void> {
    try {
      if (entry.kind === 'token') {
        await deps.revokeToken(entry.tokenId);
      } else {
        const target = deps.resolve(entry.id);
        if (!target) throw new InternalError(`no secrets engine is mounted for lease ${entry.id}`);
        const handler = target.backend.secrets?.[entry.secretType];
        if (!handler) throw new InternalError(`secret type "${entry.secretType}" has no revoke handler`);
        await handler.revoke({
          leaseId: entry.id, internal: entry.internal, issueTime: entry.issueTime, expireTime: entry.expireTime,
          ttl: entry.ttl, increment: 0, storage: target.storage,
        });
      }
    } catch (err) {
      if (!force) throw err;
      log('warn', 'lease force-revoked despite a revocation error', { lease_id: entry.id, error: err instanceof Error ? err.message : String(err) });
    }
    await remove(entry);
  }

  async function revokeById(id: string, force: boolean): Promise<void> {
    await locks.run(id, async () => {
      const entry = await load(id);
      if (!entry) return;
      try {
        await revokeEntry(entry, force);
      } catch (err) {
        // Kept: it will be retried in the background like an expired lease.
        await recordFailure(entry, err);
        throw err instanceof AppError ? err : new InternalError(`failed to revoke lease: ${entry.revokeError}`, { cause: err });
      }
    });
  }

  /** Revokes every lease under `prefix`; the first failure is reported after all were tried. */
  async function revokePrefix(prefix: string, force: boolean): Promise<number> {
    const p = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const ids: string[] = [];
    // A prefix may also name one lease exactly (Vault accepts that).
    if (!prefix.endsWith('/') && prefix !== '' && (await load(prefix))) ids.push(prefix);
    for await (const id of walk(p)) ids.push(id);
    let firstError: unknown;
    await forEachLimited(ids, 16, async (id) => {
      try {
        await revokeById(id, force);
      } catch (err) {
        firstError ??= err;
      }
    });
    if (firstError !== undefined) throw firstError;
    return ids.length;
  }

  // --- API ------------------------------------------------------------------------------------

  async function register(input: RegisterInput): Promise<RegisteredLease & { warnings: string[] }> {
    const warnings: string[] = [];
    const mountMax = input.maxTTL;
    const maxTTL = input.secret.maxTTL && input.secret.maxTTL > 0 ? Math.min(input.secret.maxTTL, mountMax) : mountMax;
    let ttl = input.secret.ttl > 0 ? input.secret.ttl : input.defaultTTL;
    if (ttl > maxTTL) ttl = maxTTL;
    const t = now();
    const id = `${input.path.replace(/\/+$/, '')}/${randomBase62(24)}`;
    const entry: LeaseEntry = {
      id, kind: 'secret', path: input.path, secretType: input.secret.type, internal: input.secret.internal, tokenId: input.tokenId,
      issueTime: t, expireTime: t + ttl * 1000, lastRenewalTime: 0, ttl, maxTTL, renewable: input.secret.renewable,
      revokeAttempts: 0, revokeError: '', irrevocable: false,
    };
    await storage.transaction(saveOps(entry));
    schedule(id, entry.expireTime);
    return { id, ttl, renewable: entry.renewable, warnings };
  }

  function tokenLeaseId(path: string, tokenId: string): string {
    return `${path.replace(/\/+$/, '')}/${tokenId}`;
  }

  /** A token with a TTL joins the index: its expiry revokes it (and its leases, its children) on time. */
  async function registerToken(input: TokenLeaseInput): Promise<void> {
    const entry: LeaseEntry = {
      id: tokenLeaseId(input.path, input.tokenId), kind: 'token', path: input.path, secretType: '', internal: {},
      tokenId: input.tokenId, issueTime: input.issueTime, expireTime: input.expireTime, lastRenewalTime: 0, ttl: input.ttl,
      maxTTL: 0, renewable: input.renewable, revokeAttempts: 0, revokeError: '', irrevocable: false,
    };
    await storage.put(leaseKey(entry.id), encodeJSON(entry));
    schedule(entry.id, entry.expireTime);
  }

  async function tokenRenewed(path: string, tokenId: string, expireTime: number, renewedAt: number): Promise<void> {
    const id = tokenLeaseId(path, tokenId);
    await locks.run(id, async () => {
      const entry = await load(id);
      if (!entry) return;
      entry.expireTime = expireTime;
      entry.lastRenewalTime = renewedAt;
      await storage.put(leaseKey(id), encodeJSON(entry));
      schedule(id, expireTime);
    });
  }

  /** Called by the token store for every revoked token: its secrets' leases go, and its own lease entry. */
  async function tokenRevoked(path: string, tokenId: string): Promise<void> {
    const dir = `${TOKEN_PREFIX}${tokenId}/`;
    const ids: string[] = [];
    for (const name of await storage.list(dir)) {
      if (name.endsWith('/')) continue;
      const raw = await storage.get(`${dir}${name}`);
      if (raw) ids.push(new TextDecoder().decode(raw));
    }
    let firstError: unknown;
    await forEachLimited(ids, 16, async (id) => {
      try {
        await revokeById(id, false);
      } catch (err) {
        firstError ??= err;
      }
    });
    const own = tokenLeaseId(path, tokenId);
    await storage.delete(leaseKey(own));
    queue.delete(own);
    // A secret whose revocation failed stays leased (retried in the background); the token is gone either way.
    if (firstError !== undefined) log('warn', 'revoking a token left leases to retry', { error: firstError instanceof Error ? firstError.message : String(firstError) });
  }

  async function renew(id: string, increment: number): Promise<{ entry: LeaseEntry; warnings: string[] }> {
    return locks.run(id, async () => {
      const entry = await load(id);
      if (!entry || entry.irrevocable) throw new InvalidRequestError(LEASE_NOT_FOUND);
      if (entry.kind === 'token') throw new InvalidRequestError('tokens cannot be renewed through this endpoint');
      const t = now();
      if (entry.expireTime <= t || entry.revokeAttempts > 0) throw new InvalidRequestError('lease expired');
      const target = deps.resolve(id);
      const handler = target?.backend.secrets?.[entry.secretType];
      if (!target || !entry.renewable || !handler?.renew) throw new InvalidRequestError('lease is not renewable');
      const warnings: string[] = [];
      const mountMax = target.maxLeaseTTL();
      const maxTTL = entry.maxTTL > 0 ? Math.min(entry.maxTTL, mountMax) : mountMax;
      const maxValid = entry.issueTime + maxTTL * 1000;
      const left = Math.floor((maxValid - t) / 1000);
      if (left <= 0) throw new InvalidRequestError('past the max TTL, cannot renew');
      let ttl = increment > 0 ? increment : entry.ttl;
      if (ttl > left) {
        warnings.push(`TTL of "${formatGoDuration(ttl)}" exceeded the effective max_ttl of "${formatGoDuration(left)}"; TTL value is capped accordingly`);
        ttl = left;
      }
      const expireTime = t + ttl * 1000;
      const result = await handler.renew({
        leaseId: id, internal: entry.internal, issueTime: entry.issueTime, expireTime, ttl, increment, storage: target.storage,
      });
      if (result?.warnings) warnings.push(...result.warnings);
      if (result?.internal) entry.internal = result.internal;
      entry.expireTime = expireTime;
      entry.lastRenewalTime = t;
      await storage.put(leaseKey(id), encodeJSON(entry));
      schedule(id, expireTime);
      return { entry, warnings };
    });
  }

  function lookupData(entry: LeaseEntry): Record<string, unknown> {
    return {
      id: entry.id,
      issue_time: formatGoTime(entry.issueTime),
      expire_time: formatGoTime(entry.expireTime),
      last_renewal: entry.lastRenewalTime === 0 ? null : formatGoTime(entry.lastRenewalTime),
      renewable: entry.renewable && entry.kind === 'secret',
      ttl: Math.max(0, Math.round((entry.expireTime - now()) / 1000)),
    };
  }

  /** Removes token-index entries whose lease is gone and revokes leases whose token is gone. */
  async function tidy(): Promise<{ deletedIndexes: number; revokedLeases: number }> {
    let deletedIndexes = 0;
    let revokedLeases = 0;
    for (const tokenDir of await storage.list(TOKEN_PREFIX)) {
      if (!tokenDir.endsWith('/')) continue;
      for (const name of await storage.list(`${TOKEN_PREFIX}${tokenDir}`)) {
        const key = `${TOKEN_PREFIX}${tokenDir}${name}`;
        const raw = await storage.get(key);
        if (!raw || !(await load(new TextDecoder().decode(raw)))) {
          await storage.delete(key);
          deletedIndexes++;
        }
      }
    }
    for await (const id of walk('')) {
      const entry = await load(id);
      if (!entry || entry.kind !== 'secret' || entry.tokenId === '') continue;
      if (!(await deps.tokenExists(entry.tokenId))) {
        await revokeById(id, false).then(() => { revokedLeases++; }, () => undefined);
      }
    }
    return { deletedIndexes, revokedLeases };
  }

  async function irrevocable(): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    for await (const id of walk('')) {
      const entry = await load(id);
      if (entry?.irrevocable) {
        out.push({ lease_id: entry.id, mount_id: deps.resolve(entry.id)?.mountPath ?? '', expire_time: formatGoTime(entry.expireTime), error: entry.revokeError });
      }
    }
    return out;
  }

  /** Rebuilds the expiry index from storage in the background (the server serves meanwhile). */
  function restore(): Promise<void> {
    const started = now();
    restoring = (async () => {
      let n = 0;
      const batch: string[] = [];
      const flush = async () => {
        const ids = batch.splice(0);
        await forEachLimited(ids, RESTORE_PARALLEL, async (id) => {
          const entry = await load(id);
          if (!entry || queue.has(id)) return;
          n++;
          const at = entry.irrevocable ? now() + DAY_MS : entry.revokeAttempts > 0 ? now() + backoff(entry.revokeAttempts) : entry.expireTime;
          schedule(id, at);
        });
      };
      for await (const id of walk('')) {
        if (!running) return;
        batch.push(id);
        if (batch.length >= RESTORE_BATCH) {
          await flush();
          // Reads served from SQLite or its cache resolve without a turn of the event loop: without
          // this yield the whole rebuild ran before the server answered any request.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      await flush();
      log('info', 'leases restored', { count: n, ms: now() - started });
    })().catch((err: unknown) => {
      log('error', 'lease restore failed', { error: err instanceof Error ? err.message : String(err) });
    });
    return restoring;
  }

  return {
    register, registerToken, tokenRenewed, tokenRevoked, renew, revokePrefix, tidy, irrevocable, lookupData,
    lookup: load,
    /** Sync revocation of one lease (404-free: an unknown id is a no-op, as in Vault). */
    revoke: (id: string) => revokeById(id, false),
    /** One level of lease ids under `prefix` ('' or ending in '/'). */
    list: (prefix: string) => storage.list(`${ID_PREFIX}${prefix}`),
    /** Starts expiring leases and rebuilds the index from storage in the background. */
    start(): Promise<void> {
      running = true;
      arm();
      return restore();
    },
    /** Stops timers and waits for running revocations (seal, step-down). */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      await restoring;
      if (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
      queue.clear();
    },
    /** Resolves once the background restore has finished (tests, benchmarks). */
    restored: () => restoring,
    /** Leases in the expiry index. */
    size: () => queue.size,
    /** Index snapshot for metrics: counts per mount and expiring within windows. */
    snapshot(windows: Record<string, number>): { byMount: Map<string, number>; expiring: Record<string, number> } {
      const names = Object.keys(windows);
      const limits = names.map((w) => windows[w]! * 1000);
      const counts = names.map(() => 0);
      const t = now();
      for (const at of queue.times()) for (let k = 0; k < limits.length; k++) if (at - t <= limits[k]!) counts[k]!++;
      const expiring: Record<string, number> = Object.fromEntries(names.map((w, k) => [w, counts[k]!]));
      // Taken every 10 s: the queue keeps counts per issuing path, so a mount is resolved once per
      // path (a handful), not once per lease (a million string matches stalled the event loop).
      const byMount = new Map<string, number>();
      for (const [path, n] of queue.groupCounts()) {
        const mount = deps.resolve(path)?.mountPath ?? '';
        byMount.set(mount, (byMount.get(mount) ?? 0) + n);
      }
      return { byMount, expiring };
    },
  };
}

export type ExpirationManager = ReturnType<typeof createExpirationManager>;

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
