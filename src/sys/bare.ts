// sys/init, sys/seal-status, sys/unseal, sys/health and sys/leader: answered with bare JSON (no
// envelope), without a token, and while sealed (spec §1.9, §1.10, §2.1, §2.2).
import { InvalidRequestError, UnsupportedOperationError } from '../core/errors.js';
import type { InitRequest } from '../core/seal/seal-config.js';
import type { SealManager } from '../core/seal/seal-manager.js';
import { FieldData } from '../framework/field-data.js';
import { parseBool, type FieldSchema } from '../framework/field-types.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';

export interface BareDeps {
  seal: SealManager;
  /** Creates the root token once the barrier is open at init. */
  createRootToken(): Promise<string>;
  /** Always true on a standalone node; an HA standby reports false. */
  isActive(): boolean;
}

const BARE = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/health', 'sys/leader']);

/**
 * The body fields of the bare endpoints that take one. They are decoded by the framework's field
 * decoding like every other path's (typed coercion, JSON null = not set).
 */
export const BARE_FIELDS = {
  'sys/init': {
    secret_shares: { type: 'int' }, secret_threshold: { type: 'int' }, stored_shares: { type: 'int' },
    pgp_keys: { type: 'string-slice' }, root_token_pgp_key: { type: 'string' },
    recovery_shares: { type: 'int' }, recovery_threshold: { type: 'int' }, recovery_pgp_keys: { type: 'string-slice' },
  },
  'sys/unseal': { key: { type: 'string' }, reset: { type: 'bool' }, migrate: { type: 'bool' } },
} as const satisfies Record<string, Record<string, FieldSchema>>;

function bodyObject(req: ApiRequest): Record<string, unknown> {
  if (req.body === undefined || req.body === null) return {};
  if (typeof req.body !== 'object' || Array.isArray(req.body)) throw new InvalidRequestError('request body must be a JSON object');
  return req.body as Record<string, unknown>;
}

/** Decodes a bare endpoint's body; sys/unseal matches its JSON fields case-insensitively (a Go struct without tags). */
function decodeBody(req: ApiRequest, schema: Record<string, FieldSchema>, caseInsensitive = false): FieldData {
  const body = bodyObject(req);
  const raw = caseInsensitive ? Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v])) : body;
  return new FieldData(raw, schema);
}

function healthCode(query: URLSearchParams, name: string, fallback: number): number {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  if (!/^-?[0-9]+$/.test(v)) throw new InvalidRequestError(`unable to parse ${name} parameter: invalid syntax`);
  const code = Number(v);
  if (code < 100 || code > 999) throw new InvalidRequestError(`invalid ${name} parameter`);
  return code;
}

function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  try {
    return parseBool(v, name);
  } catch {
    throw new InvalidRequestError(`bad value for ${name} parameter`);
  }
}

export function createBareHandler(deps: BareDeps) {
  async function health(req: ApiRequest): Promise<ApiResponse> {
    const s = await deps.seal.status();
    const q = req.query;
    const standbyOk = queryBool(q, 'standbyok');
    queryBool(q, 'perfstandbyok');
    let status: number;
    if (!s.initialized) status = healthCode(q, 'uninitcode', 501);
    else if (s.sealed) status = healthCode(q, 'sealedcode', 503);
    else if (!deps.isActive()) status = standbyOk ? healthCode(q, 'activecode', 200) : healthCode(q, 'standbycode', 429);
    else status = healthCode(q, 'activecode', 200);
    const body: Record<string, unknown> = {
      initialized: s.initialized, sealed: s.sealed, standby: s.initialized && !s.sealed && !deps.isActive(),
      performance_standby: false, replication_performance_mode: 'disabled', replication_dr_mode: 'disabled',
      server_time_utc: Math.floor(Date.now() / 1000), version: s.version, enterprise: false,
    };
    if (s.cluster_name) body['cluster_name'] = s.cluster_name;
    if (s.cluster_id) body['cluster_id'] = s.cluster_id;
    return { status, json: body };
  }

  async function unseal(req: ApiRequest): Promise<ApiResponse> {
    const d = decodeBody(req, BARE_FIELDS['sys/unseal'], true);
    if (d.bool('reset')) return { status: 200, json: await deps.seal.resetUnseal() };
    const key = d.string('key');
    if (key === '') throw new InvalidRequestError("'key' must be specified in request body as JSON, or 'reset' set to true");
    return { status: 200, json: await deps.seal.submitUnsealKey(key) };
  }

  async function init(req: ApiRequest): Promise<ApiResponse> {
    if (req.method === 'GET') return { status: 200, json: { initialized: await deps.seal.initialized() } };
    if (req.method !== 'PUT' && req.method !== 'POST') throw new UnsupportedOperationError('');
    const schema = BARE_FIELDS['sys/init'];
    const d = decodeBody(req, schema);
    // Only the supplied fields go on; the seal manager validates shares, threshold and PGP keys itself.
    const body: Record<string, unknown> = {};
    for (const name of Object.keys(schema)) if (d.has(name)) body[name] = d.rawValue(name);
    const result = await deps.seal.initialize(body as InitRequest, { createRootToken: () => deps.createRootToken() });
    return { status: 200, json: result };
  }

  /** Returns undefined for every path that is not one of the bare endpoints. */
  return async function handleBare(req: ApiRequest): Promise<ApiResponse | undefined> {
    const path = req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    if (!BARE.has(path)) return undefined;
    switch (path) {
      case 'sys/health':
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new UnsupportedOperationError('');
        return health(req);
      case 'sys/seal-status':
        if (req.method !== 'GET') throw new UnsupportedOperationError('');
        return { status: 200, json: await deps.seal.status() };
      case 'sys/unseal':
        if (req.method !== 'PUT' && req.method !== 'POST') throw new UnsupportedOperationError('');
        return unseal(req);
      case 'sys/init':
        return init(req);
      default: // sys/leader
        if (req.method !== 'GET') throw new UnsupportedOperationError('');
        return {
          status: 200,
          json: {
            ha_enabled: false, is_self: false, active_time: '0001-01-01T00:00:00Z', leader_address: '', leader_cluster_address: '',
            performance_standby: false, performance_standby_last_remote_wal: 0,
          },
        };
    }
  };
}
