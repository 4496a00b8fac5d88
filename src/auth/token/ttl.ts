// Vault's framework.CalculateTTL for tokens: the TTL granted at creation or renewal, capped by the
// mount max TTL and explicit_max_ttl (counted from creation); periodic tokens get the period.
import { InvalidRequestError } from '../../core/errors.js';
import { formatGoDuration } from '../../lib/duration.js';

/** Largest duration Go can represent (int64 nanoseconds), in whole seconds. */
export const MAX_DURATION_SECONDS = 9_223_372_036;

export interface TTLInput {
  /** Requested increment (renewal), 0 = none. */
  increment: number;
  /** The token's own TTL (creation TTL), 0 = none. */
  backendTTL: number;
  period: number;
  explicitMaxTTL: number;
  defaultTTL: number;
  maxTTL: number;
  /** Unix seconds the max TTL is counted from (the token's creation time). */
  startTime: number;
  /** Unix seconds now. */
  now: number;
}

export function calculateTTL(input: TTLInput): { ttl: number; warnings: string[] } {
  const warnings: string[] = [];
  let maxTTL = input.maxTTL;
  if (input.explicitMaxTTL > 0 && input.explicitMaxTTL < maxTTL) maxTTL = input.explicitMaxTTL;
  if (maxTTL <= 0) throw new InvalidRequestError('max TTL must be greater than zero');

  let ttl: number;
  let maxValidTime: number | undefined;
  if (input.period > 0) {
    let period = input.period;
    if (period > maxTTL) {
      warnings.push(`period of "${formatGoDuration(period)}" exceeded the effective max_ttl of "${formatGoDuration(maxTTL)}"; period value is capped accordingly`);
      period = maxTTL;
    }
    ttl = period;
    if (input.explicitMaxTTL > 0) maxValidTime = input.startTime + input.explicitMaxTTL;
  } else {
    if (input.increment > 0) ttl = input.increment;
    else if (input.backendTTL > 0) ttl = input.backendTTL;
    else ttl = input.defaultTTL;
    maxValidTime = input.startTime + maxTTL;
  }
  if (maxValidTime !== undefined) {
    const maxValidTTL = maxValidTime - input.now;
    if (maxValidTTL <= 0) throw new InvalidRequestError('past the max TTL, cannot renew');
    if (ttl > maxValidTTL) {
      warnings.push(`TTL of "${formatGoDuration(ttl)}" exceeded the effective max_ttl of "${formatGoDuration(maxValidTTL)}"; TTL value is capped accordingly`);
      ttl = maxValidTTL;
    }
  }
  return { ttl, warnings };
}
