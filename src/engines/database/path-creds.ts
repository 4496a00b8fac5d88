// creds/<role>: issues a leased database user for a dynamic role, and the `creds` secret type that
// renews (renew_statements / a new VALID UNTIL) and revokes (revocation_statements / the plugin's
// default drop) it. A WAL entry guards the window between "user created" and "lease stored".
import { InternalError, InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { LeaseRequest, SecretType } from '../../framework/types.js';
import { deleteWAL, putWAL } from '../../framework/wal.js';
import type { Storage } from '../../storage/backend.js';
import { NAME, dbError, type DatabaseContext } from './context.js';
import { roleAllowed } from './statements.js';
import { parseUsernameTemplate } from './username-template.js';

export const CREDS_SECRET = 'creds';
export const CREDS_WAL = 'creds-user';

export interface CredsWAL {
  db_name: string;
  username: string;
  revocation_statements: string[];
}

export interface CredsInternal {
  db_name: string;
  role: string;
  username: string;
  plugin_name: string;
  revocation_statements: string[];
  renew_statements: string[];
}

/** The lease TTL for a role: its default_ttl (else the mount's), capped at its max_ttl and the mount's max. */
export function leaseTTLs(ctx: DatabaseContext, role: { default_ttl: number; max_ttl: number }): { ttl: number; maxTTL: number } {
  const mountMax = ctx.system.maxLeaseTTL();
  let maxTTL = role.max_ttl > 0 ? role.max_ttl : mountMax;
  if (mountMax > 0 && maxTTL > mountMax) maxTTL = mountMax;
  let ttl = role.default_ttl > 0 ? role.default_ttl : ctx.system.defaultLeaseTTL();
  if (maxTTL > 0 && ttl > maxTTL) ttl = maxTTL;
  return { ttl, maxTTL };
}

export function pathCreds(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `creds/${NAME}`,
    fields: { name: { type: 'string', description: 'Name of the role.' } },
    operations: {
      async read(req, fields) {
        const name = fields.string('name');
        const role = await ctx.getRole(req.storage, name);
        if (!role) throw new InvalidRequestError(`unknown role: ${name}`);
        const config = await ctx.getConfig(req.storage, role.db_name);
        if (!config) throw new InternalError(`database configuration "${role.db_name}" does not exist`);
        if (!roleAllowed(config.allowed_roles, name)) throw new InternalError(`"${name}" is not an allowed role`);
        const { conn, plugin } = await ctx.connection(req.storage, role.db_name);

        const now = ctx.now();
        const template = parseUsernameTemplate(config.username_template || plugin.defaultUsernameTemplate(config.plugin_name));
        const username = template.execute({ DisplayName: req.token?.displayName ?? '', RoleName: name }, new Date(now));
        const max = plugin.maxUsernameLength(config.plugin_name);
        if (username === '') throw new InternalError('unable to generate username: the username template produced an empty name');
        if (Buffer.byteLength(username) > max) {
          throw new InternalError(`unable to generate username: "${username.slice(0, 80)}" is longer than ${max} characters, the limit of ${config.plugin_name}`);
        }
        const password = await ctx.generatePassword(config.password_policy);
        const { ttl, maxTTL } = leaseTTLs(ctx, role);
        const expiration = now + ttl * 1000;

        const walId = await putWAL(req.storage, CREDS_WAL, { db_name: role.db_name, username, revocation_statements: role.revocation_statements } satisfies CredsWAL, now);
        try {
          await conn.newUser({ username, password, expiration, creationStatements: role.creation_statements });
        } catch (err) {
          const cause = err instanceof Error ? err.message : String(err);
          let rollbackError = '';
          try {
            if (role.rollback_statements.length > 0) await conn.exec(role.rollback_statements, { name: username, username });
            // Whatever the rollback statements did, no half-made user of ours may stay behind.
            await conn.deleteUser(username, []);
            await deleteWAL(req.storage, walId);
          } catch (rbErr) {
            // The WAL stays so the core's rollback drops the user later.
            rollbackError = `; rollback failed: ${rbErr instanceof Error ? rbErr.message : String(rbErr)}`;
          }
          throw new InternalError(`error creating database user: ${cause}${rollbackError}`);
        }
        const internal: CredsInternal = {
          db_name: role.db_name, role: name, username, plugin_name: config.plugin_name,
          revocation_statements: role.revocation_statements, renew_statements: role.renew_statements,
        };
        return {
          data: { username, password },
          secret: { type: CREDS_SECRET, ttl, maxTTL, renewable: true, internal: { ...internal }, walIds: [walId] },
        };
      },
    },
    help: 'Request database credentials for a role.',
  });
}

function internalOf(lr: LeaseRequest): CredsInternal {
  const i = lr.internal as Partial<CredsInternal>;
  if (typeof i.username !== 'string' || typeof i.db_name !== 'string') throw new InternalError('secret is missing its username or database name');
  return {
    db_name: i.db_name, role: typeof i.role === 'string' ? i.role : '', username: i.username, plugin_name: i.plugin_name ?? '',
    revocation_statements: Array.isArray(i.revocation_statements) ? i.revocation_statements : [],
    renew_statements: Array.isArray(i.renew_statements) ? i.renew_statements : [],
  };
}

export function credsSecret(ctx: DatabaseContext): SecretType {
  return {
    async renew(lr) {
      const i = internalOf(lr);
      // The role's current statements win; a deleted role still renews with what it was issued with.
      const role = i.role ? await ctx.getRole(lr.storage, i.role) : undefined;
      const statements = role?.renew_statements ?? i.renew_statements;
      const expiration = lr.expireTime > 0 ? lr.expireTime : ctx.now() + lr.ttl * 1000;
      const { conn } = await ctx.connection(lr.storage, i.db_name);
      try {
        await conn.renewUser(i.username, expiration, statements);
      } catch (err) {
        throw dbError('error renewing database user', err);
      }
    },
    async revoke(lr) {
      const i = internalOf(lr);
      const role = i.role ? await ctx.getRole(lr.storage, i.role) : undefined;
      const statements = role && role.db_name === i.db_name ? role.revocation_statements : i.revocation_statements;
      const { conn } = await ctx.connection(lr.storage, i.db_name);
      try {
        await conn.deleteUser(i.username, statements);
      } catch (err) {
        throw dbError('error revoking database user', err);
      }
    },
  };
}

/** Drops a user left behind by an interrupted creds request (a stale `creds-user` WAL entry). */
export async function walRollbackCreds(ctx: DatabaseContext, storage: Storage, data: CredsWAL): Promise<void> {
  if (!(await ctx.getConfig(storage, data.db_name))) return; // The connection is gone: nothing left to reach.
  const { conn } = await ctx.connection(storage, data.db_name);
  try {
    await conn.deleteUser(data.username, []);
  } catch (err) {
    throw dbError('error rolling back database user', err);
  }
}
