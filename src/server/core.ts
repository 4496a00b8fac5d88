// Assembles one Coffer server: physical storage → barrier → seal manager. Unsealing only opens the
// barrier; becoming active (at once, unless the node starts as a standby) builds the policy store,
// token store, mount table, audit broker and expiration manager from barrier storage, restores the
// leases and starts the backends' background work. The pipeline is the single entry point for API
// requests; the HTTP layer and tests both call `handle`.
import { Barrier } from '../core/barrier/barrier.js';
import { createSealManager } from '../core/seal/seal-manager.js';
import { createRekeyOperation } from '../core/seal/rekey.js';
import { createRootGeneration } from '../core/seal/root-generation.js';
import { InvalidRequestError, SealedError } from '../core/errors.js';
import type { StorageBackend } from '../storage/backend.js';
import { createStorageView } from '../storage/view.js';
import { createCachedStorage } from '../storage/cached-storage.js';
import { createPolicyStore, type PolicyStore } from '../policy/store.js';
import { isSudoPath } from '../policy/sudo-paths.js';
import { createTokenStore, type RenewLimits, type TokenEntry, type TokenStore } from '../auth/token/store.js';
import { createTokenBackend } from '../auth/token/backend.js';
import { cubbyholeFactory, destroyCubbyhole } from '../engines/cubbyhole/index.js';
import { databaseFactory } from '../engines/database/index.js';
import { kvFactory } from '../engines/kv/index.js';
import type { BackendFactory } from '../framework/types.js';
import { createMountTable, type MountTable } from '../router/mount-table.js';
import { createPipeline, type IntentHandler, type RequestMeta } from '../router/pipeline.js';
import { createExpirationManager, type ExpirationManager } from '../lease/expiration-manager.js';
import { leasePaths } from '../sys/path-leases.js';
import { createBackgroundRunner } from './background.js';
import { createStateLock } from './state-lock.js';
import { deleteWAL } from '../framework/wal.js';
import { toApiResponse } from '../http/respond.js';
import { sanitizePolicies } from '../auth/token/store.js';
import type { AuthIntent, Request, SecretIntent } from '../framework/types.js';
import { createPasswordPolicyStore as passwordStoreFor, generateDefaultPassword } from '../sys-tools/password-policy.js';
import { createAuditBroker, loadOrCreateAuditChainSecret, type AuditBroker, type AuditTruncation } from '../audit/broker.js';
import type { PasswordPolicyStore } from '../sys-tools/password-policy.js';
import { auditPaths } from '../sys/path-audit.js';
import { toolPaths } from '../sys/path-tools.js';
import type { PathDef } from '../framework/backend.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';
import { createBareHandler } from '../sys/bare.js';
import type { SystemContext } from '../sys/context.js';
import { createSystemBackend } from '../sys/index.js';
import { createWrapping } from '../sys/wrapping.js';
import { createRekeyHandler, rekeyBackupPaths } from '../sys/rekey.js';
import { createGenerateRootHandler } from '../sys/generate-root.js';

export const VAULT_COMPAT_VERSION = '1.17.0+coffer';
export const DEFAULT_LEASE_TTL = 768 * 3600;

export interface CoreOptions {
  physical: StorageBackend;
  defaultLeaseTTL?: number;
  maxLeaseTTL?: number;
  clusterName?: string;
  logError?: (err: unknown, context: string) => void;
  /** Told when an audit device fails a write (never given the entry). */
  onAuditFailure?: (path: string, err: unknown) => void;
  /** Told when an audit file does not end where the server left it (cut or replaced; metrics, server log). */
  onAuditTruncation?: (path: string, info: AuditTruncation) => void;
  /** Operational messages of background work (lease revocation, periodic tasks); never secret values. */
  logEvent?: (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
  /** Told when a lease becomes irrevocable (metrics). */
  onIrrevocableLease?: (leaseId: string) => void;
  /** Told when an engine's scheduled credential rotation fails (metrics). */
  onRotationFailure?: (mountPath: string, role: string) => void;
  /** 'standby': unseal opens the barrier only; becomeActive() starts serving (HA). Default 'active'. */
  startAs?: 'active' | 'standby';
  /** First retry delay of a failed lease revocation (ms; doubles per attempt). Default 10 s. */
  leaseRetryBaseMs?: number;
  /** How long sealing (or stepping down) waits for requests in flight to finish, ms. Default 30 s. */
  drainTimeoutMs?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** What every finished request reports (metrics). */
export interface RequestObservation {
  mountType: string;
  mountPath: string;
  operation: string;
  status: number;
  seconds: number;
}

/** Services that exist only while unsealed. */
interface Unsealed {
  policies: PolicyStore;
  tokens: TokenStore;
  mounts: MountTable;
  audit: AuditBroker;
  passwords: PasswordPolicyStore;
  leases: ExpirationManager;
  background: ReturnType<typeof createBackgroundRunner>;
}

/** Hooks later subsystems (metrics, more engines) attach to without the core knowing them. */
export interface CoreExtensions {
  sysPaths?: PathDef[];
  factories?: Record<string, BackendFactory>;
  observe?: (info: RequestObservation) => void;
}

export function createCore(options: CoreOptions, ext: CoreExtensions = {}) {
  const defaults = { defaultLeaseTTL: options.defaultLeaseTTL ?? DEFAULT_LEASE_TTL, maxLeaseTTL: options.maxLeaseTTL ?? DEFAULT_LEASE_TTL };
  const barrier = new Barrier(options.physical);
  const seal = createSealManager({ physical: options.physical, barrier, version: VAULT_COMPAT_VERSION, clusterName: options.clusterName });
  const logError = options.logError ?? (() => undefined);
  let live: Unsealed | undefined;
  // Requests hold it from admission to their audited response; going idle closes it and waits.
  const stateLock = createStateLock();
  // sys/seal requests still running: the seal starts once such a request has finished.
  const sealRequests = new WeakSet<Request>();
  let idling: Promise<void> | undefined;

  function unsealed(): Unsealed {
    if (!live) throw new SealedError();
    return live;
  }

  // Rekey and root generation: in-memory attempts, forgotten on seal.
  const rekey = createRekeyOperation({ seal, physical: options.physical });
  const rootGeneration = createRootGeneration({
    seal,
    createRootToken: () => unsealed().tokens.createRootToken(),
    async revokeToken(token) {
      const entry = await unsealed().tokens.lookup(token);
      if (entry) await unsealed().tokens.revokeTree(entry);
    },
  });

  const wrapping = createWrapping({
    tokens: () => unsealed().tokens,
    cubbyholeStorage: () => {
      const m = unsealed().mounts.get('secret', 'cubbyhole/');
      if (!m) throw new SealedError();
      return m.storage;
    },
  });

  const sysContext: SystemContext = {
    version: VAULT_COMPAT_VERSION,
    mounts: () => unsealed().mounts,
    policies: () => unsealed().policies,
    async tokenPolicies(token) {
      if (token === '') return undefined;
      return (await unsealed().tokens.lookup(token))?.policies;
    },
    async accessorPolicies(accessor) {
      if (accessor === '') return undefined;
      return (await unsealed().tokens.lookupAccessor(accessor))?.policies;
    },
    async seal(request) {
      // Sealing now would close the audit device under this very request (and under every other
      // request in flight): it runs when this request leaves the state lock (see gate below).
      sealRequests.add(request);
    },
    rotate: async () => {
      const r = await barrier.rotate();
      return { term: r.term, install_time: r.installTime };
    },
    keyStatus: () => barrier.keyStatus(),
  };

  /** Builds every service from barrier storage and starts serving: lease restore, background work. */
  async function becomeActive(): Promise<void> {
    if (live || barrier.sealed) return;
    const sysView = createStorageView(barrier, 'sys/');
    const policies = createPolicyStore(sysView);
    await policies.ensureDefaults();
    const passwords = passwordStoreFor(sysView);
    const audit = createAuditBroker({
      storage: barrier,
      chainKey: await loadOrCreateAuditChainSecret(barrier),
      onDeviceFailure: (path, err) => options.onAuditFailure?.(path, err),
      onTruncation: (path, info) => options.onAuditTruncation?.(path, info),
    });
    await audit.restore();
    let mounts: MountTable | undefined;
    let tokens: TokenStore | undefined;
    const leases = createExpirationManager({
      storage: createStorageView(barrier, 'sys/expire/'),
      resolve(leaseId) {
        const m = mounts?.match(leaseId)?.mount;
        if (!m) return undefined;
        const info = m.info;
        return { backend: m.backend, storage: m.storage, mountPath: info.path, maxLeaseTTL: () => effectiveTTLs(info.config, defaults).maxTTL };
      },
      revokeToken: async (id) => { await tokens?.revokeById(id); },
      tokenExists: async (id) => (await tokens?.existsById(id)) ?? false,
      retryBaseMs: options.leaseRetryBaseMs,
      log: (level, msg, fields) => options.logEvent?.(level, msg, fields),
      onIrrevocable: (id) => options.onIrrevocableLease?.(id),
    });
    const tokenTTL = () => mounts?.get('auth', 'token/')?.info.config;
    tokens = createTokenStore({
      // Token entries are read on every request; the token store is their only writer.
      storage: createCachedStorage(createStorageView(barrier, 'sys/token/'), { maxEntries: 20_000, cacheable: (k) => k.startsWith('id/') }),
      defaultTTL: () => effectiveTTLs(tokenTTL(), defaults).defaultTTL,
      maxTTL: () => effectiveTTLs(tokenTTL(), defaults).maxTTL,
      onRevoke: async (entry: TokenEntry) => {
        const cubbyhole = mounts?.get('secret', 'cubbyhole/');
        if (cubbyhole && entry.cubbyholeId) await destroyCubbyhole(cubbyhole.storage, entry.cubbyholeId);
        await leases.tokenRevoked(entry.path, entry.id);
      },
      onCreate: (entry) => leases.registerToken({
        path: entry.path, tokenId: entry.id, issueTime: entry.issueTimeMs, expireTime: entry.expireTimeMs, ttl: entry.ttl, renewable: entry.renewable,
      }),
      onRenew: (entry) => leases.tokenRenewed(entry.path, entry.id, entry.expireTimeMs, entry.lastRenewalTimeMs),
      beforeRenew: (entry) => loginRenewLimits(entry, mounts, defaults),
    });
    const tokenStore = tokens;
    const factories: Record<string, BackendFactory> = {
      system: () => createSystemBackend(sysContext, [
        ...wrapping.paths, ...auditPaths(() => unsealed().audit), ...toolPaths(() => unsealed().passwords),
        ...leasePaths(() => unsealed().leases), ...rekeyBackupPaths(() => rekey), ...(ext.sysPaths ?? []),
      ]),
      token: createTokenBackend(tokenStore, {
        // Some token options need sudo on the path; the pipeline's ACL check already decided it.
        isSudo: (req) => req.sudo === true,
        policyExists: async (name) => (await policies.get(name)) !== undefined,
      }),
      cubbyhole: cubbyholeFactory,
      kv: kvFactory,
      generic: kvFactory,
      database: databaseFactory,
      ...ext.factories,
    };
    mounts = createMountTable({
      storage: barrier, factories, defaults,
      generatePassword: (name) => (name === '' ? generateDefaultPassword() : passwords.generate(name)),
      rotationFailed: (mount, role, error) => {
        options.onRotationFailure?.(mount, role);
        options.logEvent?.('warn', 'credential rotation failed', { mount, role, error });
      },
      // A mount's leases go before the mount does (an unmount with unrevocable leases fails).
      beforeUnmount: async (path) => { await leases.revokePrefix(path, false); },
    });
    await mounts.load();
    const mountTable = mounts;
    const background = createBackgroundRunner({ mounts: () => mountTable.all(), log: (level, msg, fields) => options.logEvent?.(level, msg, fields) });
    live = { policies, tokens: tokenStore, mounts: mountTable, audit, passwords, leases, background };
    void leases.start();
    background.start();
    stateLock.open();
  }

  /**
   * Stops serving but keeps the barrier open (HA step-down), or as the first step of sealing: new
   * requests get 503 at once, requests in flight finish first (bounded wait), then the services go.
   */
  function becomeIdle(): Promise<void> {
    idling ??= (async () => {
      try {
        const drained = await stateLock.close(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
        if (!drained) options.logEvent?.('warn', 'requests still in flight after the drain timeout; stopping services under them', { in_flight: stateLock.inFlight() });
        const current = live;
        live = undefined;
        if (!current) return;
        await current.background.stop();
        await current.leases.stop();
        await current.mounts.teardown();
        await current.audit.close();
      } finally {
        idling = undefined;
      }
    })();
    return idling;
  }

  async function onUnseal(): Promise<void> {
    if ((options.startAs ?? 'active') === 'active') await becomeActive();
  }

  async function onSeal(): Promise<void> {
    await becomeIdle();
  }

  /** The core's side of the backend contract: leases for secrets, tokens for logins. */
  const intents: IntentHandler = {
    async registerLease(request: Request, secret: SecretIntent) {
      const m = unsealed().mounts.get(request.mount.path.startsWith('auth/') ? 'auth' : 'secret', request.mount.path.replace(/^auth\//, ''));
      const lease = await unsealed().leases.register({
        path: request.fullPath, secret, tokenId: request.token?.type === 'service' ? request.token.id : '',
        ...effectiveTTLs(m?.info.config ?? request.mount.config, defaults),
      });
      // The lease is durable: the WAL entries that guarded the secret's creation are done with.
      for (const id of secret.walIds ?? []) await deleteWAL(request.storage, id).catch(() => undefined);
      return lease;
    },
    async revokeUnregistered(request: Request, secret: SecretIntent) {
      const m = unsealed().mounts.match(request.fullPath)?.mount;
      await m?.backend.secrets?.[secret.type]?.revoke({
        leaseId: '', internal: secret.internal, issueTime: Date.now(), expireTime: Date.now(), ttl: 0, increment: 0, storage: request.storage,
      });
    },
    async issueToken(request: Request, auth: AuthIntent) {
      return issueLoginToken(unsealed().tokens, request, auth, defaults);
    },
  };
  seal.onUnseal.push(onUnseal);
  seal.onSeal.push(onSeal);

  const bare = createBareHandler({
    seal,
    createRootToken: () => unsealed().tokens.createRootToken(),
    isActive: () => live !== undefined || barrier.sealed,
  });

  // sys/rekey/* and sys/generate-root/* are bare like sys/init: the unseal keys are the credential.
  const ensureActive = (): void => void unsealed();
  const recoveryHandlers = [createRekeyHandler({ rekey, ensureActive }), createGenerateRootHandler({ rootGeneration, ensureActive })];
  async function bareOrRecovery(req: ApiRequest): Promise<ApiResponse | undefined> {
    for (const handle of recoveryHandlers) {
      const res = await handle(req);
      if (res) return res;
    }
    return bare(req);
  }

  const pipeline = createPipeline<TokenEntry>({
    gate: {
      enter() {
        if (!stateLock.tryEnter()) throw new SealedError();
      },
      leave(request, ok) {
        stateLock.leave();
        if (request === undefined || !sealRequests.has(request)) return undefined;
        sealRequests.delete(request);
        // The seal request has been answered and audited: seal now (after the others in flight).
        return ok ? seal.seal() : undefined;
      },
    },
    mounts: () => unsealed().mounts,
    tokens: () => unsealed().tokens,
    acl: (names) => unsealed().policies.aclFor(names),
    isSudoPath,
    audit: () => live?.audit,
    wrapper: () => wrapping.wrapper,
    intents: () => (live ? intents : undefined),
    bare: bareOrRecovery,
    onUnexpectedError: (err, req) => logError(err, `${req.method} /v1/${req.path}`),
  });

  async function handle(req: ApiRequest): Promise<ApiResponse> {
    const { result, meta } = await pipeline.handle(req);
    const api = toApiResponse(result);
    if (ext.observe) ext.observe(observation(meta, api.status));
    return api;
  }

  return {
    handle,
    /** Starts serving on an unsealed standby (HA); a no-op when already active. */
    becomeActive,
    /** Stops serving but stays unsealed (HA step-down). */
    becomeIdle,
    isActive: () => live !== undefined,
    seal,
    barrier,
    /** Services available while unsealed (throws SealedError otherwise). */
    unsealed,
    isSealed: () => live === undefined,
    /** The audit broker while unsealed (SIGHUP reopens its files). */
    unsealedAudit: () => live?.audit,
    /** Dev mode: initialise with one key share, stay unsealed, mount kv v2 at secret/. */
    async initializeDev(rootTokenId?: string): Promise<{ rootToken: string; unsealKey: string }> {
      const result = await seal.initializeDev({ rootTokenId, createRootToken: (id) => unsealed().tokens.createRootToken(id) });
      await unsealed().mounts.mount('secret', 'secret/', { type: 'kv', options: { version: '2' }, description: 'key/value secret storage' });
      return { rootToken: result.root_token ?? '', unsealKey: result.keys_base64[0] ?? '' };
    },
    async close(): Promise<void> {
      if (live) await seal.seal();
      await options.physical.close();
    },
    defaults,
  };
}

export type Core = ReturnType<typeof createCore>;

function observation(meta: RequestMeta, status: number): RequestObservation {
  return {
    mountType: meta.mountType, mountPath: meta.mountPath, operation: meta.operation, status,
    seconds: Number(process.hrtime.bigint() - meta.started) / 1e9,
  };
}

type TTLDefaults = { defaultLeaseTTL: number; maxLeaseTTL: number };

/** A mount's effective TTLs in seconds: its tuning, else the server's defaults. */
function effectiveTTLs(cfg: { defaultLeaseTTL: number; maxLeaseTTL: number } | undefined, defaults: TTLDefaults): { defaultTTL: number; maxTTL: number } {
  return { defaultTTL: cfg?.defaultLeaseTTL || defaults.defaultLeaseTTL, maxTTL: cfg?.maxLeaseTTL || defaults.maxLeaseTTL };
}

/**
 * A login token is renewed only with the consent of the auth method that issued it (Backend.authRenew),
 * on that auth mount's TTLs. Tokens of the token store itself renew on the token mount's TTLs.
 */
async function loginRenewLimits(entry: TokenEntry, mounts: MountTable | undefined, defaults: TTLDefaults): Promise<RenewLimits | undefined> {
  if (!entry.path.startsWith('auth/') || entry.path.startsWith('auth/token/')) return undefined;
  const m = mounts?.match(entry.path)?.mount;
  if (!m) throw new InvalidRequestError('the auth method that issued this token is no longer mounted');
  if (!m.backend.authRenew) throw new InvalidRequestError('this auth type does not support renewal');
  const r = await m.backend.authRenew({ internal: entry.loginInternal ?? {}, metadata: entry.meta ?? {}, storage: m.storage });
  const { defaultTTL, maxTTL } = effectiveTTLs(m.info.config, defaults);
  return { defaultTTL, maxTTL: r?.maxTTL ? Math.min(r.maxTTL, maxTTL) : maxTTL, ttl: r?.ttl };
}

/**
 * Mints the token a login asked for (AuthIntent): an orphan service or batch token on the auth
 * mount's TTLs, with Vault's display name rule ("<mount path>-<name>", e.g. userpass-bob).
 */
async function issueLoginToken(tokens: TokenStore, request: Request, auth: AuthIntent, defaults: TTLDefaults) {
  const mountName = request.mount.path.replace(/^auth\//, '').replace(/\/$/, '').replace(/\//g, '-');
  const displayName = auth.displayName ? `${mountName}-${auth.displayName}` : mountName;
  const type = auth.tokenType === 'batch' || auth.tokenType === 'default-batch' ? 'batch' : 'service';
  const { defaultTTL, maxTTL } = effectiveTTLs(request.mount.config, defaults);
  const { token, entry } = await tokens.create({
    policies: sanitizePolicies(auth.policies, !auth.noDefaultPolicy), meta: auth.metadata ?? null, displayName,
    ttl: auth.ttl, explicitMaxTTL: auth.explicitMaxTTL, period: auth.period, numUses: auth.numUses, renewable: auth.renewable ?? true,
    type, path: request.fullPath, orphan: true, loginInternal: auth.internal,
    mountTTL: { defaultTTL, maxTTL: auth.maxTTL && auth.maxTTL > 0 ? Math.min(auth.maxTTL, maxTTL) : maxTTL },
  });
  return tokens.authResponse(token, entry);
}
