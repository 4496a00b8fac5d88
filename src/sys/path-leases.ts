// sys/leases/* (spec §2.7) and the legacy aliases sys/renew, sys/revoke, sys/revoke-prefix,
// sys/revoke-force that node-vault and older clients still call. The expiration manager does the
// work; these handlers only read fields and shape answers. Sudo on lookup-list, revoke-prefix,
// revoke-force and the irrevocable listing comes from the global sudo path list.
import { InvalidRequestError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { FieldData } from '../framework/field-data.js';
import type { ResolvedResponse } from '../framework/types.js';
import type { ExpirationManager } from '../lease/expiration-manager.js';

const MAX_LEASE_ID = 2048;

/** A lease id or prefix from a client: bounded, no empty or relative segments. */
export function checkLeaseId(raw: string, field: string, allowTrailingSlash = false): string {
  if (raw.length > MAX_LEASE_ID) throw new InvalidRequestError(`${field} is too long`);
  const id = raw.replace(/^\/+/, '');
  const segments = (allowTrailingSlash && id.endsWith('/') ? id.slice(0, -1) : id).split('/');
  if (id !== '' && segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new InvalidRequestError(`invalid ${field}`);
  }
  return id;
}

/** `lease_id` from the body wins over the one in the URL, as in Vault. */
function leaseIdOf(f: FieldData): string {
  const body = f.string('lease_id');
  const id = checkLeaseId(body !== '' ? body : f.string('url_lease_id'), 'lease_id');
  if (id === '') throw new InvalidRequestError('lease_id must be specified');
  return id;
}

const ID_FIELDS = {
  lease_id: { type: 'string' as const, description: 'The lease id.' },
  url_lease_id: { type: 'string' as const, description: 'The lease id, in the URL.' },
};

export function leasePaths(leases: () => ExpirationManager): PathDef[] {
  const renew = definePath({
    pattern: '(leases/)?renew(/(?<url_lease_id>.+))?',
    fields: { ...ID_FIELDS, increment: { type: 'duration', description: 'Requested TTL extension (seconds or a duration).' } },
    operations: {
      update: async (_req, f) => {
        const { entry, warnings } = await leases().renew(leaseIdOf(f), f.duration('increment'));
        const ttl = Math.max(0, Math.round((entry.expireTime - entry.lastRenewalTime) / 1000));
        const resp: ResolvedResponse = { data: null, lease: { id: entry.id, ttl, renewable: entry.renewable } };
        if (warnings.length > 0) resp.warnings = warnings;
        return resp;
      },
    },
    help: 'Renew a lease: extend its TTL by the increment, capped at its max TTL.',
  });

  const revoke = definePath({
    pattern: '(leases/)?revoke(/(?<url_lease_id>.+))?',
    fields: { ...ID_FIELDS, sync: { type: 'bool', default: true, description: 'Wait for the revocation to finish.' } },
    operations: {
      update: async (_req, f) => {
        const id = leaseIdOf(f);
        if (f.bool('sync')) await leases().revoke(id);
        else void leases().revoke(id).catch(() => undefined); // failures stay queued for retry
        return undefined;
      },
    },
    help: 'Revoke a lease now: the engine removes the secret (a database user dropped).',
  });

  const prefixPaths = (['revoke-prefix', 'revoke-force'] as const).map((kind) => definePath({
    pattern: `(leases/)?${kind}/(?<prefix>.+)`,
    fields: { prefix: { type: 'string', required: true }, sync: { type: 'bool', default: true } },
    operations: {
      update: async (_req, f) => {
        const prefix = checkLeaseId(f.string('prefix'), 'prefix', true);
        const work = leases().revokePrefix(prefix, kind === 'revoke-force');
        if (f.bool('sync')) await work;
        else void work.catch(() => undefined);
        return undefined;
      },
    },
    help: kind === 'revoke-force'
      ? 'Revoke every lease under a prefix, dropping them even when the engine cannot revoke (sudo).'
      : 'Revoke every lease (and token) under a prefix (sudo).',
  }));

  return [
    renew, revoke, ...prefixPaths,
    definePath({
      pattern: 'leases/lookup/?',
      fields: { lease_id: { type: 'string' } },
      operations: {
        update: async (_req, f) => {
          const id = checkLeaseId(f.string('lease_id'), 'lease_id');
          if (id === '') throw new InvalidRequestError('missing lease id');
          const entry = await leases().lookup(id);
          if (!entry) throw new InvalidRequestError('invalid lease');
          return { data: leases().lookupData(entry) };
        },
        list: async () => ({ data: { keys: await leases().list('') } }),
      },
      help: 'Look up a lease (PUT with lease_id) or list the top-level lease prefixes (LIST, sudo).',
    }),
    definePath({
      pattern: 'leases/lookup/(?<prefix>.+)',
      fields: { prefix: { type: 'string' } },
      operations: {
        list: async (_req, f) => {
          const prefix = checkLeaseId(f.string('prefix'), 'prefix', true);
          return { data: { keys: await leases().list(prefix.endsWith('/') ? prefix : `${prefix}/`) } };
        },
      },
      help: 'List lease ids and sub-prefixes under a prefix (sudo).',
    }),
    definePath({
      pattern: 'leases/tidy',
      operations: {
        update: async () => {
          void leases().tidy().catch(() => undefined);
          return { warnings: ['Tidy operation successfully started. Any information from the operation will be printed to Coffer\'s server logs.'] };
        },
      },
      help: 'Remove lease index entries that point nowhere and revoke leases whose token is gone (runs in the background).',
    }),
    definePath({
      pattern: 'leases/count',
      fields: { type: { type: 'string' }, include_child: { type: 'bool' } },
      operations: {
        read: async (_req, f) => {
          requireIrrevocableType(f);
          return { data: { lease_count: (await leases().irrevocable()).length } };
        },
      },
      help: 'Count irrevocable leases (type=irrevocable).',
    }),
    definePath({
      pattern: 'leases',
      fields: { type: { type: 'string' }, include_child: { type: 'bool' }, limit: { type: 'string' } },
      operations: {
        read: async (_req, f) => {
          requireIrrevocableType(f);
          const max = irrevocableLimit(f.string('limit'));
          const all = await leases().irrevocable();
          // As Vault: sorted by expiry then id; past the limit, the first `limit` leases and a warning.
          const at = (l: Record<string, unknown>) => Date.parse(String(l['expire_time']));
          all.sort((a, b) => at(a) - at(b) || String(a['lease_id']).localeCompare(String(b['lease_id'])));
          const shown = all.length > max ? all.slice(0, max) : all;
          const resp: ResolvedResponse = { data: { leases: shown, lease_count: shown.length } };
          if (shown.length < all.length) resp.warnings = [IRREVOCABLE_LIMIT_WARNING];
          return resp;
        },
      },
      help: 'List irrevocable leases with their errors (type=irrevocable, sudo).',
    }),
  ];
}

const IRREVOCABLE_LIMIT_WARNING = 'Command halted because many irrevocable leases were found. To emit the entire list, re-run the command with limit=none.';

/** `limit` of the irrevocable listing, parsed as Vault does: '' = 10,000, 'none' = all, else a positive integer. */
function irrevocableLimit(raw: string): number {
  if (raw === '') return 10_000;
  if (raw.toLowerCase() === 'none') return Infinity;
  if (!/^[+-]?\d+$/.test(raw)) throw new InvalidRequestError(`invalid 'limit' provided: "${raw}" is not an integer`);
  const n = Number(raw);
  if (n < 1) throw new InvalidRequestError("limit must be 'none' or a positive integer");
  return n;
}

function requireIrrevocableType(f: FieldData): void {
  const type = f.string('type');
  if (type !== 'irrevocable') throw new InvalidRequestError(type === '' ? 'missing type' : `invalid type "${type}": only "irrevocable" is supported`);
}
