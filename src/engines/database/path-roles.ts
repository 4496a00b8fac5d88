// roles/<name>: dynamic roles (which connection, TTLs, and the SQL that creates, revokes, rolls back
// and renews a user), their list and delete.
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import { NAME, ROLE_PREFIX, type DatabaseContext, type StoredRole } from './context.js';
import { parseStatements } from './statements.js';

export const STATEMENT_FIELDS = ['creation_statements', 'revocation_statements', 'rollback_statements', 'renew_statements'] as const;

export function checkCredentialType(v: string): string {
  if (v !== 'password') throw new InvalidRequestError(`unsupported credential_type "${v.slice(0, 50)}": only "password" is supported`);
  return v;
}

export function pathRoles(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `roles/${NAME}`,
    fields: {
      name: { type: 'string', description: 'Name of the role.' },
      db_name: { type: 'string', description: 'Name of the database connection this role uses.' },
      default_ttl: { type: 'duration', description: 'Default lease TTL (0 = the mount default).' },
      max_ttl: { type: 'duration', description: 'Maximum lease TTL (0 = the mount maximum).' },
      creation_statements: { type: 'raw', description: 'Statements that create the user.' },
      revocation_statements: { type: 'raw', description: 'Statements that drop the user.' },
      rollback_statements: { type: 'raw', description: 'Statements run when creation fails.' },
      renew_statements: { type: 'raw', description: 'Statements run when the lease is renewed.' },
      credential_type: { type: 'string', description: 'Type of credential: password.' },
      credential_config: { type: 'map', description: 'Settings for the credential type.' },
    },
    existenceCheck: async (req, fields) => (await ctx.getRole(req.storage, fields.string('name'))) !== undefined,
    operations: {
      async read(req, fields) {
        const role = await ctx.getRole(req.storage, fields.string('name'));
        if (!role) throw new NotFoundError();
        return {
          data: {
            db_name: role.db_name,
            default_ttl: role.default_ttl,
            max_ttl: role.max_ttl,
            creation_statements: role.creation_statements,
            revocation_statements: role.revocation_statements,
            rollback_statements: role.rollback_statements,
            renew_statements: role.renew_statements,
            credential_type: role.credential_type,
            credential_config: role.credential_config,
          },
        };
      },
      async create(req, fields) {
        const name = fields.string('name');
        const existing = await ctx.getRole(req.storage, name);
        const role: StoredRole = existing ?? {
          db_name: '', default_ttl: 0, max_ttl: 0, creation_statements: [], revocation_statements: [], rollback_statements: [],
          renew_statements: [], credential_type: 'password', credential_config: {},
        };
        if (fields.has('db_name')) role.db_name = fields.string('db_name');
        if (role.db_name === '') throw new InvalidRequestError('empty database name attribute');
        if (!(await ctx.getConfig(req.storage, role.db_name))) {
          throw new InvalidRequestError(`database configuration "${role.db_name.slice(0, 100)}" does not exist`);
        }
        if (fields.has('default_ttl')) role.default_ttl = fields.duration('default_ttl');
        if (fields.has('max_ttl')) role.max_ttl = fields.duration('max_ttl');
        for (const f of STATEMENT_FIELDS) if (fields.has(f)) role[f] = parseStatements(fields.rawValue(f), f);
        if (fields.has('credential_type')) role.credential_type = checkCredentialType(fields.string('credential_type'));
        if (fields.has('credential_config')) role.credential_config = fields.map('credential_config');
        if (JSON.stringify(role.credential_config).length > 4096) throw new InvalidRequestError('invalid credential_config: too large');
        if (role.creation_statements.length === 0) throw new InvalidRequestError('creation_statements must be specified');
        if (role.max_ttl > 0 && role.default_ttl > role.max_ttl) throw new InvalidRequestError('ttl cannot be greater than max_ttl');
        const warnings: string[] = [];
        const mountMax = ctx.system.maxLeaseTTL();
        if (role.max_ttl > mountMax && mountMax > 0) warnings.push(`max_ttl is greater than the mount's maximum TTL (${mountMax}s); leases are capped at the mount's value`);
        if (role.default_ttl > mountMax && mountMax > 0) warnings.push(`default_ttl is greater than the mount's maximum TTL (${mountMax}s); leases are capped at the mount's value`);
        await ctx.putRole(req.storage, name, role);
        return warnings.length > 0 ? { warnings } : undefined;
      },
      async delete(req, fields) {
        await req.storage.delete(ROLE_PREFIX + fields.string('name'));
        return undefined;
      },
    },
    help: 'Manage the roles that issue dynamic database credentials.',
  });
}

export function pathRolesList(): PathDef {
  return definePath({
    pattern: 'roles/?',
    operations: {
      async list(req) {
        const keys = (await req.storage.list(ROLE_PREFIX)).filter((k) => !k.endsWith('/'));
        if (keys.length === 0) throw new NotFoundError();
        return { data: { keys } };
      },
    },
    help: 'List the dynamic roles.',
  });
}
