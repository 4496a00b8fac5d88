// The database secrets engine (mount type `database`): connection configs, dynamic roles issuing
// leased users, static roles with scheduled password rotation, root rotation. Plugins per database
// live in plugins/ behind one interface.
import { createBackend } from '../../framework/backend.js';
import type { Backend, BackendConfig, BackendFactory } from '../../framework/types.js';
import { createContext, type EngineOptions } from './context.js';
import { CREDS_SECRET, CREDS_WAL, credsSecret, pathCreds, walRollbackCreds, type CredsWAL } from './path-creds.js';
import { pathConfig, pathConfigList, pathReset } from './path-config.js';
import { pathRoles, pathRolesList } from './path-roles.js';
import { ROOT_ROTATION_WAL, pathRotateRoot, walRollbackRoot, type RootRotationWAL } from './path-rotate-root.js';
import { pathRotateRole, pathStaticCreds, pathStaticRoles, pathStaticRolesList } from './path-static-roles.js';
import { STATIC_WAL, rotateDueRoles, walRollbackStatic, type StaticRotationWAL } from './rotation.js';

export type { DatabaseConnection, DatabasePlugin, ConnectionSettings, NewUserRequest } from './plugins/plugin.js';
export type { EngineOptions } from './context.js';

/** Seconds between checks for static roles whose rotation has come due. */
export const ROTATION_CHECK_SECONDS = 5;

export function createDatabaseBackend(config: BackendConfig, options: EngineOptions = {}): Backend {
  const ctx = createContext(config.system, config.storage, options);
  return createBackend({
    type: 'database',
    paths: [
      pathConfig(ctx), pathConfigList(), pathReset(ctx), pathRotateRoot(ctx),
      pathRoles(ctx), pathRolesList(), pathCreds(ctx),
      pathStaticRoles(ctx), pathStaticRolesList(), pathStaticCreds(ctx), pathRotateRole(ctx),
    ],
    specialPaths: { sudo: [] },
    help: 'The database secrets engine generates database credentials dynamically from roles, and rotates the passwords of static roles.',
    secrets: { [CREDS_SECRET]: credsSecret(ctx) },
    periodic: { everySeconds: ROTATION_CHECK_SECONDS, run: () => rotateDueRoles(ctx, config.storage) },
    async walRollback(kind, data) {
      switch (kind) {
        case CREDS_WAL: return walRollbackCreds(ctx, config.storage, data as CredsWAL);
        case STATIC_WAL: return walRollbackStatic(ctx, config.storage, data as StaticRotationWAL);
        case ROOT_ROTATION_WAL: return walRollbackRoot(ctx, config.storage, data as RootRotationWAL);
        default: return undefined; // Unknown kinds (from a newer version) are dropped.
      }
    },
    invalidate(key) {
      if (key.startsWith('config/')) void ctx.closeConnection(key.slice('config/'.length));
    },
    cleanup: () => ctx.closeAll(),
  });
}

export const databaseFactory: BackendFactory = (config) => createDatabaseBackend(config);
