// The token auth method, mounted at auth/token/. Paths live one family per file; the token store
// (store.ts) does the work, these files do Vault's request rules and wire shapes.
import { createBackend } from '../../framework/backend.js';
import type { BackendFactory } from '../../framework/types.js';
import type { TokenBackendOptions, TokenPathContext } from './common.js';
import { accessorPaths } from './path-accessors.js';
import { createPaths } from './path-create.js';
import { lookupPaths } from './path-lookup.js';
import { renewPaths } from './path-renew.js';
import { revokePaths } from './path-revoke.js';
import type { TokenStore } from './store.js';

export type { TokenBackendOptions } from './common.js';

/** Mount-relative patterns that need sudo (spec §5.8): prefix with trailing '*'. */
export const TOKEN_SUDO_PATHS = ['revoke-orphan*', 'accessors*'];

export function createTokenBackend(store: TokenStore, options: TokenBackendOptions = {}): BackendFactory {
  return () => {
    const ctx: TokenPathContext = { store, options };
    return createBackend({
      type: 'token',
      paths: [...createPaths(ctx), ...lookupPaths(ctx), ...renewPaths(ctx), ...revokePaths(ctx), ...accessorPaths(ctx)],
      specialPaths: { unauthenticated: [], sudo: TOKEN_SUDO_PATHS },
      help: 'The token store: create, look up, renew and revoke tokens (service and batch), by token or accessor.',
    });
  };
}
