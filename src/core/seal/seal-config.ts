// The Shamir seal configuration: stored in plaintext at physical `core/seal-config` because a
// sealed node must know n and t before it can decrypt anything. Field names follow Vault's SealConfig.
import type { StorageBackend } from '../../storage/backend.js';
import { getJSON, putJSON } from '../../storage/json.js';
import { InvalidRequestError } from '../errors.js';

export const SEAL_CONFIG_PATH = 'core/seal-config';

export interface SealConfig {
  type: 'shamir';
  secret_shares: number;
  secret_threshold: number;
  /** Rekey-operation nonce in Vault; empty when none is running. */
  nonce: string;
}

/** The init request body (sys/init), as parsed JSON. */
export interface InitRequest {
  secret_shares?: unknown;
  secret_threshold?: unknown;
  pgp_keys?: unknown;
  root_token_pgp_key?: unknown;
  stored_shares?: unknown;
  recovery_shares?: unknown;
  recovery_threshold?: unknown;
  recovery_pgp_keys?: unknown;
}

/** What is wrong with a share count and threshold, in Vault's words (SealConfig.Validate), or undefined. */
export function sealConfigProblem(shares: number, threshold: number): string | undefined {
  if (shares < 1) return 'shares must be at least one';
  if (threshold < 1) return 'threshold must be at least one';
  if (shares > 1 && threshold === 1) return 'threshold must be greater than one for multiple shares';
  if (shares > 255) return 'shares must be less than 256';
  if (threshold > 255) return 'threshold must be less than 256';
  if (threshold > shares) return 'threshold cannot be larger than shares';
  return undefined;
}

/** An integer request field (number or numeric string); null and absent are 0, as Go decodes them. */
export function intField(value: unknown, name: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new InvalidRequestError(`${name} must be an integer`);
  return n;
}

/** Validates sys/init parameters with Vault's rules and messages (SealConfig.Validate). */
export function validateInitRequest(request: InitRequest): { shares: number; threshold: number; pgpKeys: unknown[] } {
  const shares = intField(request.secret_shares, 'secret_shares');
  const threshold = intField(request.secret_threshold, 'secret_threshold');
  const stored = intField(request.stored_shares, 'stored_shares');
  const invalid = (message: string): never => {
    throw new InvalidRequestError(`invalid seal configuration: ${message}`);
  };
  const problem = sealConfigProblem(shares, threshold);
  if (problem) invalid(problem);
  if (stored !== 0 && stored !== shares) invalid('stored_shares must equal secret_shares when given');

  const pgpKeys = request.pgp_keys ?? [];
  if (!Array.isArray(pgpKeys)) invalid('pgp_keys must be a list of PGP public keys');
  if ((pgpKeys as unknown[]).length > 0 && (pgpKeys as unknown[]).length !== shares) {
    invalid('count mismatch between number of provided PGP keys and number of shares');
  }
  return { shares, threshold, pgpKeys: pgpKeys as unknown[] };
}

export async function readSealConfig(physical: StorageBackend): Promise<SealConfig | undefined> {
  return getJSON<SealConfig>(physical, SEAL_CONFIG_PATH);
}

export async function writeSealConfig(physical: StorageBackend, config: SealConfig): Promise<void> {
  await putJSON(physical, SEAL_CONFIG_PATH, config);
}
