// The contract between the request pipeline and every backend (secrets engine or auth method).
// A backend never sees HTTP: it gets a Request with its own storage view and returns a Response.
import type { Storage } from '../storage/backend.js';

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

export interface Response {
  data?: Record<string, unknown> | null;
  auth?: AuthResponse | null;
  warnings?: string[];
  /** Informational lease_duration for non-leased reads (KV v1 shows the mount TTL). */
  leaseDuration?: number;
  renewable?: boolean;
  leaseId?: string;
  /** Overrides the status code, e.g. KV v2's 404-with-body for a deleted version. */
  statusCode?: number;
  /** A raw (non-envelope) response: sys/metrics text, PEM bodies, sys/health-style bare JSON. */
  raw?: { status: number; contentType: string; body: string | Uint8Array; headers?: Record<string, string> };
}

/** What a backend may ask of the server around it. */
export interface SystemView {
  /** Effective TTLs for this mount in seconds (mount tuning, else server defaults). */
  defaultLeaseTTL(): number;
  maxLeaseTTL(): number;
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
}

export type BackendFactory = (config: BackendConfig) => Promise<Backend> | Backend;
