// A small auth method for tests of the login contract (types "test-login" and "test-login-norenew"):
// `login` with username/password returns an AuthIntent, and the core mints the token. Users can be
// disabled to see the method refuse a renewal; every authRenew call is recorded.
import { InvalidRequestError, PermissionDeniedError } from '../../src/core/errors.js';
import { createBackend, definePath } from '../../src/framework/backend.js';
import type { BackendFactory } from '../../src/framework/types.js';

export interface LoginLedger {
  users: Record<string, string>;
  disabled: Set<string>;
  /** What authRenew was handed, in order. */
  renewals: Array<{ internal: Record<string, unknown>; metadata: Record<string, string> }>;
  /** TTLs authRenew returns (a role's token_ttl / token_max_ttl); 0 = not set. */
  renewTTL: number;
  renewMaxTTL: number;
}

export function createLoginLedger(users: Record<string, string>): LoginLedger {
  return { users, disabled: new Set(), renewals: [], renewTTL: 0, renewMaxTTL: 0 };
}

export function loginMethodFactories(ledger: LoginLedger): Record<string, BackendFactory> {
  const make = (type: string, renews: boolean): BackendFactory => () => createBackend({
    type,
    specialPaths: { unauthenticated: ['login'] },
    paths: [
      definePath({
        pattern: 'login',
        fields: {
          username: { type: 'string' }, password: { type: 'string' }, ttl: { type: 'duration' }, max_ttl: { type: 'duration' },
          period: { type: 'duration' }, num_uses: { type: 'int' }, token_type: { type: 'string' },
        },
        operations: {
          update: async (_req, f) => {
            const user = f.string('username');
            if (!user || ledger.users[user] !== f.string('password')) throw new PermissionDeniedError('invalid username or password');
            return {
              auth: {
                policies: ['dev'], displayName: user, ttl: f.duration('ttl'), maxTTL: f.duration('max_ttl'), period: f.duration('period'),
                numUses: f.int('num_uses'), tokenType: (f.string('token_type') || 'default') as 'default',
                metadata: { username: user }, internal: { username: user, issuedBy: type },
              },
            };
          },
        },
      }),
    ],
    ...(renews ? {
      async authRenew(req) {
        ledger.renewals.push({ internal: req.internal, metadata: req.metadata });
        if (ledger.disabled.has(String(req.internal['username']))) throw new InvalidRequestError('user is disabled');
        return { ttl: ledger.renewTTL || undefined, maxTTL: ledger.renewMaxTTL || undefined };
      },
    } : {}),
  });
  return { 'test-login': make('test-login', true), 'test-login-norenew': make('test-login-norenew', false) };
}
