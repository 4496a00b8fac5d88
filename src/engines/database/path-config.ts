// config/<name>: connection configurations (plugin, URL, root credentials, allowed roles), their
// list, reset/<name> (reopen the pool) and delete. The root password is never returned.
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Response } from '../../framework/types.js';
import type { Storage } from '../../storage/backend.js';
import { formatGoDuration } from '../../lib/duration.js';
import { CONFIG_PREFIX, NAME, settingsOf, type DatabaseContext, type StoredConfig } from './context.js';
import { findPlugin, pluginNames } from './plugins/registry.js';
import { parseStatements } from './statements.js';
import { validateUsernameTemplate } from './username-template.js';

const MAX_URL = 4096;
const MAX_CREDENTIAL = 1024;
const MAX_ALLOWED_ROLES = 1000;
const MAX_POOL = 1000;

function limit(value: string, max: number, field: string): string {
  if (value.length > max) throw new InvalidRequestError(`invalid ${field}: longer than ${max} characters`);
  return value;
}

export function pathConfig(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `config/${NAME}`,
    fields: {
      name: { type: 'string', description: 'Name of this database connection.' },
      plugin_name: { type: 'string', description: 'The database plugin, e.g. postgresql-database-plugin.' },
      plugin_version: { type: 'string', description: 'The plugin version (informational).' },
      verify_connection: { type: 'bool', default: true, description: 'Connect and ping before saving.' },
      allowed_roles: { type: 'comma-string-slice', description: 'Roles allowed to use this connection; globs allowed, "*" = any.' },
      root_rotation_statements: { type: 'raw', description: 'Statements run by rotate-root.' },
      password_policy: { type: 'string', description: 'Password policy for generated passwords.' },
      connection_url: { type: 'string', description: 'Connection string; {{username}} and {{password}} are substituted.' },
      username: { type: 'string', description: 'Root username.' },
      password: { type: 'string', description: 'Root password (never returned).' },
      username_template: { type: 'string', description: 'Template for generated usernames.' },
      disable_escaping: { type: 'bool', description: 'Do not URL-escape the substituted credentials.' },
      max_open_connections: { type: 'int', description: 'Maximum open connections (default 4).' },
      max_idle_connections: { type: 'int', description: 'Maximum idle connections (0 = max_open_connections).' },
      max_connection_lifetime: { type: 'duration', description: 'Maximum lifetime of a connection (0 = unlimited).' },
      password_authentication: { type: 'string', allowedValues: ['password', 'scram-sha-256'], description: 'PostgreSQL: how passwords are sent.' },
    },
    existenceCheck: async (req, fields) => (await ctx.getConfig(req.storage, fields.string('name'))) !== undefined,
    operations: {
      async read(req, fields) {
        const config = await ctx.getConfig(req.storage, fields.string('name'));
        if (!config) throw new NotFoundError();
        return { data: configView(config) };
      },
      async create(req, fields) {
        const name = fields.string('name');
        // Serialised with rotate-root, which rewrites the stored root password.
        return ctx.locks.run(`config/${name}`, () => writeConfig(req.storage, name, fields));
      },
      async delete(req, fields) {
        const name = fields.string('name');
        await ctx.locks.run(`config/${name}`, async () => {
          await req.storage.delete(CONFIG_PREFIX + name);
          await ctx.closeConnection(name);
        });
        return undefined;
      },
    },
    help: 'Configure connection details to a database plugin.',
  });

  async function writeConfig(storage: Storage, name: string, fields: FieldData): Promise<Response | undefined> {
    const existing = await ctx.getConfig(storage, name);
    const config: StoredConfig = existing ?? {
      plugin_name: '', plugin_version: '', verify_connection: true, allowed_roles: [], connection_url: '', username: '', password: '',
      disable_escaping: false, max_open_connections: 4, max_idle_connections: 0, max_connection_lifetime: 0, password_authentication: 'password',
      username_template: '', password_policy: '', root_rotation_statements: [],
    };
    if (fields.has('plugin_name')) config.plugin_name = fields.string('plugin_name').trim();
    if (config.plugin_name === '') throw new InvalidRequestError('plugin_name must be specified');
    if (!findPlugin(config.plugin_name)) {
      throw new InvalidRequestError(`error creating database object: unsupported plugin_name "${limit(config.plugin_name, 100, 'plugin_name')}" (supported: ${pluginNames().join(', ')})`);
    }
    if (fields.has('plugin_version')) config.plugin_version = limit(fields.string('plugin_version'), 100, 'plugin_version');
    config.verify_connection = fields.bool('verify_connection');
    if (fields.has('allowed_roles')) {
      const roles = fields.strings('allowed_roles');
      if (roles.length > MAX_ALLOWED_ROLES) throw new InvalidRequestError(`invalid allowed_roles: more than ${MAX_ALLOWED_ROLES} entries`);
      for (const r of roles) limit(r, 256, 'allowed_roles');
      config.allowed_roles = roles;
    }
    if (fields.has('root_rotation_statements')) config.root_rotation_statements = parseStatements(fields.rawValue('root_rotation_statements'), 'root_rotation_statements');
    if (fields.has('password_policy')) config.password_policy = limit(fields.string('password_policy'), 256, 'password_policy');
    if (fields.has('connection_url')) config.connection_url = limit(fields.string('connection_url'), MAX_URL, 'connection_url');
    if (fields.has('username')) config.username = limit(fields.string('username'), MAX_CREDENTIAL, 'username');
    if (fields.has('password')) config.password = limit(fields.string('password'), MAX_CREDENTIAL, 'password');
    if (fields.has('username_template')) {
      const t = limit(fields.string('username_template'), 4096, 'username_template');
      if (t !== '') validateUsernameTemplate(t);
      config.username_template = t;
    }
    if (fields.has('disable_escaping')) config.disable_escaping = fields.bool('disable_escaping');
    if (fields.has('max_open_connections')) {
      const n = fields.int('max_open_connections');
      if (n < 0 || n > MAX_POOL) throw new InvalidRequestError(`invalid max_open_connections: must be between 0 and ${MAX_POOL}`);
      config.max_open_connections = n === 0 ? 4 : n;
    }
    if (fields.has('max_idle_connections')) {
      const n = fields.int('max_idle_connections');
      if (n < 0 || n > MAX_POOL) throw new InvalidRequestError(`invalid max_idle_connections: must be between 0 and ${MAX_POOL}`);
      config.max_idle_connections = n;
    }
    if (config.max_idle_connections > config.max_open_connections) config.max_idle_connections = config.max_open_connections;
    if (fields.has('max_connection_lifetime')) config.max_connection_lifetime = fields.duration('max_connection_lifetime');
    if (fields.has('password_authentication')) config.password_authentication = fields.string('password_authentication');
    if (config.connection_url.trim() === '') throw new InvalidRequestError('error creating database object: connection_url cannot be empty');

    const plugin = findPlugin(config.plugin_name)!;
    if (config.verify_connection) {
      let conn;
      try {
        conn = plugin.open(settingsOf(config), config.plugin_name);
        await conn.verify();
      } catch (err) {
        await conn?.close();
        throw new InvalidRequestError(`error creating database object: ${err instanceof Error ? err.message : String(err)}`);
      }
      await ctx.putConfig(storage, name, config);
      await ctx.adoptConnection(name, config, conn);
    } else {
      try {
        plugin.open(settingsOf(config), config.plugin_name).close().catch(() => undefined);
      } catch (err) {
        throw new InvalidRequestError(`error creating database object: ${err instanceof Error ? err.message : String(err)}`);
      }
      await ctx.putConfig(storage, name, config);
      await ctx.closeConnection(name);
    }
    const warnings: string[] = [];
    if (config.password !== '' && !/\{\{\s*password\s*\}\}/.test(config.connection_url) && config.plugin_name.startsWith('postgres') && /:\/\/[^/]*:[^/]*@/.test(config.connection_url)) {
      warnings.push('connection_url carries a literal password; use {{password}} so rotate-root can change it');
    }
    return warnings.length > 0 ? { warnings } : undefined;
  }
}

export function configView(config: StoredConfig): Record<string, unknown> {
  const details: Record<string, unknown> = {
    connection_url: config.connection_url,
    username: config.username,
    max_open_connections: config.max_open_connections,
    max_idle_connections: config.max_idle_connections,
    max_connection_lifetime: formatGoDuration(config.max_connection_lifetime),
    disable_escaping: config.disable_escaping,
  };
  if (config.plugin_name.startsWith('postgres')) details.password_authentication = config.password_authentication;
  if (config.username_template !== '') details.username_template = config.username_template;
  return {
    plugin_name: config.plugin_name,
    plugin_version: config.plugin_version,
    allowed_roles: config.allowed_roles,
    connection_details: details,
    password_policy: config.password_policy,
    root_credentials_rotate_statements: config.root_rotation_statements,
    verify_connection: config.verify_connection,
  };
}

export function pathConfigList(): PathDef {
  return definePath({
    pattern: 'config/?',
    operations: {
      async list(req) {
        const keys = (await req.storage.list(CONFIG_PREFIX)).filter((k) => !k.endsWith('/'));
        if (keys.length === 0) throw new NotFoundError();
        return { data: { keys } };
      },
    },
    help: 'List the configured database connections.',
  });
}

export function pathReset(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `reset/${NAME}`,
    fields: { name: { type: 'string', description: 'Name of the connection to reset.' } },
    operations: {
      async update(req, fields) {
        const name = fields.string('name');
        const config = await ctx.getConfig(req.storage, name);
        if (!config) throw new InvalidRequestError(`unknown database configuration: ${name}`);
        await ctx.closeConnection(name);
        // Reopen eagerly so a broken connection shows up now, not at the next creds request.
        const { conn } = await ctx.connection(req.storage, name);
        try {
          await conn.verify();
        } catch (err) {
          throw new InvalidRequestError(`error creating database object: ${err instanceof Error ? err.message : String(err)}`);
        }
        return undefined;
      },
    },
    help: 'Close and reopen the connection pool of a database connection.',
  });
}
