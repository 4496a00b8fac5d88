// What every path of the database engine shares: stored records, the per-connection pool cache,
// the clock, the password source and the per-name locks.
import { randomInt } from 'node:crypto';
import { AppError, InternalError, InvalidRequestError } from '../../core/errors.js';
import type { SystemView } from '../../framework/types.js';
import { createKeyedMutex, type KeyedMutex } from '../../lib/keyed-mutex.js';
import type { Storage } from '../../storage/backend.js';
import { getJSON, putJSON } from '../../storage/json.js';
import type { DatabaseConnection, DatabasePlugin } from './plugins/plugin.js';
import { findPlugin } from './plugins/registry.js';

export const CONFIG_PREFIX = 'config/';
export const ROLE_PREFIX = 'role/';
export const STATIC_ROLE_PREFIX = 'static-role/';

/** A path segment naming a config or role (Vault's GenericNameRegex). */
export const NAME = '(?<name>\\w(([\\w-.]+)?\\w)?)';

export interface StoredConfig {
  plugin_name: string;
  plugin_version: string;
  verify_connection: boolean;
  allowed_roles: string[];
  connection_url: string;
  username: string;
  password: string;
  disable_escaping: boolean;
  max_open_connections: number;
  max_idle_connections: number;
  /** Seconds. */
  max_connection_lifetime: number;
  password_authentication: string;
  username_template: string;
  password_policy: string;
  root_rotation_statements: string[];
}

export interface StoredRole {
  db_name: string;
  default_ttl: number;
  max_ttl: number;
  creation_statements: string[];
  revocation_statements: string[];
  rollback_statements: string[];
  renew_statements: string[];
  credential_type: string;
  credential_config: Record<string, unknown>;
}

export interface StoredStaticRole {
  db_name: string;
  username: string;
  /** Seconds; 0 when a schedule is used. */
  rotation_period: number;
  rotation_schedule: string;
  /** Seconds; 0 = no window. */
  rotation_window: number;
  rotation_statements: string[];
  credential_type: string;
  credential_config: Record<string, unknown>;
  password: string;
  /** Unix ms of the last successful rotation (0 = never). */
  last_rotation: number;
  /** Unix ms the next rotation is due. */
  next_rotation: number;
  /** The last failed rotation's message ('' after a success). */
  last_error: string;
}

export interface EngineOptions {
  /** Unix ms; tests inject a clock to make rotations come due without sleeping. */
  now?: () => number;
}

export interface OpenConnection {
  conn: DatabaseConnection;
  config: StoredConfig;
  plugin: DatabasePlugin;
}

export interface DatabaseContext {
  system: SystemView;
  storage: Storage;
  now(): number;
  locks: KeyedMutex;
  getConfig(storage: Storage, name: string): Promise<StoredConfig | undefined>;
  putConfig(storage: Storage, name: string, config: StoredConfig): Promise<void>;
  getRole(storage: Storage, name: string): Promise<StoredRole | undefined>;
  putRole(storage: Storage, name: string, role: StoredRole): Promise<void>;
  getStaticRole(storage: Storage, name: string): Promise<StoredStaticRole | undefined>;
  putStaticRole(storage: Storage, name: string, role: StoredStaticRole): Promise<void>;
  /** The cached pool for a config (reopened when the stored config changed); throws if the config is gone. */
  connection(storage: Storage, name: string): Promise<OpenConnection>;
  /** Replaces the cached pool (a config write that already verified `conn`). */
  adoptConnection(name: string, config: StoredConfig, conn: DatabaseConnection): Promise<void>;
  closeConnection(name: string): Promise<void>;
  closeAll(): Promise<void>;
  generatePassword(policy: string): Promise<string>;
}

export function pluginFor(config: StoredConfig): DatabasePlugin {
  const plugin = findPlugin(config.plugin_name);
  if (!plugin) throw new InternalError(`unsupported plugin_name "${config.plugin_name}"`);
  return plugin;
}

export function settingsOf(config: StoredConfig): Parameters<DatabasePlugin['open']>[0] {
  return {
    connectionUrl: config.connection_url,
    username: config.username,
    password: config.password,
    disableEscaping: config.disable_escaping,
    maxOpenConnections: config.max_open_connections,
    maxIdleConnections: config.max_idle_connections,
    maxConnectionLifetime: config.max_connection_lifetime,
    passwordAuthentication: config.password_authentication,
  };
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const DEFAULT_CHARSET = `${LOWER}${UPPER}${DIGITS}-`;

/** Vault's default generator (20 chars of [a-zA-Z0-9-], at least one of each class), used when the core offers none. */
export function defaultPassword(): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < 20; i++) s += DEFAULT_CHARSET[randomInt(DEFAULT_CHARSET.length)];
    if (/[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s) && s.includes('-')) return s;
  }
}

export function createContext(system: SystemView, storage: Storage, options: EngineOptions): DatabaseContext {
  const pools = new Map<string, { fingerprint: string; open: Promise<OpenConnection> }>();
  const locks = createKeyedMutex();

  async function close(name: string): Promise<void> {
    const entry = pools.get(name);
    if (!entry) return;
    pools.delete(name);
    const open = await entry.open.catch(() => undefined);
    await open?.conn.close();
  }

  const ctx: DatabaseContext = {
    system,
    storage,
    now: options.now ?? (() => Date.now()),
    locks,
    getConfig: (s, name) => getJSON<StoredConfig>(s, CONFIG_PREFIX + name),
    putConfig: (s, name, config) => putJSON(s, CONFIG_PREFIX + name, config),
    getRole: (s, name) => getJSON<StoredRole>(s, ROLE_PREFIX + name),
    putRole: (s, name, role) => putJSON(s, ROLE_PREFIX + name, role),
    getStaticRole: (s, name) => getJSON<StoredStaticRole>(s, STATIC_ROLE_PREFIX + name),
    putStaticRole: (s, name, role) => putJSON(s, STATIC_ROLE_PREFIX + name, role),
    async connection(s, name) {
      const config = await ctx.getConfig(s, name);
      if (!config) throw new InternalError(`database configuration "${name}" does not exist`);
      const fingerprint = JSON.stringify(config);
      const cached = pools.get(name);
      if (cached && cached.fingerprint === fingerprint) return cached.open;
      if (cached) await close(name);
      const plugin = pluginFor(config);
      const open = (async () => {
        try {
          return { conn: plugin.open(settingsOf(config), config.plugin_name), config, plugin };
        } catch (err) {
          throw dbError('error opening database connection', err);
        }
      })();
      pools.set(name, { fingerprint, open });
      open.catch(() => { if (pools.get(name)?.open === open) pools.delete(name); });
      return open;
    },
    async adoptConnection(name, config, conn) {
      await close(name);
      pools.set(name, { fingerprint: JSON.stringify(config), open: Promise.resolve({ conn, config, plugin: pluginFor(config) }) });
    },
    closeConnection: close,
    async closeAll() {
      await Promise.all([...pools.keys()].map((n) => close(n)));
    },
    async generatePassword(policy) {
      if (system.generatePassword) {
        try {
          return await system.generatePassword(policy);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          throw new InternalError(`unable to generate password${policy ? ` from policy "${policy}"` : ''}: ${msg}`);
        }
      }
      if (policy !== '') throw new InvalidRequestError(`password policy "${policy}" cannot be used: this server offers no password policies`);
      return defaultPassword();
    },
  };
  return ctx;
}

/** Turns a plugin's (already scrubbed) error into a 500 with a prefix. */
export function dbError(prefix: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new InternalError(`${prefix}: ${msg}`);
}
