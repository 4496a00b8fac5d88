// What the expiration manager stores per lease, and where. Entries live through the barrier under
// the manager's view (the server gives it "sys/expire/"):
//   id/<lease id>                       LeaseEntry (JSON); lease ids contain '/', so LIST walks them
//   token/<salted token id>/<lease key> the lease id: which leases a token's revocation takes along
import { createHash } from 'node:crypto';

export type LeaseKind = 'secret' | 'token';

export interface LeaseEntry {
  id: string;
  kind: LeaseKind;
  /** The request path that created it (`database/creds/ro`, `auth/token/create`). */
  path: string;
  /** Backend.secrets key; '' for token leases. */
  secretType: string;
  internal: Record<string, unknown>;
  /** Salted id of the token that created the secret (for tokens: the token itself); '' for none. */
  tokenId: string;
  /** Unix ms. */
  issueTime: number;
  expireTime: number;
  /** 0 = never renewed. */
  lastRenewalTime: number;
  /** Seconds: the TTL granted at issue (renewals without an increment reuse it). */
  ttl: number;
  /** Seconds from issue the lease may live; 0 = no limit of its own. */
  maxTTL: number;
  renewable: boolean;
  /** Failed revocation attempts so far, and the last error (never holds secret values). */
  revokeAttempts: number;
  revokeError: string;
  irrevocable: boolean;
}

export const ID_PREFIX = 'id/';
export const TOKEN_PREFIX = 'token/';

export function leaseKey(leaseId: string): string {
  return `${ID_PREFIX}${leaseId}`;
}

/** Index key for a token's lease: a hash keeps the lease id's slashes out of the index's one level. */
export function tokenIndexKey(tokenId: string, leaseId: string): string {
  return `${TOKEN_PREFIX}${tokenId}/${createHash('sha256').update(leaseId).digest('hex').slice(0, 40)}`;
}

/** Irrevocable errors are kept short, as Vault keeps them (240 characters). */
export function truncateError(message: string): string {
  return message.length > 240 ? `${message.slice(0, 237)}...` : message;
}
