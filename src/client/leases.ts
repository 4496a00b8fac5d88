// Typed calls for sys/leases/*: look up, renew, revoke (one lease, a prefix, or by force) and list.
// Lease ids travel in request bodies where the API allows it (lookup, renew, single revoke): ids are
// capabilities of a sort, and URLs end up in more logs than bodies do. Prefixes must be in the URL.
import type { Client, Secret } from './client.js';

/**
 * `data` of sys/leases/lookup. Times are RFC 3339; `ttl` is whole seconds left. A type alias, not an
 * interface, so that a `Secret<LeaseInfo>` is also a plain `Secret`.
 */
export type LeaseInfo = {
  id: string;
  issue_time: string;
  expire_time: string | null;
  last_renewal: string | null;
  renewable: boolean;
  ttl: number;
};

export interface LeaseRevokeOptions {
  /** Treat the argument as a prefix and revoke every lease under it (sudo). */
  prefix?: boolean;
  /** Drop the leases even when the engine cannot revoke them (sudo; needs `prefix`). */
  force?: boolean;
  /** Wait for the revocation to finish (default true); false leaves it queued on the server. */
  sync?: boolean;
}

/** A lease id or prefix as given by a user: surrounding blanks and leading slashes removed. */
export function cleanLeaseId(raw: string, what = 'lease id'): string {
  const id = raw.trim().replace(/^\/+/, '');
  if (id === '') throw new TypeError(`the ${what} is empty`);
  return id;
}

/** Where a revocation goes, and its body. Force and prefix revocations name the prefix in the URL. */
export function revokeRequest(idOrPrefix: string, opts: LeaseRevokeOptions = {}): { path: string; body: Record<string, unknown> } {
  if (opts.force && !opts.prefix) throw new TypeError('a forced revocation works on a prefix: set prefix as well');
  const sync = opts.sync ?? true;
  if (opts.force) return { path: `sys/leases/revoke-force/${cleanLeaseId(idOrPrefix, 'prefix')}`, body: { sync } };
  if (opts.prefix) return { path: `sys/leases/revoke-prefix/${cleanLeaseId(idOrPrefix, 'prefix')}`, body: { sync } };
  return { path: 'sys/leases/revoke', body: { lease_id: cleanLeaseId(idOrPrefix), sync } };
}

export function createLeaseApi(client: Pick<Client, 'request' | 'list'>) {
  async function envelope<T>(path: string, body: Record<string, unknown>): Promise<Secret<T>> {
    const r = await client.request<Secret<T>>('PUT', path, { body });
    if (r.body === null) throw new TypeError(`the server returned an empty body for ${path}`);
    return r.body;
  }
  return {
    /** The lease's times and renewability (the whole envelope; the facts are in `data`). */
    leaseLookup: (id: string) => envelope<LeaseInfo>('sys/leases/lookup', { lease_id: cleanLeaseId(id) }),
    /**
     * Renews a lease; `increment` is the requested TTL (seconds or a duration string; default: the
     * lease's own TTL). The answer has no data: the new `lease_duration`, and a warning when capped.
     */
    leaseRenew: (id: string, increment?: number | string) => {
      const body: Record<string, unknown> = { lease_id: cleanLeaseId(id) };
      if (increment !== undefined) body['increment'] = increment;
      return envelope<Record<string, unknown>>('sys/leases/renew', body);
    },
    /** Revokes one lease, or every lease under a prefix; an unknown id is not an error (as in Vault). */
    leaseRevoke: async (idOrPrefix: string, opts: LeaseRevokeOptions = {}): Promise<void> => {
      const { path, body } = revokeRequest(idOrPrefix, opts);
      await client.request('PUT', path, { body });
    },
    /** One level of lease ids and sub-prefixes (ending in `/`) under `prefix` (sudo); [] when none. */
    leaseList: async (prefix = ''): Promise<string[]> => {
      const p = prefix.trim().replace(/^\/+/, '');
      const secret = await client.list(`sys/leases/lookup/${p === '' || p.endsWith('/') ? p : `${p}/`}`);
      return secret?.data?.keys ?? [];
    },
  };
}

export type LeaseApi = ReturnType<typeof createLeaseApi>;
