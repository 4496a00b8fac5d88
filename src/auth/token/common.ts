// What every auth/token path file shares: the options the server core passes in, the sudo check
// and the wire shape of a token lookup.
import { InvalidRequestError } from '../../core/errors.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Request } from '../../framework/types.js';
import type { TokenEntry, TokenStore } from './store.js';
import { formatTokenTime } from './token-format.js';

export interface TokenBackendOptions {
  /**
   * Whether the caller holds `sudo` on this request's path (Vault's SudoPrivilege). Decides the
   * privileged create options (id, no_parent, period, policies outside the caller's) and revoke-orphan.
   * Root-policy callers always count as sudo; without this option, only they do.
   */
  isSudo?: (req: Request) => boolean | Promise<boolean>;
  /** Whether an ACL policy exists; unknown policies on create produce a warning. Default: no check. */
  policyExists?: (name: string) => Promise<boolean>;
}

export interface TokenPathContext {
  store: TokenStore;
  options: TokenBackendOptions;
}

export async function callerIsSudo(ctx: TokenPathContext, req: Request, caller?: TokenEntry): Promise<boolean> {
  if ((caller?.policies ?? req.token?.policies ?? []).includes('root')) return true;
  return ctx.options.isSudo ? ctx.options.isSudo(req) : false;
}

/**
 * The `data` of lookup / lookup-self / lookup-accessor. `token` is the raw token ('' via accessor).
 * Numbers are JSON numbers; expire_time is null for non-expiring tokens.
 */
export function lookupData(store: TokenStore, token: string, entry: TokenEntry): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.ttl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTimeMs === 0 ? null : formatTokenTime(entry.expireTimeMs),
    explicit_max_ttl: entry.explicitMaxTTL,
    id: token,
    issue_time: formatTokenTime(entry.issueTimeMs),
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.parent === '',
    path: entry.path,
    policies: [...entry.policies].sort(),
    renewable: entry.renewable && entry.expireTimeMs !== 0,
    ttl: store.remainingTTL(entry),
    type: entry.type,
  };
  if (entry.period > 0) data.period = entry.period;
  if (entry.role !== '') data.role = entry.role;
  if (entry.lastRenewalTimeMs > 0) {
    data.last_renewal_time = Math.floor(entry.lastRenewalTimeMs / 1000);
    data.last_renewal = formatTokenTime(entry.lastRenewalTimeMs);
  }
  return data;
}

/** The `accessor` field, required, or ''. */
export function accessorField(f: FieldData): string {
  const accessor = f.string('accessor');
  if (accessor === '') throw new InvalidRequestError('missing accessor');
  return accessor;
}

/** The token behind the request's `accessor` field (400 when missing or unknown). */
export async function entryByAccessor(ctx: TokenPathContext, f: FieldData): Promise<TokenEntry> {
  const entry = await ctx.store.lookupAccessor(accessorField(f));
  if (!entry) throw new InvalidRequestError('invalid accessor');
  return entry;
}
