// The mount table: which backend serves which path prefix. Secrets engines and auth methods live
// in one table (auth methods under "auth/"), persisted through the barrier and rebuilt at unseal.
// Lookup walks the request path's prefixes from longest to shortest: a few Map probes per request.
import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../core/errors.js';
import type { Storage } from '../storage/backend.js';
import { getJSON, putJSON } from '../storage/json.js';
import { clearPrefix, createStorageView } from '../storage/view.js';
import type { Backend, BackendFactory, MountConfig, MountInfo } from '../framework/types.js';

export type MountKind = 'secret' | 'auth';

export interface MountedBackend {
  info: MountInfo;
  kind: MountKind;
  backend: Backend;
  storage: Storage;
}

export interface MountTableDeps {
  /** Barrier-backed storage (sealed state is the caller's concern). */
  storage: Storage;
  factories: Record<string, BackendFactory>;
  defaults: { defaultLeaseTTL: number; maxLeaseTTL: number };
  /** Backs SystemView.generatePassword: a password from a named policy ('' = the default generator). */
  generatePassword?: (policyName: string) => Promise<string>;
  /** Backs SystemView.rotationFailed, told the mount's path. */
  rotationFailed?: (mountPath: string, role: string, error: string) => void;
  /** Runs before a mount is removed or moved away from its path (its leases are revoked); a failure keeps the mount. */
  beforeUnmount?: (mountPath: string) => Promise<void>;
}

export interface MountParams {
  type: string;
  description?: string;
  config?: Partial<MountConfig>;
  options?: Record<string, string>;
  local?: boolean;
  sealWrap?: boolean;
}

const TABLE_KEY: Record<MountKind, string> = { secret: 'core/mounts', auth: 'core/auth' };
/** Mounts every server has; they cannot be disabled or moved. */
const BUILTIN: Record<MountKind, Array<{ path: string; type: string; description: string; local?: boolean }>> = {
  secret: [
    { path: 'cubbyhole/', type: 'cubbyhole', description: 'per-token private secret storage', local: true },
    { path: 'sys/', type: 'system', description: 'system endpoints used for control, policy and debugging' },
  ],
  auth: [{ path: 'token/', type: 'token', description: 'token based credentials' }],
};
const RESERVED_SECRET_PREFIXES = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];
const KV_TYPES = new Set(['kv', 'generic']);

export function emptyMountConfig(): MountConfig {
  return {
    defaultLeaseTTL: 0, maxLeaseTTL: 0, forceNoCache: false, auditNonHMACRequestKeys: [], auditNonHMACResponseKeys: [],
    listingVisibility: '', passthroughRequestHeaders: [], allowedResponseHeaders: [],
  };
}

/** Normalises a user-supplied mount path: no leading '/', exactly one trailing '/', no odd segments. */
export function normalizeMountPath(raw: string): string {
  let p = raw.trim().replace(/^\/+/, '');
  if (!p.endsWith('/')) p += '/';
  const segments = p.slice(0, -1).split('/');
  if (p === '/' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidRequestError(`invalid mount path "${raw.slice(0, 100)}"`);
  }
  if (p.length > 256 || !/^[\w.@:+=,~-][\w.@:+=,~/-]*$/.test(p)) throw new InvalidRequestError('invalid characters in mount path');
  return p;
}

export function createMountTable(deps: MountTableDeps) {
  const byPath = new Map<string, MountedBackend>();

  function tablePath(kind: MountKind, path: string): string {
    return kind === 'auth' ? `auth/${path}` : path;
  }

  function effective(info: MountInfo) {
    const { rotationFailed } = deps;
    return {
      defaultLeaseTTL: () => info.config.defaultLeaseTTL || deps.defaults.defaultLeaseTTL,
      maxLeaseTTL: () => info.config.maxLeaseTTL || deps.defaults.maxLeaseTTL,
      generatePassword: deps.generatePassword,
      rotationFailed: rotationFailed && ((role: string, error: string) => rotationFailed(info.path, role, error)),
    };
  }

  async function instantiate(kind: MountKind, info: MountInfo): Promise<MountedBackend> {
    const factory = deps.factories[info.type];
    if (!factory) throw new InvalidRequestError(`unknown ${kind === 'auth' ? 'auth method' : 'secrets engine'} type: ${info.type}`);
    const storage = createStorageView(deps.storage, `${kind === 'auth' ? 'auth' : 'logical'}/${info.uuid}/`);
    const full: MountInfo = { ...info, path: tablePath(kind, info.path) };
    const backend = await factory({ mount: full, storage, system: effective(full) });
    await backend.initialize?.();
    return { info: full, kind, backend, storage };
  }

  function newInfo(kind: MountKind, path: string, p: MountParams): MountInfo {
    const accessorPrefix = kind === 'auth' ? `auth_${p.type}` : p.type;
    return {
      path, type: p.type, accessor: `${accessorPrefix}_${randomBytes(4).toString('hex')}`, uuid: randomUUID(),
      description: p.description ?? '', options: p.options ?? {}, local: p.local ?? false, sealWrap: p.sealWrap ?? false,
      config: { ...emptyMountConfig(), ...p.config },
    };
  }

  async function persist(kind: MountKind): Promise<void> {
    const entries = [...byPath.values()].filter((m) => m.kind === kind)
      .map((m) => ({ ...m.info, path: kind === 'auth' ? m.info.path.slice('auth/'.length) : m.info.path }));
    await putJSON(deps.storage, TABLE_KEY[kind], entries);
  }

  function conflict(full: string): string | undefined {
    for (const existing of byPath.keys()) {
      if (existing.startsWith(full) || full.startsWith(existing)) return existing;
    }
    return undefined;
  }

  return {
    /** Rebuilds the table from storage at unseal; first unseal after init writes the built-in mounts. */
    async load(): Promise<void> {
      byPath.clear();
      for (const kind of ['secret', 'auth'] as const) {
        let entries = await getJSON<MountInfo[]>(deps.storage, TABLE_KEY[kind]);
        if (!entries) {
          entries = BUILTIN[kind].map((b) => newInfo(kind, b.path, { type: b.type, description: b.description, local: b.local }));
          await putJSON(deps.storage, TABLE_KEY[kind], entries);
        }
        for (const info of entries) {
          const m = await instantiate(kind, info);
          byPath.set(m.info.path, m);
        }
      }
    },

    async teardown(): Promise<void> {
      for (const m of byPath.values()) await m.backend.cleanup?.();
      byPath.clear();
    },

    /** The mount serving `path` (a full API path below /v1) and the path relative to it. */
    match(path: string): { mount: MountedBackend; rest: string } | undefined {
      let end = path.length;
      for (;;) {
        const candidate = path.slice(0, end);
        const key = candidate.endsWith('/') ? candidate : `${candidate}/`;
        const m = byPath.get(key);
        if (m) return { mount: m, rest: path.slice(Math.min(key.length, path.length)) };
        // lastIndexOf treats a negative start as 0, which would find a leading '/' again forever.
        const from = end - (candidate.endsWith('/') ? 2 : 1);
        const slash = from < 0 ? -1 : path.lastIndexOf('/', from);
        if (slash < 0 || slash + 1 >= end) return undefined;
        end = slash + 1;
      }
    },

    get(kind: MountKind, path: string): MountedBackend | undefined {
      return byPath.get(tablePath(kind, path));
    },

    list(kind: MountKind): MountedBackend[] {
      return [...byPath.values()].filter((m) => m.kind === kind).sort((a, b) => a.info.path.localeCompare(b.info.path));
    },

    all(): MountedBackend[] {
      return [...byPath.values()];
    },

    async mount(kind: MountKind, rawPath: string, params: MountParams): Promise<MountedBackend> {
      const path = normalizeMountPath(rawPath);
      if (kind === 'secret' && RESERVED_SECRET_PREFIXES.some((r) => path.startsWith(r) || r.startsWith(path))) {
        throw new InvalidRequestError(`cannot mount at reserved path "${path}"`);
      }
      if (kind === 'auth' && path === 'token/') throw new InvalidRequestError('token credential backend cannot be instantiated');
      if (['system', 'cubbyhole', 'token'].includes(params.type)) {
        throw new InvalidRequestError(`mount type of "${params.type}" is not mountable`);
      }
      if (params.options?.version !== undefined && !KV_TYPES.has(params.type)) {
        throw new InvalidRequestError('options.version is only supported by the kv secrets engine');
      }
      const full = tablePath(kind, path);
      const clash = conflict(full);
      if (clash) throw new InvalidRequestError(`path is already in use at ${clash}`);
      const m = await instantiate(kind, newInfo(kind, path, params));
      byPath.set(full, m);
      try {
        await persist(kind);
      } catch (err) {
        byPath.delete(full);
        throw err;
      }
      return m;
    },

    async unmount(kind: MountKind, rawPath: string): Promise<MountedBackend | undefined> {
      const path = normalizeMountPath(rawPath);
      if (BUILTIN[kind].some((b) => b.path === path)) throw new InvalidRequestError(`cannot unmount "${tablePath(kind, path)}"`);
      const full = tablePath(kind, path);
      const m = byPath.get(full);
      if (!m) return undefined;
      await deps.beforeUnmount?.(full);
      byPath.delete(full);
      await persist(kind);
      await m.backend.cleanup?.();
      await clearPrefix(deps.storage, `${kind === 'auth' ? 'auth' : 'logical'}/${m.info.uuid}/`);
      return m;
    },

    /**
     * Moves a mount to a new path of the same table (sys/remount). The checks run at once (a bad
     * request fails before anything changes); `run` does the move. Its data moves with it: storage is
     * per mount uuid, and uuid, accessor, type, options and config are kept. Leases issued under the
     * old path are revoked first (as Vault does: a lease id names the path it was issued at), then a
     * backend instance is built at the new path, the table is persisted and the old instance cleaned up.
     */
    prepareMove(kind: MountKind, rawFrom: string, rawTo: string): { from: string; to: string; run(): Promise<MountedBackend> } {
      const from = normalizeMountPath(rawFrom);
      const to = normalizeMountPath(rawTo);
      for (const p of [from, to]) {
        if (BUILTIN[kind].some((b) => b.path === p) || (kind === 'secret' && RESERVED_SECRET_PREFIXES.some((r) => p.startsWith(r) || r.startsWith(p)))) {
          throw new InvalidRequestError(p === from ? `cannot remount "${tablePath(kind, p)}"` : `cannot remount to destination "${tablePath(kind, p)}"`);
        }
      }
      const fullFrom = tablePath(kind, from);
      const fullTo = tablePath(kind, to);
      const m = byPath.get(fullFrom);
      if (!m) throw new InvalidRequestError(`no matching mount at "${fullFrom}"`);
      const checkDestination = () => {
        const clash = conflict(fullTo);
        if (clash) throw new InvalidRequestError(`path already in use at "${clash}"`);
      };
      checkDestination();
      return {
        from: fullFrom,
        to: fullTo,
        async run(): Promise<MountedBackend> {
          await deps.beforeUnmount?.(fullFrom);
          const moved = await instantiate(kind, { ...m.info, path: to });
          // The table may have changed since the checks (leases were being revoked): checked again
          // with no await between the check and the swap.
          try {
            if (byPath.get(fullFrom) !== m) throw new InvalidRequestError(`the mount at "${fullFrom}" changed during the move`);
            checkDestination();
          } catch (err) {
            await moved.backend.cleanup?.();
            throw err;
          }
          byPath.delete(fullFrom);
          byPath.set(fullTo, moved);
          try {
            await persist(kind);
          } catch (err) {
            byPath.delete(fullTo);
            byPath.set(fullFrom, m);
            await moved.backend.cleanup?.();
            throw err;
          }
          await m.backend.cleanup?.();
          return moved;
        },
      };
    },

    /** Applies tuning (TTLs, description, options); changing a kv mount's version is refused. */
    async tune(kind: MountKind, rawPath: string, change: { description?: string; config?: Partial<MountConfig>; options?: Record<string, string> }): Promise<void> {
      const full = tablePath(kind, normalizeMountPath(rawPath));
      const m = byPath.get(full);
      if (!m) throw new InvalidRequestError(`no mount at "${full}"`);
      const info: MountInfo = { ...m.info, config: { ...m.info.config, ...change.config } };
      if (change.description !== undefined) info.description = change.description;
      if (change.options) {
        const oldVersion = m.info.options.version ?? '1';
        const newVersion = change.options.version ?? oldVersion;
        if (change.options.version !== undefined && !KV_TYPES.has(m.info.type)) {
          throw new InvalidRequestError('options.version is only supported by the kv secrets engine');
        }
        if (newVersion !== oldVersion) {
          // Vault migrates a v1 mount's data in place; until Coffer does, refuse rather than hide the data.
          if (oldVersion === '1' && newVersion === '2') {
            throw new InvalidRequestError('upgrading a KV version 1 mount to version 2 is not supported yet: mount a new kv-v2 engine and copy the secrets');
          }
          throw new InvalidRequestError('cannot downgrade mount from KV version 2');
        }
        info.options = { ...m.info.options, ...change.options };
      }
      if (info.config.maxLeaseTTL && info.config.defaultLeaseTTL > info.config.maxLeaseTTL) {
        throw new InvalidRequestError('default lease TTL cannot be greater than max lease TTL');
      }
      // Mutated in place: the backend and its TTL view hold this very object.
      const previous = { ...m.info };
      Object.assign(m.info, info);
      try {
        await persist(kind);
      } catch (err) {
        Object.assign(m.info, previous);
        throw err;
      }
    },

    /** The backend types this server can mount (its factories). */
    types(): string[] {
      return Object.keys(deps.factories);
    },

    systemDefaults: deps.defaults,
  };
}

export type MountTable = ReturnType<typeof createMountTable>;
