// A small leasing secrets engine for lease tests (type "test-lease"): `creds/<role>` issues a leased
// secret whose revocation and renewal are recorded in a shared ledger, and can be made to fail, so
// tests can see exactly what the expiration manager asked of an engine. Mount it with
// `ext: { factories: leaseEngineFactories(ledger) }` and `sys/mounts/<path>` type "test-lease".
import { InternalError } from '../../src/core/errors.js';
import { createBackend, definePath } from '../../src/framework/backend.js';
import type { BackendFactory } from '../../src/framework/types.js';

export interface LeaseLedger {
  issued: string[];
  revoked: string[];
  renewed: Array<{ name: string; ttl: number }>;
  /** When set, revocations throw (a database that is down). */
  failRevoke: boolean;
  failRenew: boolean;
}

export function createLedger(): LeaseLedger {
  return { issued: [], revoked: [], renewed: [], failRevoke: false, failRenew: false };
}

export function leaseEngineFactories(ledger: LeaseLedger): Record<string, BackendFactory> {
  let counter = 0;
  const factory: BackendFactory = () => createBackend({
    type: 'test-lease',
    paths: [
      definePath({
        pattern: 'creds/(?<role>[\\w-]+)',
        fields: { role: { type: 'string' }, ttl: { type: 'duration' }, max_ttl: { type: 'duration' }, renewable: { type: 'bool', default: true } },
        operations: {
          read: async (_req, f) => {
            const name = `${f.string('role')}-${++counter}`;
            ledger.issued.push(name);
            return {
              data: { username: name, password: `pw-${name}` },
              secret: { type: 'creds', ttl: f.duration('ttl'), maxTTL: f.duration('max_ttl'), renewable: f.bool('renewable'), internal: { name } },
            };
          },
        },
      }),
    ],
    secrets: {
      creds: {
        async renew(req) {
          if (ledger.failRenew) throw new InternalError('renewal refused by the test engine');
          ledger.renewed.push({ name: String(req.internal['name']), ttl: req.ttl });
        },
        async revoke(req) {
          if (ledger.failRevoke) throw new InternalError('test database unreachable');
          const name = String(req.internal['name']);
          if (!ledger.revoked.includes(name)) ledger.revoked.push(name);
        },
      },
    },
  });
  return { 'test-lease': factory };
}
