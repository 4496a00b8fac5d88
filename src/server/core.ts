// Assembles one Coffer server: physical storage → barrier → seal manager, and at every unseal the
// policy store, token store and mount table (each rebuilt from barrier storage). The pipeline is
// the single entry point for API requests; the HTTP layer and tests both call `handle`.
import { Barrier } from '../core/barrier/barrier.js';
import { createSealManager } from '../core/seal/seal-manager.js';
import { SealedError } from '../core/errors.js';
import type { StorageBackend } from '../storage/backend.js';
import { createStorageView } from '../storage/view.js';
import { createCachedStorage } from '../storage/cached-storage.js';
import { createPolicyStore, type PolicyStore } from '../policy/store.js';
import { isSudoPath } from '../policy/sudo-paths.js';
import { createTokenStore, type TokenEntry, type TokenStore } from '../auth/token/store.js';
import { createTokenBackend } from '../auth/token/backend.js';
import { cubbyholeFactory, destroyCubbyhole } from '../engines/cubbyhole/index.js';
import { kvFactory } from '../engines/kv/index.js';
import type { BackendFactory } from '../framework/types.js';
import { createMountTable, type MountTable } from '../router/mount-table.js';
import { createPipeline } from '../router/pipeline.js';
import { createAuditBroker, loadOrCreateAuditChainSecret, type AuditBroker } from '../audit/broker.js';
import { createPasswordPolicyStore, type PasswordPolicyStore } from '../sys-tools/password-policy.js';
import { auditPaths } from '../sys/path-audit.js';
import { toolPaths } from '../sys/path-tools.js';
import type { PathDef } from '../framework/backend.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';
import { createBareHandler } from '../sys/bare.js';
import type { SystemContext } from '../sys/context.js';
import { createSystemBackend } from '../sys/index.js';
import { createWrapping } from '../sys/wrapping.js';

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
}

/** Services that exist only while unsealed. */
interface Unsealed {
  policies: PolicyStore;
  tokens: TokenStore;
  mounts: MountTable;
  audit: AuditBroker;
  passwords: PasswordPolicyStore;
}

/** Hooks later subsystems (metrics, more engines) attach to without the core knowing them. */
export interface CoreExtensions {
  sysPaths?: PathDef[];
  factories?: Record<string, BackendFactory>;
  observe?: Parameters<typeof createPipeline>[0]['observe'];
}

export function createCore(options: CoreOptions, ext: CoreExtensions = {}) {
  const defaults = { defaultLeaseTTL: options.defaultLeaseTTL ?? DEFAULT_LEASE_TTL, maxLeaseTTL: options.maxLeaseTTL ?? DEFAULT_LEASE_TTL };
  const barrier = new Barrier(options.physical);
  const seal = createSealManager({ physical: options.physical, barrier, version: VAULT_COMPAT_VERSION, clusterName: options.clusterName });
  const logError = options.logError ?? (() => undefined);
  let live: Unsealed | undefined;

  function unsealed(): Unsealed {
    if (!live) throw new SealedError();
    return live;
  }

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
    async seal() {
      await seal.seal();
    },
    rotate: async () => {
      const r = await barrier.rotate();
      return { term: r.term, install_time: r.installTime };
    },
    keyStatus: () => barrier.keyStatus(),
  };

  async function onUnseal(): Promise<void> {
    const sysView = createStorageView(barrier, 'sys/');
    const policies = createPolicyStore(sysView);
    await policies.ensureDefaults();
    const audit = createAuditBroker({
      storage: barrier,
      chainKey: await loadOrCreateAuditChainSecret(barrier),
      onDeviceFailure: (path, err) => options.onAuditFailure?.(path, err),
    });
    await audit.restore();
    let mounts: MountTable | undefined;
    const tokenTTL = () => mounts?.get('auth', 'token/')?.info.config;
    const tokens = createTokenStore({
      // Token entries are read on every request; the token store is their only writer.
      storage: createCachedStorage(createStorageView(barrier, 'sys/token/'), { maxEntries: 20_000, cacheable: (k) => k.startsWith('id/') }),
      defaultTTL: () => tokenTTL()?.defaultLeaseTTL || defaults.defaultLeaseTTL,
      maxTTL: () => tokenTTL()?.maxLeaseTTL || defaults.maxLeaseTTL,
      onRevoke: async (entry: TokenEntry) => {
        const cubbyhole = mounts?.get('secret', 'cubbyhole/');
        if (cubbyhole && entry.cubbyholeId) await destroyCubbyhole(cubbyhole.storage, entry.cubbyholeId);
      },
    });
    const factories: Record<string, BackendFactory> = {
      system: () => createSystemBackend(sysContext, [
        ...wrapping.paths, ...auditPaths(() => unsealed().audit), ...toolPaths(() => unsealed().passwords), ...(ext.sysPaths ?? []),
      ]),
      token: createTokenBackend(tokens, {
        // Some token options need sudo on the path; the pipeline's ACL check already decided it.
        isSudo: (req) => req.sudo === true,
        policyExists: async (name) => (await policies.get(name)) !== undefined,
      }),
      cubbyhole: cubbyholeFactory,
      kv: kvFactory,
      generic: kvFactory,
      ...ext.factories,
    };
    mounts = createMountTable({ storage: barrier, factories, defaults });
    await mounts.load();
    live = { policies, tokens, mounts, audit, passwords: createPasswordPolicyStore(sysView) };
  }

  async function onSeal(): Promise<void> {
    const current = live;
    live = undefined;
    await current?.mounts.teardown();
    await current?.audit.close();
  }

  seal.onUnseal.push(onUnseal);
  seal.onSeal.push(onSeal);

  const bare = createBareHandler({
    seal,
    createRootToken: () => unsealed().tokens.createRootToken(),
    isActive: () => true,
  });

  const pipeline = createPipeline<TokenEntry>({
    sealed: () => live === undefined,
    mounts: () => unsealed().mounts,
    tokens: () => unsealed().tokens,
    acl: (names) => unsealed().policies.aclFor(names),
    isSudoPath,
    audit: () => live?.audit,
    wrapper: () => wrapping.wrapper,
    bare,
    onUnexpectedError: (err, req) => logError(err, `${req.method} /v1/${req.path}`),
    observe: ext.observe,
  });

  return {
    handle: (req: ApiRequest): Promise<ApiResponse> => pipeline.handle(req),
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
