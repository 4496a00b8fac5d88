// Vault-shaped audit entries. A request entry is written before a request is handled and a
// response entry after; both carry the auth and request blocks. Every string value in request data,
// response data and wrap info, plus client tokens and (with hmac_accessor) accessors, is replaced by
// `hmac-sha256:<hex>` keyed with the device's salt, so a log reader learns nothing secret but an
// investigator can still find a known value with sys/audit-hash. Map keys, paths, operations,
// policies, display names, auth metadata, mount info and timestamps stay clear, as in Vault.
import { createHmac, type KeyObject } from 'node:crypto';
import type { AuthResponse, Request, ResolvedResponse, TokenInfo, WrapInfo } from '../framework/types.js';

export const HMAC_PREFIX = 'hmac-sha256:';

/** Vault's "identified HMAC": `hmac-sha256:` + hex HMAC-SHA256 of `value` keyed by the device salt. */
export function hash(salt: string | Uint8Array | KeyObject, value: string): string {
  return HMAC_PREFIX + createHmac('sha256', salt).update(value, 'utf8').digest('hex');
}

/** Wrap info as the wrapping code hands it to audit (the token and accessors are HMAC'd). */
export type AuditWrapInfo = WrapInfo;

export interface AuditInput {
  request: Request;
  /** The token that made the request; falls back to request.token. */
  token?: TokenInfo;
  /** Logged instead of request.operation: a ?help=1 request is Vault's "help" operation. */
  operation?: 'help';
  response?: ResolvedResponse;
  /** The error message returned to the client, if any. */
  error?: string;
  /** Set when the response was wrapped (X-Vault-Wrap-TTL). */
  wrapInfo?: AuditWrapInfo;
}

export interface FormatOptions {
  /** Disables every HMAC: values are written as they are. */
  logRaw: boolean;
  /** HMAC accessors too (Vault default true). */
  hmacAccessor: boolean;
  /** Replace `keys` (and `key_info`) of list responses by their element count. */
  elideListResponses: boolean;
  /**
   * Request headers to include, lower-case name → whether to HMAC the value
   * (Vault's sys/config/auditing/request-headers). Headers not listed are never logged.
   */
  auditedHeaders?: Readonly<Record<string, boolean>>;
}

type Hasher = (value: string) => string;

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Copies a JSON-like value, HMACing every string. A string whose nearest enclosing map key is in
 * `clearKeys` stays clear (Vault's audit_non_hmac_*_keys; applies at any depth and to the elements of
 * a list under such a key). Numbers, booleans and null are kept; bytes become base64 first, as
 * Go's JSON encoding of []byte does; Dates become RFC 3339 text and are not hashed.
 */
export function hashValue(value: unknown, h: Hasher, clearKeys: ReadonlySet<string> = NO_KEYS, key = ''): unknown {
  if (typeof value === 'string') return clearKeys.has(key) ? value : h(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return hashValue(Buffer.from(value).toString('base64'), h, clearKeys, key);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : hashValue(v, h, clearKeys, key)));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || typeof v === 'function') continue;
      out[k] = hashValue(v, h, clearKeys, k);
    }
    return out;
  }
  return undefined; // functions, symbols, undefined: not representable in JSON
}

function isoSeconds(unixSeconds: number): string {
  return unixSeconds > 0 ? new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}

function auditAuthFromToken(token: TokenInfo | undefined, clientToken: string, tok: Hasher, acc: Hasher): Record<string, unknown> {
  return {
    client_token: clientToken === '' ? '' : tok(clientToken),
    accessor: token && token.accessor !== '' ? acc(token.accessor) : '',
    display_name: token?.displayName ?? '',
    policies: token ? [...token.policies] : [],
    token_policies: token ? [...token.policies] : [],
    metadata: token ? { ...token.metadata } : {},
    entity_id: token?.entityId ?? '',
    token_type: token?.type ?? '',
    token_ttl: token?.ttl ?? 0,
    token_issue_time: token ? isoSeconds(token.creationTime) : '',
  };
}

function auditAuthFromResponse(auth: AuthResponse, h: Hasher, acc: Hasher): Record<string, unknown> {
  const out: Record<string, unknown> = {
    client_token: auth.client_token === '' ? '' : h(auth.client_token),
    accessor: auth.accessor === '' ? '' : acc(auth.accessor),
    policies: auth.policies,
    token_policies: auth.token_policies,
  };
  if (auth.identity_policies && auth.identity_policies.length > 0) out['identity_policies'] = auth.identity_policies;
  out['metadata'] = auth.metadata;
  out['entity_id'] = auth.entity_id;
  out['token_type'] = auth.token_type;
  out['token_ttl'] = auth.lease_duration;
  out['renewable'] = auth.renewable;
  out['orphan'] = auth.orphan;
  out['num_uses'] = auth.num_uses;
  return out;
}

/** Salt as given, or as a KeyObject (faster: the key is imported once per device). */
export type Salt = string | Uint8Array | KeyObject;

/**
 * Data strings are hashed as met. Tokens and accessors recur (in the auth and request blocks, and in
 * the request and response entries of one request), so their hashes are remembered in `memo`, which
 * the caller keeps no longer than the request.
 */
function hashers(salt: Salt, opts: FormatOptions, memo?: Map<string, string>): { h: Hasher; tok: Hasher; acc: Hasher } {
  if (opts.logRaw) {
    const id: Hasher = (s) => s;
    return { h: id, tok: id, acc: id };
  }
  const h: Hasher = (s) => hash(salt, s);
  const tok: Hasher = memo
    ? (s) => {
      let v = memo.get(s);
      if (v === undefined) memo.set(s, (v = h(s)));
      return v;
    }
    : h;
  return { h, tok, acc: opts.hmacAccessor ? tok : (s) => s };
}

function auditRequest(input: AuditInput, h: Hasher, tok: Hasher, acc: Hasher, opts: FormatOptions): Record<string, unknown> {
  const req = input.request;
  const token = input.token ?? req.token;
  const out: Record<string, unknown> = {
    id: req.id,
    operation: input.operation ?? req.operation,
    mount_point: req.mount.path,
    mount_type: req.mount.type,
    mount_accessor: req.mount.accessor,
    client_token: req.clientToken === '' ? '' : tok(req.clientToken),
    client_token_accessor: token && token.accessor !== '' ? acc(token.accessor) : '',
    namespace: { id: 'root' },
    path: req.fullPath,
  };
  if (req.data && Object.keys(req.data).length > 0) {
    out['data'] = hashValue(req.data, h, new Set(req.mount.config.auditNonHMACRequestKeys));
  }
  out['remote_address'] = req.remoteAddress;
  if (req.wrapTTL > 0) out['wrap_ttl'] = req.wrapTTL;
  const headers = auditHeaders(req.headers, h, opts.auditedHeaders);
  if (headers) out['headers'] = headers;
  return out;
}

function auditHeaders(headers: Record<string, string>, h: Hasher, audited: FormatOptions['auditedHeaders']): Record<string, string[]> | undefined {
  if (!audited) return undefined;
  let out: Record<string, string[]> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const hmac = audited[lower];
    if (hmac === undefined) continue;
    out ??= {};
    out[lower] = [hmac ? h(value) : value];
  }
  return out;
}

function responseData(resp: ResolvedResponse, req: Request, h: Hasher, opts: FormatOptions): unknown {
  let data: Record<string, unknown> | null | undefined = resp.data;
  if (resp.raw) {
    const body = typeof resp.raw.body === 'string' ? resp.raw.body : Buffer.from(resp.raw.body).toString('base64');
    data = { http_status_code: resp.raw.status, http_content_type: resp.raw.contentType, http_raw_body: body };
  }
  if (!data || Object.keys(data).length === 0) return undefined;
  if (opts.elideListResponses && req.operation === 'list') {
    data = { ...data };
    if (Array.isArray(data['keys'])) data['keys'] = data['keys'].length;
    const info = data['key_info'];
    if (info && typeof info === 'object' && !Array.isArray(info)) data['key_info'] = Object.keys(info).length;
  }
  return hashValue(data, h, new Set(req.mount.config.auditNonHMACResponseKeys));
}

function auditResponse(input: AuditInput, h: Hasher, acc: Hasher, opts: FormatOptions): Record<string, unknown> {
  const req = input.request;
  const resp = input.response ?? {};
  const out: Record<string, unknown> = {
    mount_point: req.mount.path,
    mount_type: req.mount.type,
    mount_accessor: req.mount.accessor,
  };
  if (resp.authBlock) out['auth'] = auditAuthFromResponse(resp.authBlock, h, acc);
  if (resp.lease) out['secret'] = { lease_id: resp.lease.id };
  const data = responseData(resp, req, h, opts);
  if (data !== undefined) out['data'] = data;
  if (resp.warnings && resp.warnings.length > 0) out['warnings'] = [...resp.warnings];
  if (input.wrapInfo) {
    const w = input.wrapInfo;
    const wrap: Record<string, unknown> = {
      token: w.token === '' ? '' : h(w.token),
      accessor: w.accessor === '' ? '' : acc(w.accessor),
      ttl: w.ttl,
      creation_time: w.creation_time,
      creation_path: w.creation_path,
    };
    if (w.wrapped_accessor) wrap['wrapped_accessor'] = acc(w.wrapped_accessor);
    out['wrap_info'] = wrap;
  }
  return out;
}

function formatEntry(kind: 'request' | 'response', input: AuditInput, salt: Salt, opts: FormatOptions, time: Date, memo?: Map<string, string>): Record<string, unknown> {
  const { h, tok, acc } = hashers(salt, opts, memo);
  const entry: Record<string, unknown> = {
    time: time.toISOString(),
    type: kind,
    auth: auditAuthFromToken(input.token ?? input.request.token, input.request.clientToken, tok, acc),
    request: auditRequest(input, h, tok, acc, opts),
  };
  if (kind === 'response') entry['response'] = auditResponse(input, h, acc, opts);
  entry['error'] = input.error ?? '';
  return entry;
}

/**
 * The request entry (as a JSON-ready object). `time` is the entry's timestamp; the caller supplies
 * it so a request and its response entries on several devices agree. `memo` (optional, per request and
 * device) remembers token and accessor hashes between the request and response entries.
 */
export function formatRequestEntry(input: AuditInput, salt: Salt, opts: FormatOptions, time: Date = new Date(), memo?: Map<string, string>): Record<string, unknown> {
  return formatEntry('request', input, salt, opts, time, memo);
}

/** The response entry: the request entry's blocks plus `response`. */
export function formatResponseEntry(input: AuditInput, salt: Salt, opts: FormatOptions, time: Date = new Date(), memo?: Map<string, string>): Record<string, unknown> {
  return formatEntry('response', input, salt, opts, time, memo);
}
