// KV version 1: every secret is one JSON object stored verbatim at its path. Reads report the
// mount's default TTL (or the secret's own `ttl`/`lease` field) as an informational lease_duration,
// which Vault Agent uses to schedule re-reads. No versions, no metadata.
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { createBackend, definePath } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Backend, BackendConfig, Request } from '../../framework/types.js';
import { getJSON, putJSON } from '../../storage/json.js';
import { parseDurationSeconds } from '../../lib/duration.js';
import { assertSecretPath, listPrefix } from './key-path.js';

/** The lease_duration a v1 read reports: the secret's `ttl` (or `lease`) if it parses, else the mount default. */
export function leaseDurationFor(secret: Record<string, unknown>, mountDefault: number): number {
  const raw = 'ttl' in secret ? secret.ttl : secret.lease;
  if (raw === undefined || raw === null) return mountDefault;
  try {
    return parseDurationSeconds(raw, 'ttl');
  } catch {
    return mountDefault;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A stored secret's key, or undefined when the path cannot name one (the mount root, a folder). */
function secretKey(fields: FieldData): string | undefined {
  const key = fields.string('path');
  assertSecretPath(key, true);
  return key === '' || key.endsWith('/') ? undefined : key;
}

export function createKVv1Backend(config: BackendConfig): Backend {
  const path = definePath({
    pattern: '(?<path>.*)',
    fields: { path: { type: 'string', description: 'Location of the secret.' } },
    takesArbitraryInput: true,
    async existenceCheck(req: Request, fields: FieldData) {
      const key = secretKey(fields);
      return key !== undefined && (await req.storage.get(key)) !== undefined;
    },
    operations: {
      async read(req, fields) {
        const key = secretKey(fields);
        const secret = key === undefined ? undefined : await getJSON<Record<string, unknown>>(req.storage, key);
        if (secret === undefined) throw new NotFoundError();
        return { data: secret, leaseDuration: leaseDurationFor(secret, config.system.defaultLeaseTTL()) };
      },
      async update(req, fields) {
        const key = secretKey(fields);
        if (key === undefined) throw new InvalidRequestError(fields.string('path') === '' ? 'missing path' : 'invalid path: a secret path must not end with "/"');
        if (!isPlainObject(req.data)) throw new InvalidRequestError('request body must be a JSON object');
        if (Object.keys(req.data).length === 0) throw new InvalidRequestError('missing data fields');
        await putJSON(req.storage, key, req.data);
        return undefined;
      },
      async delete(req, fields) {
        const key = secretKey(fields);
        if (key !== undefined) await req.storage.delete(key);
        return undefined;
      },
      async list(req, fields) {
        const prefix = listPrefix(fields.string('path'));
        assertSecretPath(prefix, true);
        const keys = await req.storage.list(prefix);
        if (keys.length === 0) throw new NotFoundError();
        return { data: { keys } };
      },
    },
    help: 'Pass-through secret storage: read, write, list and delete arbitrary JSON objects.',
  });

  return createBackend({
    type: 'kv',
    paths: [path],
    help: 'The kv backend (version 1) reads and writes arbitrary secrets, encrypted by the barrier.',
  });
}
