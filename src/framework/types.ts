// The contract between the request pipeline and every backend (secrets engine or auth method).
// A backend never sees HTTP: it gets a Request with its own storage view and returns a Response.
import type { Storage } from '../storage/backend.js';
import type { FieldSchema } from './field-types.js';

export type Operation = 'create' | 'read' | 'update' | 'delete' | 'list' | 'patch';
export const OPERATIONS: readonly Operation[] = ['create', 'read', 'update', 'delete', 'list', 'patch'];

/** What the pipeline knows about the token that made a request (absent on unauthenticated paths). */
export interface TokenInfo {
  /** The token's storage id (a salted hash, never the token itself). */
  id: string;
  accessor: string;
  policies: string[];
  displayName: string;
  metadata: Record<string, string>;
  entityId: string;
  type: 'service' | 'batch';
  /** Per-token namespace for the cubbyhole engine. */
  cubbyholeId: string;
  /** The token's path of creation, e.g. auth/token/create. */
  path: string;
  /** Unix seconds of creation; ttl in seconds (0 = none). */
  creationTime: number;
  ttl: number;
  orphan: boolean;
  numUses: number;
}

export interface MountInfo {
  /** With trailing slash, e.g. "secret/" or "auth/token/". */
  path: string;
  type: string;
  accessor: string;
  uuid: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
  sealWrap: boolean;
  config: MountConfig;
}

export interface MountConfig {
  /** 0 means "use the system default". */
  defaultLeaseTTL: number;
  maxLeaseTTL: number;
  forceNoCache: boolean;
  auditNonHMACRequestKeys: string[];
  auditNonHMACResponseKeys: string[];
  listingVisibility: '' | 'unauth' | 'hidden';
  passthroughRequestHeaders: string[];
  allowedResponseHeaders: string[];
}

export interface Request {
  id: string;
  operation: Operation;
  /** Path relative to the mount, without a leading slash (lists keep their trailing slash). */
  path: string;
  /** Full API path below /v1, e.g. "secret/data/foo". */
  fullPath: string;
  mount: MountInfo;
  data: Record<string, unknown>;
  storage: Storage;
  /** The raw client token ('' when none was sent). Only token and cubbyhole backends should need it. */
  clientToken: string;
  token?: TokenInfo;
  remoteAddress: string;
  headers: Record<string, string>;
  /** Wrap TTL asked for with X-Vault-Wrap-TTL, seconds (0 = none). */
  wrapTTL: number;
  /** The caller's ACL grants sudo on this path (or is root); set by the pipeline's ACL check. */
  sudo?: boolean;
}

/** The wire-exact `wrap_info` block of a wrapped response. */
export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

/** The wire-exact `auth` block of a Vault response. */
export interface AuthResponse {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  identity_policies?: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: 'service' | 'batch';
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

/**
 * A leased secret (DESIGN.md "The backend contract"): the core registers the lease, answers with
 * its id and TTL, and calls `Backend.secrets[type]` to renew or revoke it. Backends never build a
 * lease id themselves.
 */
export interface SecretIntent {
  /** Names an entry of `Backend.secrets`. */
  type: string;
  /** Seconds; 0 = the mount's default lease TTL. Capped at the effective max TTL. */
  ttl: number;
  /** Seconds from issue the lease may live at most (a role's max_ttl); 0 = the mount's max. */
  maxTTL?: number;
  renewable: boolean;
  /** Kept server-side (through the barrier) and handed back to renew/revoke; never sent to the client. */
  internal: Record<string, unknown>;
  /**
   * WAL entries (framework/wal.ts) guarding the creation of this secret: the core deletes them once
   * the lease is stored, so only a crash between "created outside" and "lease stored" rolls back.
   */
  walIds?: string[];
}

/**
 * What a login asks for: the core mints the token (never the backend), registers its lease and
 * links the entity. Absent fields take the auth mount's defaults.
 */
export interface AuthIntent {
  policies: string[];
  /** Appended to the mount type: "approle" + "-" + displayName (Vault's display name rule). */
  displayName?: string;
  /** Seconds; 0/absent = the mount default. */
  ttl?: number;
  maxTTL?: number;
  explicitMaxTTL?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  metadata?: Record<string, string>;
  /** The identity alias this login maps to (entity linking). */
  alias?: { name: string; metadata?: Record<string, string> };
  tokenType?: 'service' | 'batch' | 'default' | 'default-service' | 'default-batch';
  boundCIDRs?: string[];
  noDefaultPolicy?: boolean;
  /** Kept with the token's lease and handed back to `Backend.authRenew`. */
  internal?: Record<string, unknown>;
}

export interface Response {
  data?: Record<string, unknown> | null;
  /** A leased secret: the core registers it (see SecretIntent). */
  secret?: SecretIntent;
  /** A login: the core mints the token (see AuthIntent). */
  auth?: AuthIntent;
  /**
   * An auth block already minted by the token store itself (auth/token/create, renew): only the
   * token backend, which is the minting authority, returns this.
   */
  issuedAuth?: AuthResponse;
  warnings?: string[];
  /** Informational lease_duration for non-leased reads (KV v1 shows the mount TTL); no lease is made. */
  leaseDuration?: number;
  /** Overrides the status code, e.g. KV v2's 404-with-body for a deleted version. */
  statusCode?: number;
  /** A raw (non-envelope) response: sys/metrics text, PEM bodies, sys/health-style bare JSON. */
  raw?: { status: number; contentType: string; body: string | Uint8Array; headers?: Record<string, string> };
}

/**
 * A backend's Response after the core has acted on it: the lease it registered for `secret` and the
 * token it minted for `auth` (or the token backend's own issuedAuth). Audit and the envelope read this.
 */
export interface ResolvedResponse extends Response {
  lease?: { id: string; ttl: number; renewable: boolean };
  authBlock?: AuthResponse;
}

/** What a renew or revoke handler of a leased secret is given. */
export interface LeaseRequest {
  leaseId: string;
  /** The SecretIntent.internal the secret was issued with (updated by earlier renewals). */
  internal: Record<string, unknown>;
  /** Unix ms. */
  issueTime: number;
  /** Renewals only: the expiry the core granted (Unix ms) and the TTL in seconds. */
  expireTime: number;
  ttl: number;
  /** Renewals only: the increment the client asked for (seconds, 0 = none). */
  increment: number;
  storage: Storage;
}

export interface RenewResult {
  warnings?: string[];
  /** Replaces the stored internal data. */
  internal?: Record<string, unknown>;
}

/** Renew and revoke handlers for one type of leased secret. */
export interface SecretType {
  /** Absent: the secret cannot be renewed even if issued as renewable. */
  renew?(req: LeaseRequest): Promise<RenewResult | void>;
  /** Must be idempotent: revocation is retried after a failure. */
  revoke(req: LeaseRequest): Promise<void>;
}

/** Work a backend runs on a schedule, on the active node only, never two runs at once. */
export interface PeriodicTask {
  everySeconds: number;
  run(): Promise<void>;
}

/** What a backend may ask of the server around it. */
export interface SystemView {
  /** Effective TTLs for this mount in seconds (mount tuning, else server defaults). */
  defaultLeaseTTL(): number;
  maxLeaseTTL(): number;
  /** A password from the named password policy (sys/policies/password), or the default generator when name is ''. */
  generatePassword?(policyName: string): Promise<string>;
  /** A scheduled credential rotation failed (metrics, server log); `error` never holds a secret. */
  rotationFailed?(role: string, error: string): void;
}

export interface BackendConfig {
  mount: MountInfo;
  storage: Storage;
  system: SystemView;
}

export interface SpecialPaths {
  /** Patterns (prefix with trailing '*', or exact) that need no token. */
  unauthenticated: string[];
  /** Patterns that need the sudo capability. */
  sudo: string[];
}

export interface Backend {
  readonly type: string;
  readonly specialPaths: SpecialPaths;
  handleRequest(req: Request): Promise<Response | undefined>;
  /**
   * For create/update: whether the target exists (decides the `create` vs `update` capability).
   * undefined when the matching path has no existence check (the operation stays `update`).
   */
  existenceCheck(req: Request): Promise<boolean | undefined>;
  /** Help text for `?help=1`. */
  help(path: string): string;
  /** Called once after the backend is mounted (or re-mounted at unseal). */
  initialize?(): Promise<void>;
  /** Called when the mount is disabled or the server seals. */
  cleanup?(): Promise<void>;
  /** Renew/revoke handlers per leased-secret type (SecretIntent.type). */
  secrets?: Record<string, SecretType>;
  /** Scheduled work (rotation, tidying); started when the node becomes active, stopped on seal. */
  periodic?: PeriodicTask;
  /** Another node or a restore changed `key` in this backend's storage: drop what is cached of it. */
  invalidate?(key: string): void;
  /**
   * Undoes a half-finished multi-step operation recorded with framework/wal.ts (a database user
   * created, the lease not yet stored). Called for WAL entries older than `walRollbackMinAge`.
   */
  walRollback?(kind: string, data: unknown): Promise<void>;
  /** Seconds a WAL entry must age before rollback (default 600; the step it guards finishes well before). */
  walRollbackMinAge?: number;
  /**
   * A token minted from this backend's AuthIntent is being renewed: refuse (throw) if the login no
   * longer holds, or return the TTL and max TTL the token should now get (its role's token_ttl, token_max_ttl). A backend
   * without it issues tokens that cannot be renewed.
   */
  authRenew?(req: { internal: Record<string, unknown>; metadata: Record<string, string>; storage: Storage }): Promise<{ ttl?: number; maxTTL?: number } | void>;
  /** The declared path table (patterns, typed fields, operations), for introspection and generated tests. */
  describePaths?(): PathDescription[];
}

/** One entry of a backend's declared path table, as introspection sees it (no handlers). */
export interface PathDescription {
  /** Regex source matched against the whole mount-relative path; named groups are path fields. */
  pattern: string;
  fields: Readonly<Record<string, FieldSchema>>;
  operations: Operation[];
  takesArbitraryInput: boolean;
}

export type BackendFactory = (config: BackendConfig) => Promise<Backend> | Backend;
