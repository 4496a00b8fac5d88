// The token store: creates, validates, renews and revokes tokens. Tokens are never stored in clear:
// every entry lives under an HMAC-SHA256 of the token (random salt kept in storage), accessors under
// a salted hash too, and a parent→child index makes revocation of whole trees possible. Batch
// tokens are not stored at all: they carry their own entry, AES-256-GCM encrypted.
//
// Storage layout (inside the view the server core hands us, e.g. "sys/token/"):
//   salt                      32 random bytes (HMAC key for ids and accessors)
//   batch-key                 32 random bytes (AES-256-GCM key of batch tokens)
//   id/<salted id>            TokenEntry (JSON)
//   accessor/<salted acc>     { accessor, id: <salted id> }
//   parent/<salted parent>/<salted child>   empty marker
import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from '../../core/errors.js';
import { constantTimeEqual } from '../../core/crypto/constant-time.js';
import type { AuthResponse, TokenInfo } from '../../framework/types.js';
import type { Storage, StorageOp } from '../../storage/backend.js';
import { encodeJSON, getJSON } from '../../storage/json.js';
import {
  decodeBatchToken, encodeBatchToken, isBatchToken, newAccessor, newServiceToken, randomBase62, saltedAccessor, saltedId,
  SERVICE_PREFIX,
} from './token-format.js';
import { calculateTTL, MAX_DURATION_SECONDS } from './ttl.js';
import { createKeyedMutex } from '../../lib/keyed-mutex.js';

export type TokenType = 'service' | 'batch';

export interface TokenEntry {
  /** Salted hash of the token ("h" + hex HMAC); the storage key. Never the token itself. */
  id: string;
  /** '' for batch tokens. */
  accessor: string;
  /** Salted id of the parent token, '' for orphans. */
  parent: string;
  /** Sorted, deduplicated; ["root"] for root tokens. */
  policies: string[];
  meta: Record<string, string> | null;
  displayName: string;
  /** 0 = unlimited; -1 = the last use is in progress (revoked after that request). */
  numUses: number;
  /** Unix seconds. */
  creationTime: number;
  /** Unix ms of creation (issue_time). */
  issueTimeMs: number;
  /** TTL granted at creation in seconds (creation_ttl); 0 = never expires. */
  ttl: number;
  /** Unix ms the token expires at; 0 = never. Moves on renewal. */
  expireTimeMs: number;
  /** Unix ms of the last renewal; 0 = never renewed. */
  lastRenewalTimeMs: number;
  explicitMaxTTL: number;
  period: number;
  renewable: boolean;
  type: TokenType;
  /** Creation path, e.g. auth/token/create, auth/token/root. */
  path: string;
  entityId: string;
  /** Per-token cubbyhole namespace ('' for batch tokens: they have no cubbyhole). */
  cubbyholeId: string;
  orphan: boolean;
  /** Token role name; always '' until token roles (auth/token/roles) exist. */
  role: string;
  /** A login token's AuthIntent.internal: handed back to the auth method when the token is renewed. */
  loginInternal?: Record<string, unknown>;
}

export interface CreateTokenParams {
  /** Server-internal tokens (response wrapping) may carry non-assignable policies; API callers never set this. */
  internal?: boolean;
  /** Final policy list; sanitized here (trimmed, lower-cased, deduplicated, sorted; "root" wins). */
  policies: string[];
  meta?: Record<string, string> | null;
  /** Final display name (default "token"). */
  displayName?: string;
  /** Seconds; 0/undefined = mount default (or non-expiring for a root-policy token). */
  ttl?: number;
  explicitMaxTTL?: number;
  period?: number;
  numUses?: number;
  /** Default true. Forced false for batch and non-expiring tokens. */
  renewable?: boolean;
  type?: TokenType;
  /** Default auth/token/create. */
  path?: string;
  /** Custom token string (service tokens only); used verbatim. */
  id?: string;
  /** Default: the parent's entity (none for orphans). */
  entityId?: string;
  /** Create without a parent link even though `parent` (the creator) is given: the creator is still checked. */
  orphan?: boolean;
  /** The TTLs of the auth mount that issued a login token (default: the token mount's). Seconds. */
  mountTTL?: { defaultTTL: number; maxTTL: number };
  /** Kept with a login token for its auth method's renew check (AuthIntent.internal). */
  loginInternal?: Record<string, unknown>;
}

export interface CreateTokenResult {
  token: string;
  entry: TokenEntry;
  warnings: string[];
}

export interface RenewResult {
  entry: TokenEntry;
  warnings: string[];
}

/** TTLs a renewal is computed with in place of the token mount's (seconds; 0 = not set). */
export interface RenewLimits {
  defaultTTL: number;
  maxTTL: number;
  /** The auth method's TTL for the renewed token (its role's token_ttl, say). */
  ttl?: number;
}

export interface TokenStoreDeps {
  /** Barrier-backed view reserved for tokens (e.g. 'sys/token/'). */
  storage: Storage;
  /** Seconds, from the token mount / server config. */
  defaultTTL(): number;
  maxTTL(): number;
  /** Called for every revoked service token (server core destroys the cubbyhole and revokes its leases). */
  onRevoke?: (entry: TokenEntry) => Promise<void>;
  /** Called once a service token with a TTL is stored (the expiration manager indexes its expiry). */
  onCreate?: (entry: TokenEntry) => Promise<void>;
  /** Called after a renewal moved a token's expiry. */
  onRenew?: (entry: TokenEntry) => Promise<void>;
  /**
   * Called before a renewal: may refuse it (throw), as the auth method that issued a login token
   * does when the login no longer holds, and returns the issuing mount's TTLs and the method's TTL.
   */
  beforeRenew?: (entry: TokenEntry) => Promise<RenewLimits | undefined>;
  /** ms clock, for tests. */
  now?: () => number;
}

export interface TokenStore {
  /** Validates a raw token: unknown, expired (→ revoked lazily) or exhausted → undefined. Batch tokens decoded here too. */
  lookup(token: string): Promise<TokenEntry | undefined>;
  /**
   * Like lookup, but also returns a token whose last use is in progress (numUses -1), as Vault's
   * lookup-self/revoke-self do during that last request.
   */
  lookupIncludingLastUse(token: string): Promise<TokenEntry | undefined>;
  /**
   * Called once per authenticated request: decrements num_uses. Returns false if no uses were left.
   * When this was the last use the token is marked so no further request can use it; call
   * finishRequest(entry) after the response to revoke it.
   */
  use(entry: TokenEntry): Promise<boolean>;
  /** Call after each authenticated request: revokes the token if that request consumed its last use. */
  finishRequest(entry: TokenEntry): Promise<void>;
  toTokenInfo(entry: TokenEntry): TokenInfo;
  /** Root token at init (random) or in dev mode (given id, e.g. "root" — then the token string is that id). */
  createRootToken(id?: string): Promise<string>;
  /**
   * Creates a token. `parent` is the creating token: its type and policies are checked, and unless
   * params.orphan the new token joins its revocation tree. Without a parent the token is an orphan.
   */
  create(params: CreateTokenParams, parent?: TokenEntry): Promise<CreateTokenResult>;
  /** Extends a token's TTL (Vault's renewal rules). Throws InvalidRequestError when not renewable. */
  renew(entry: TokenEntry, increment: number): Promise<RenewResult>;
  /** Revokes the token and every descendant (deepest first). No-op for batch tokens. */
  revokeTree(entry: TokenEntry): Promise<void>;
  /** Revokes only this token; its children become orphans. */
  revokeOrphan(entry: TokenEntry): Promise<void>;
  lookupAccessor(accessor: string): Promise<TokenEntry | undefined>;
  /** Every accessor of a stored (service) token. */
  listAccessors(): Promise<string[]>;
  /** sys/capabilities-accessor etc. */
  authResponse(token: string, entry: TokenEntry): AuthResponse;
  /** Remaining TTL in whole seconds (0 for non-expiring tokens). */
  remainingTTL(entry: TokenEntry): number;
  /** Removes dangling index entries and revokes expired or exhausted tokens. Returns counts. */
  tidy(): Promise<TidyReport>;
  /** Revokes the tree of the stored token with this salted id (the expiration manager's token expiry). */
  revokeById(id: string): Promise<void>;
  /** Whether a stored token with this salted id exists. */
  existsById(id: string): Promise<boolean>;
}

export interface TidyReport {
  revokedTokens: number;
  deletedParentIndexes: number;
  deletedAccessorIndexes: number;
  orphanedTokens: number;
}

interface AccessorIndexEntry {
  accessor: string;
  id: string;
}

/** What a batch token carries (short keys keep the token small). */
interface BatchPayload {
  v: 1;
  p: string[];
  m: Record<string, string> | null;
  d: string;
  c: number;
  i: number;
  t: number;
  e: number;
  pa: string;
  en: string;
  pt: string;
}

interface Keys {
  salt: Buffer;
  batchKey: Buffer;
}

const NON_ASSIGNABLE_POLICIES = new Set(['response-wrapping', 'control-group']);
const MAX_TOKEN_LENGTH = 16384;

/** Vault's policyutil.SanitizePolicies: trim, lower-case, drop empties, "root" alone wins, optional "default", sorted unique. */
export function sanitizePolicies(policies: readonly string[], addDefault: boolean): string[] {
  const out = new Set<string>();
  for (const raw of policies) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === 'root') return ['root'];
    out.add(p);
  }
  if (addDefault) out.add('default');
  return [...out].sort();
}

function checkDuration(name: string, v: number | undefined): number {
  const n = v ?? 0;
  if (!Number.isFinite(n) || n < 0) throw new InvalidRequestError(`${name} must be positive`);
  if (n > MAX_DURATION_SECONDS) throw new InvalidRequestError(`invalid ${name}: duration out of range`);
  return Math.floor(n);
}

export function createTokenStore(deps: TokenStoreDeps): TokenStore {
  const storage = deps.storage;
  const nowMs = deps.now ?? Date.now;
  // Vault's per-token locks: revocation and renewal hold a token exclusively; creating children
  // only needs the parent to stay put, so many children of one parent are created at once.
  const locks = createKeyedMutex();
  const withLock = <T>(key: string, fn: () => Promise<T>): Promise<T> => locks.run(key, fn);
  let keysPromise: Promise<Keys> | undefined;

  function defaultTTL(): number {
    const v = deps.defaultTTL();
    return v > 0 ? v : 2764800;
  }
  function maxTTL(): number {
    const v = deps.maxTTL();
    return v > 0 ? v : 2764800;
  }

  async function loadOrCreateKey(name: string): Promise<Buffer> {
    const existing = await storage.get(name);
    if (existing && existing.length === 32) return Buffer.from(existing);
    const fresh = randomBytes(32);
    await storage.put(name, fresh);
    return fresh;
  }

  function keys(): Promise<Keys> {
    keysPromise ??= (async () => ({ salt: await loadOrCreateKey('salt'), batchKey: await loadOrCreateKey('batch-key') }))()
      .catch((err: unknown) => { keysPromise = undefined; throw err; });
    return keysPromise;
  }

  async function hashToken(token: string): Promise<string> {
    return saltedId((await keys()).salt, token);
  }

  async function readEntry(id: string): Promise<TokenEntry | undefined> {
    const entry = await getJSON<TokenEntry>(storage, `id/${id}`);
    if (!entry || !constantTimeEqual(entry.id, id)) return undefined;
    return entry;
  }

  function isExpired(entry: TokenEntry): boolean {
    return entry.expireTimeMs > 0 && nowMs() >= entry.expireTimeMs;
  }

  /** A stored entry that is neither expired (those are revoked here) nor, unless allowed, on its last use. */
  async function validStoredEntry(id: string, allowLastUse: boolean): Promise<TokenEntry | undefined> {
    const entry = await readEntry(id);
    if (!entry) return undefined;
    if (isExpired(entry)) {
      await revokeTree(entry);
      return undefined;
    }
    if (entry.numUses === -1 && !allowLastUse) return undefined;
    return entry;
  }

  async function decodeBatch(token: string): Promise<TokenEntry | undefined> {
    const k = await keys();
    const p = decodeBatchToken(k.batchKey, token) as BatchPayload | undefined;
    if (!p || typeof p !== 'object' || p.v !== 1 || !Array.isArray(p.p)) return undefined;
    const entry: TokenEntry = {
      id: saltedId(k.salt, token), accessor: '', parent: p.pa, policies: p.p, meta: p.m, displayName: p.d, numUses: 0,
      creationTime: p.c, issueTimeMs: p.i, ttl: p.t, expireTimeMs: p.e, lastRenewalTimeMs: 0, explicitMaxTTL: 0, period: 0,
      renewable: false, type: 'batch', path: p.pt, entityId: p.en, cubbyholeId: '', orphan: p.pa === '', role: '',
    };
    if (isExpired(entry)) return undefined;
    // Rejected once its parent is revoked (or expired).
    if (entry.parent !== '' && !(await validStoredEntry(entry.parent, true))) return undefined;
    return entry;
  }

  async function lookupRaw(token: string, allowLastUse: boolean): Promise<TokenEntry | undefined> {
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
    if (isBatchToken(token)) return decodeBatch(token);
    return validStoredEntry(await hashToken(token), allowLastUse);
  }

  function remainingTTL(entry: TokenEntry): number {
    if (entry.expireTimeMs === 0) return 0;
    return Math.max(0, Math.round((entry.expireTimeMs - nowMs()) / 1000));
  }

  async function removeEntryOps(entry: TokenEntry): Promise<StorageOp[]> {
    const ops: StorageOp[] = [{ type: 'delete', key: `id/${entry.id}` }];
    if (entry.accessor !== '') ops.push({ type: 'delete', key: `accessor/${saltedAccessor((await keys()).salt, entry.accessor)}` });
    if (entry.parent !== '') ops.push({ type: 'delete', key: `parent/${entry.parent}/${entry.id}` });
    return ops;
  }

  /** Revokes one stored token (by salted id): callback first, then the entry and its indexes. */
  async function revokeOne(id: string): Promise<void> {
    await withLock(id, async () => {
      const entry = await readEntry(id);
      if (entry) {
        await deps.onRevoke?.(entry);
        await storage.transaction(await removeEntryOps(entry));
      }
    });
    // Children that joined after the subtree was collected must not escape: revoke them too,
    // and drop index entries of children already gone.
    for (const child of await storage.list(`parent/${id}/`)) {
      if (child.endsWith('/')) continue;
      const c = await readEntry(child);
      if (c) await revokeTree(c);
      await storage.delete(`parent/${id}/${child}`);
    }
  }

  async function revokeTree(entry: TokenEntry): Promise<void> {
    if (entry.type === 'batch') return;
    // Collect the subtree breadth-first, then revoke deepest first so no child outlives its parent.
    const order: string[] = [];
    const seen = new Set<string>();
    const queue = [entry.id];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      order.push(id);
      for (const child of await storage.list(`parent/${id}/`)) {
        if (!child.endsWith('/')) queue.push(child);
      }
    }
    for (const id of order.reverse()) await revokeOne(id);
  }

  async function revokeOrphan(entry: TokenEntry): Promise<void> {
    if (entry.type === 'batch') return;
    for (const child of await storage.list(`parent/${entry.id}/`)) {
      if (child.endsWith('/')) continue;
      await withLock(child, async () => {
        const c = await readEntry(child);
        if (c) {
          c.parent = '';
          c.orphan = true;
          await storage.transaction([
            { type: 'put', key: `id/${c.id}`, value: encodeJSON(c) },
            { type: 'delete', key: `parent/${entry.id}/${child}` },
          ]);
        } else {
          await storage.delete(`parent/${entry.id}/${child}`);
        }
      });
    }
    await revokeOne(entry.id);
  }

  async function store(entry: TokenEntry, withIndexes: boolean): Promise<void> {
    const ops: StorageOp[] = [];
    if (withIndexes) {
      // Parent index first (as Vault): a crash can leave a dangling index, never an unrevocable child.
      if (entry.parent !== '') ops.push({ type: 'put', key: `parent/${entry.parent}/${entry.id}`, value: new Uint8Array(0) });
      if (entry.accessor !== '') {
        const index: AccessorIndexEntry = { accessor: entry.accessor, id: entry.id };
        ops.push({ type: 'put', key: `accessor/${saltedAccessor((await keys()).salt, entry.accessor)}`, value: encodeJSON(index) });
      }
    }
    ops.push({ type: 'put', key: `id/${entry.id}`, value: encodeJSON(entry) });
    await storage.transaction(ops);
  }

  async function create(params: CreateTokenParams, parent?: TokenEntry): Promise<CreateTokenResult> {
    const type: TokenType = params.type ?? 'service';
    const warnings: string[] = [];
    const numUses = params.numUses ?? 0;
    if (!Number.isSafeInteger(numUses)) throw new InvalidRequestError('invalid num_uses: must be an integer');
    if (numUses < 0) throw new InvalidRequestError('number of uses cannot be negative');
    const ttlIn = checkDuration('ttl', params.ttl);
    const explicitMaxTTL = checkDuration('explicit_max_ttl', params.explicitMaxTTL);
    const period = checkDuration('period', params.period);
    const policies = sanitizePolicies(params.policies, false);
    for (const p of policies) {
      if (NON_ASSIGNABLE_POLICIES.has(p) && !params.internal) throw new InvalidRequestError(`cannot assign policy "${p}"`);
    }
    const isRoot = policies.includes('root');
    if (parent) {
      if (parent.type === 'batch') throw new InvalidRequestError('batch tokens cannot create more tokens');
      if (isRoot && !parent.policies.includes('root')) {
        throw new InvalidRequestError('root tokens may not be created without parent token being root');
      }
    }
    if (type === 'batch') {
      if (explicitMaxTTL !== 0) throw new InvalidRequestError('batch tokens cannot have "explicit_max_ttl" set');
      if (numUses !== 0) throw new InvalidRequestError('batch tokens cannot have "num_uses" set');
      if (period !== 0) throw new InvalidRequestError('batch tokens cannot have "period" set');
      if (isRoot) throw new InvalidRequestError('batch tokens cannot be root tokens');
      if (params.id !== undefined && params.id !== '') throw new InvalidRequestError('custom token ID is not supported for batch tokens');
    } else if (type !== 'service') {
      throw new InvalidRequestError("invalid 'token_type' value");
    }

    const now = nowMs();
    const creationTime = Math.floor(now / 1000);
    let ttl = ttlIn;
    if (period > 0 || ttl > 0 || !isRoot) {
      const r = calculateTTL({
        increment: 0, backendTTL: ttl, period, explicitMaxTTL, defaultTTL: params.mountTTL?.defaultTTL || defaultTTL(),
        maxTTL: params.mountTTL?.maxTTL || maxTTL(), startTime: creationTime, now: creationTime,
      });
      ttl = r.ttl;
      warnings.push(...r.warnings);
    }
    // Root tokens are still bound by an explicit max TTL.
    if (ttl === 0 && explicitMaxTTL > 0) ttl = explicitMaxTTL;
    let renewable = type === 'batch' ? false : params.renewable ?? true;
    if (ttl === 0) {
      if (parent && parent.expireTimeMs !== 0) {
        throw new InvalidRequestError('expiring root tokens cannot create non-expiring root tokens');
      }
      renewable = false;
    }

    const link = parent && !params.orphan ? parent : undefined;
    const k = await keys();
    const base = {
      parent: link ? link.id : '', policies, meta: params.meta ? { ...params.meta } : null,
      displayName: params.displayName ?? 'token', creationTime, issueTimeMs: now, ttl, expireTimeMs: ttl > 0 ? now + ttl * 1000 : 0,
      lastRenewalTimeMs: 0, path: params.path ?? 'auth/token/create', entityId: params.entityId ?? (link ? link.entityId : ''),
      orphan: !link, role: '',
      ...(params.loginInternal ? { loginInternal: params.loginInternal } : {}),
    };

    if (type === 'batch') {
      const payload: BatchPayload = {
        v: 1, p: base.policies, m: base.meta, d: base.displayName, c: base.creationTime, i: base.issueTimeMs, t: base.ttl,
        e: base.expireTimeMs, pa: base.parent, en: base.entityId, pt: base.path,
      };
      const token = encodeBatchToken(k.batchKey, payload);
      const entry: TokenEntry = {
        ...base, id: saltedId(k.salt, token), accessor: '', numUses: 0, explicitMaxTTL: 0, period: 0, renewable: false,
        type: 'batch', cubbyholeId: '',
      };
      return { token, entry, warnings };
    }

    let token: string;
    if (params.id !== undefined && params.id !== '') {
      const id = params.id;
      if (id.startsWith(SERVICE_PREFIX)) throw new InvalidRequestError("custom token ID cannot have the 'hvs.' prefix");
      if (id.startsWith('s.')) throw new InvalidRequestError("custom token ID cannot have the 's.' prefix");
      if (id.includes('.')) throw new InvalidRequestError("custom token ID cannot have a '.' in the value");
      if (id.length > MAX_TOKEN_LENGTH) throw new InvalidRequestError('custom token ID is too long');
      if (await readEntry(saltedId(k.salt, id))) throw new InvalidRequestError('cannot create a token with a duplicate ID');
      token = id;
    } else {
      token = newServiceToken();
    }
    const entry: TokenEntry = {
      ...base, id: saltedId(k.salt, token), accessor: newAccessor(), numUses, explicitMaxTTL, period, renewable,
      type: 'service', cubbyholeId: randomBase62(24),
    };
    if (link) {
      // The parent may have been revoked while we worked: never leave a child outside the tree.
      await locks.runShared(link.id, async () => {
        if (!(await readEntry(link.id))) throw new InvalidRequestError('parent token lookup failed: no parent found');
        await store(entry, true);
      });
    } else {
      await store(entry, true);
    }
    if (entry.expireTimeMs > 0) await deps.onCreate?.(entry);
    return { token, entry, warnings };
  }

  async function renew(entry: TokenEntry, increment: number): Promise<RenewResult> {
    if (entry.type === 'batch') throw new InvalidRequestError('batch tokens cannot be renewed');
    const inc = checkDuration('increment', increment);
    return withLock(entry.id, async () => {
      const current = await readEntry(entry.id);
      if (!current || isExpired(current)) throw new InvalidRequestError('token not found');
      if (current.expireTimeMs === 0 || !current.renewable) throw new InvalidRequestError('lease is not renewable');
      const limits = await deps.beforeRenew?.(current);
      const now = nowMs();
      const r = calculateTTL({
        increment: inc, backendTTL: limits?.ttl || current.ttl, period: current.period, explicitMaxTTL: current.explicitMaxTTL,
        defaultTTL: limits?.defaultTTL || defaultTTL(), maxTTL: limits?.maxTTL || maxTTL(), startTime: current.creationTime, now: Math.floor(now / 1000),
      });
      current.expireTimeMs = now + r.ttl * 1000;
      current.lastRenewalTimeMs = now;
      await store(current, false);
      await deps.onRenew?.(current);
      Object.assign(entry, current);
      return { entry: current, warnings: r.warnings };
    });
  }

  async function use(entry: TokenEntry): Promise<boolean> {
    if (entry.type === 'batch' || entry.numUses === 0) return true;
    return withLock(entry.id, async () => {
      const current = await readEntry(entry.id);
      if (!current || current.numUses === -1) return false;
      if (current.numUses === 0) return true;
      current.numUses = current.numUses === 1 ? -1 : current.numUses - 1;
      await store(current, false);
      entry.numUses = current.numUses;
      return true;
    });
  }

  async function finishRequest(entry: TokenEntry): Promise<void> {
    if (entry.type === 'batch' || entry.numUses !== -1) return;
    const current = await readEntry(entry.id);
    if (current && current.numUses === -1) await revokeTree(current);
  }

  async function lookupAccessor(accessor: string): Promise<TokenEntry | undefined> {
    if (typeof accessor !== 'string' || accessor === '' || accessor.length > 1024) return undefined;
    const index = await getJSON<AccessorIndexEntry>(storage, `accessor/${saltedAccessor((await keys()).salt, accessor)}`);
    if (!index || !constantTimeEqual(index.accessor, accessor)) return undefined;
    return validStoredEntry(index.id, true);
  }

  async function listAccessors(): Promise<string[]> {
    const out: string[] = [];
    for (const name of await storage.list('accessor/')) {
      if (name.endsWith('/')) continue;
      const index = await getJSON<AccessorIndexEntry>(storage, `accessor/${name}`);
      if (index) out.push(index.accessor);
    }
    return out.sort();
  }

  async function createRootToken(id?: string): Promise<string> {
    const { token } = await create({
      policies: ['root'], displayName: 'root', path: 'auth/token/root', id, renewable: false,
    });
    return token;
  }

  function toTokenInfo(entry: TokenEntry): TokenInfo {
    return {
      id: entry.id, accessor: entry.accessor, policies: [...entry.policies], displayName: entry.displayName,
      metadata: { ...(entry.meta ?? {}) }, entityId: entry.entityId, type: entry.type, cubbyholeId: entry.cubbyholeId,
      path: entry.path, creationTime: entry.creationTime,
      // creationTime + ttl = the current expiry (moves on renewal); 0 = never expires.
      ttl: entry.expireTimeMs === 0 ? 0 : Math.max(0, Math.ceil(entry.expireTimeMs / 1000) - entry.creationTime),
      orphan: entry.parent === '', numUses: entry.numUses,
    };
  }

  function authResponse(token: string, entry: TokenEntry): AuthResponse {
    const policies = [...entry.policies].sort();
    const ttl = remainingTTL(entry);
    return {
      client_token: token, accessor: entry.accessor, policies, token_policies: [...policies],
      metadata: entry.meta && Object.keys(entry.meta).length > 0 ? { ...entry.meta } : entry.meta,
      lease_duration: ttl, renewable: entry.renewable && entry.expireTimeMs !== 0, entity_id: entry.entityId,
      token_type: entry.type, orphan: entry.parent === '', mfa_requirement: null, num_uses: Math.max(0, entry.numUses),
    };
  }

  async function tidy(): Promise<TidyReport> {
    const report: TidyReport = { revokedTokens: 0, deletedParentIndexes: 0, deletedAccessorIndexes: 0, orphanedTokens: 0 };
    // Expired and exhausted tokens.
    for (const name of await storage.list('id/')) {
      if (name.endsWith('/')) continue;
      const entry = await readEntry(name);
      if (entry && (isExpired(entry) || entry.numUses === -1)) {
        await revokeTree(entry);
        report.revokedTokens++;
      }
    }
    // Parent index: children of vanished parents become orphans; entries of vanished children go.
    for (const parentDir of await storage.list('parent/')) {
      if (!parentDir.endsWith('/')) continue;
      const parentId = parentDir.slice(0, -1);
      const parentExists = (await readEntry(parentId)) !== undefined;
      for (const child of await storage.list(`parent/${parentDir}`)) {
        const childEntry = await readEntry(child);
        if (childEntry && !parentExists) {
          await withLock(child, async () => {
            childEntry.parent = '';
            childEntry.orphan = true;
            await store(childEntry, false);
          });
          report.orphanedTokens++;
        }
        if (!childEntry || !parentExists) {
          await storage.delete(`parent/${parentDir}${child}`);
          report.deletedParentIndexes++;
        }
      }
    }
    // Accessor index entries whose token is gone.
    for (const name of await storage.list('accessor/')) {
      if (name.endsWith('/')) continue;
      const index = await getJSON<AccessorIndexEntry>(storage, `accessor/${name}`);
      if (!index || !(await readEntry(index.id))) {
        await storage.delete(`accessor/${name}`);
        report.deletedAccessorIndexes++;
      }
    }
    return report;
  }

  return {
    lookup: (token) => lookupRaw(token, false),
    lookupIncludingLastUse: (token) => lookupRaw(token, true),
    use, finishRequest, toTokenInfo, createRootToken, create, renew, revokeTree, revokeOrphan, lookupAccessor, listAccessors,
    authResponse, remainingTTL, tidy,
    async revokeById(id) {
      const entry = await readEntry(id);
      if (entry) await revokeTree(entry);
    },
    async existsById(id) {
      return (await readEntry(id)) !== undefined;
    },
  };
}
