// Vault's JSON response envelope: every key always present, absent values null/""/0/false.
import type { AuthResponse, ResolvedResponse, WrapInfo } from '../framework/types.js';

export type { WrapInfo };

export interface Envelope {
  request_id: string;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  data: Record<string, unknown> | null;
  wrap_info: WrapInfo | null;
  warnings: string[] | null;
  auth: AuthResponse | null;
  mount_type: string;
  [legacyTopLevel: string]: unknown;
}

/** Routes whose `data` keys Vault also copies to the top level of the envelope (old clients read them there). */
const LEGACY_EXACT = new Set([
  'sys/audit', 'sys/auth', 'sys/config/cors', 'sys/config/auditing/request-headers', 'sys/capabilities',
  'sys/capabilities-accessor', 'sys/capabilities-self', 'sys/ha-status', 'sys/key-status', 'sys/mounts', 'sys/policy',
  'sys/rekey/backup', 'sys/rekey/recovery-key-backup', 'sys/remount', 'sys/rotate', 'sys/wrapping/wrap',
]);
const LEGACY_PREFIX = ['sys/audit/', 'sys/audit-hash/', 'sys/auth/', 'sys/mounts/', 'sys/policy/', 'sys/config/auditing/request-headers/'];

export function copiesDataToTopLevel(path: string): boolean {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  return LEGACY_EXACT.has(p) || LEGACY_PREFIX.some((x) => path.startsWith(x));
}

export function buildEnvelope(requestId: string, path: string, resp: ResolvedResponse, mountType: string): Envelope {
  const env: Envelope = {
    request_id: requestId,
    lease_id: resp.lease?.id ?? '',
    renewable: resp.lease?.renewable ?? false,
    lease_duration: resp.lease?.ttl ?? resp.leaseDuration ?? 0,
    data: resp.data ?? null,
    wrap_info: null,
    warnings: resp.warnings && resp.warnings.length > 0 ? resp.warnings : null,
    auth: resp.authBlock ?? null,
    mount_type: mountType,
  };
  if (resp.data && copiesDataToTopLevel(path)) {
    for (const [k, v] of Object.entries(resp.data)) if (!(k in env)) env[k] = v;
  }
  return env;
}

/** What a wrapped request returns: only wrap_info, every other key empty. */
export function wrapOnlyEnvelope(requestId: string, info: WrapInfo | null): Envelope {
  return { request_id: requestId, lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: info, warnings: null, auth: null, mount_type: '' };
}
