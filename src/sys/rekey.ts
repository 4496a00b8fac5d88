// sys/rekey/init, sys/rekey/update and sys/rekey/verify: answered with bare JSON, without a token,
// as Vault's HTTP handlers do (spec §2.10; the unseal keys are the credential). sys/rekey/backup is
// a normal authenticated sys path (envelope, sudo). sys/rekey-recovery-key/* answers 400: the
// Shamir seal has no recovery keys.
import { InvalidRequestError, UnsupportedOperationError } from '../core/errors.js';
import type { RekeyOperation } from '../core/seal/rekey.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';

/** The JSON body as an object (empty when there is none). */
export function bareBody(req: ApiRequest): Record<string, unknown> {
  if (req.body === undefined || req.body === null) return {};
  if (typeof req.body !== 'object' || Array.isArray(req.body)) throw new InvalidRequestError('request body must be a JSON object');
  return req.body as Record<string, unknown>;
}

/** A body field matched case-insensitively, as Go's encoding/json matches struct fields. */
export function bareField(body: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(body, name)) return body[name];
  for (const [k, v] of Object.entries(body)) if (k.toLowerCase() === name) return v;
  return undefined;
}

const ok = (json: unknown): ApiResponse => ({ status: 200, json });

export interface RekeyHandlerDeps {
  rekey: RekeyOperation;
  /** Throws while this node does not serve (sealed, or an HA standby). */
  ensureActive(): void;
}

/** Returns undefined for every path that is not a rekey endpoint answered bare. */
export function createRekeyHandler(deps: RekeyHandlerDeps) {
  const { rekey } = deps;
  const pick = (body: Record<string, unknown>, names: string[]) => Object.fromEntries(names.map((n) => [n, bareField(body, n)]));

  return async function handleRekey(req: ApiRequest): Promise<ApiResponse | undefined> {
    const path = req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    if (path.startsWith('sys/rekey-recovery-key/')) {
      if (!['init', 'update', 'verify'].includes(path.slice('sys/rekey-recovery-key/'.length))) return undefined;
      throw new InvalidRequestError('recovery rekeying not supported');
    }
    const write = req.method === 'PUT' || req.method === 'POST';
    switch (path) {
      case 'sys/rekey/init':
        if (req.method === 'GET') return ok(await rekey.status());
        deps.ensureActive();
        if (write) {
          const body = bareBody(req);
          return ok(await rekey.init(pick(body, ['secret_shares', 'secret_threshold', 'pgp_keys', 'backup', 'require_verification', 'stored_shares'])));
        }
        if (req.method === 'DELETE') {
          // The nonce may come in the body or the query string.
          const nonce = bareField(bareBody(req), 'nonce') ?? req.query.get('nonce') ?? undefined;
          await rekey.cancel(typeof nonce === 'string' ? nonce : undefined);
          return { status: 204 };
        }
        throw new UnsupportedOperationError('');
      case 'sys/rekey/update': {
        if (!write) throw new UnsupportedOperationError('');
        deps.ensureActive();
        const body = bareBody(req);
        return ok(await rekey.update(bareField(body, 'key'), bareField(body, 'nonce') ?? ''));
      }
      case 'sys/rekey/verify':
        if (req.method === 'GET') return ok(await rekey.verifyStatus());
        deps.ensureActive();
        if (write) {
          const body = bareBody(req);
          return ok(await rekey.verify(bareField(body, 'key'), bareField(body, 'nonce') ?? ''));
        }
        if (req.method === 'DELETE') return ok(await rekey.verifyRestart());
        throw new UnsupportedOperationError('');
      default:
        return undefined;
    }
  };
}

/** sys/rekey/backup (and Vault's recovery-key variant): read or delete the PGP-encrypted share backup. */
export function rekeyBackupPaths(rekey: () => RekeyOperation): PathDef[] {
  return [
    definePath({
      pattern: 'rekey/backup',
      operations: {
        read: async () => ({ data: { ...(await rekey().retrieveBackup()) } }),
        delete: async () => {
          await rekey().deleteBackup();
          return undefined;
        },
      },
      help: 'The backup of the PGP-encrypted unseal keys written by a rekey with backup=true.',
    }),
    definePath({
      pattern: 'rekey/recovery-key-backup',
      operations: {
        read: async () => {
          throw new InvalidRequestError('no backed-up keys found');
        },
        delete: async () => undefined,
      },
      help: 'Recovery key backups: the Shamir seal has no recovery keys, so there is never one.',
    }),
  ];
}
