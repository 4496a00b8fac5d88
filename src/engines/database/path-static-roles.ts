// static-roles/<name>: existing database users whose password Coffer rotates on a period or a cron
// schedule; static-creds/<name> reads the current password (no lease); rotate-role/<name> forces a
// rotation.
import { InternalError, InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import { NAME, STATIC_ROLE_PREFIX, type DatabaseContext, type StoredStaticRole } from './context.js';
import { parseCron } from './cron.js';
import { checkCredentialType } from './path-roles.js';
import { clearStaticWALs, nextRotation, rotateStaticRole } from './rotation.js';
import { parseStatements, roleAllowed } from './statements.js';

const MIN_ROTATION_PERIOD = 5;
const MIN_ROTATION_WINDOW = 3600;

function rotationView(ctx: DatabaseContext, role: StoredStaticRole): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (role.rotation_schedule !== '') {
    out.rotation_schedule = role.rotation_schedule;
    if (role.rotation_window > 0) out.rotation_window = role.rotation_window;
  } else {
    out.rotation_period = role.rotation_period;
  }
  out.last_vault_rotation = role.last_rotation > 0 ? new Date(role.last_rotation).toISOString() : null;
  out.ttl = Math.max(0, Math.floor((role.next_rotation - ctx.now()) / 1000));
  return out;
}

export function pathStaticRoles(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `static-roles/${NAME}`,
    fields: {
      name: { type: 'string', description: 'Name of the static role.' },
      db_name: { type: 'string', description: 'Name of the database connection.' },
      username: { type: 'string', description: 'The existing database user whose password is managed.' },
      rotation_period: { type: 'duration', description: 'Rotate every this long (at least 5s); exclusive with rotation_schedule.' },
      rotation_schedule: { type: 'string', description: 'Cron schedule (5 fields, UTC) for rotations.' },
      rotation_window: { type: 'duration', description: 'With rotation_schedule: how long after the scheduled time a rotation may still run.' },
      rotation_statements: { type: 'raw', description: 'Statements that set the password ({{name}}, {{password}}).' },
      credential_type: { type: 'string', description: 'Type of credential: password.' },
      credential_config: { type: 'map', description: 'Settings for the credential type.' },
    },
    existenceCheck: async (req, fields) => (await ctx.getStaticRole(req.storage, fields.string('name'))) !== undefined,
    operations: {
      async read(req, fields) {
        const role = await ctx.getStaticRole(req.storage, fields.string('name'));
        if (!role) throw new NotFoundError();
        return {
          data: {
            db_name: role.db_name,
            username: role.username,
            rotation_statements: role.rotation_statements,
            credential_type: role.credential_type,
            credential_config: role.credential_config,
            ...rotationView(ctx, role),
            ...(role.last_error ? { last_rotation_error: role.last_error } : {}),
          },
        };
      },
      async create(req, fields) {
        const name = fields.string('name');
        const existing = await ctx.getStaticRole(req.storage, name);
        if (!existing && (await ctx.getRole(req.storage, name))) throw new InvalidRequestError('Role and Static Role names must be unique');
        const role: StoredStaticRole = existing ?? {
          db_name: '', username: '', rotation_period: 0, rotation_schedule: '', rotation_window: 0, rotation_statements: [],
          credential_type: 'password', credential_config: {}, password: '', last_rotation: 0, next_rotation: 0, last_error: '',
        };
        if (fields.has('db_name')) {
          const db = fields.string('db_name');
          if (existing && db !== existing.db_name) throw new InvalidRequestError('cannot update static role db_name');
          role.db_name = db;
        }
        if (role.db_name === '') throw new InvalidRequestError('empty database name attribute');
        const config = await ctx.getConfig(req.storage, role.db_name);
        if (!config) throw new InvalidRequestError(`database configuration "${role.db_name.slice(0, 100)}" does not exist`);
        if (!roleAllowed(config.allowed_roles, name)) throw new InvalidRequestError(`"${name}" is not an allowed role`);
        if (fields.has('username')) {
          const u = fields.string('username');
          if (existing && u !== existing.username) throw new InvalidRequestError('cannot update static account username');
          if (u.length > 256) throw new InvalidRequestError('invalid username: longer than 256 characters');
          role.username = u;
        }
        if (role.username === '') throw new InvalidRequestError('username is a required field to create a static account');

        const hasPeriod = fields.has('rotation_period');
        const hasSchedule = fields.has('rotation_schedule') && fields.string('rotation_schedule').trim() !== '';
        if (hasPeriod && hasSchedule) throw new InvalidRequestError('mutually exclusive fields rotation_period and rotation_schedule were both specified; only one of them can be provided');
        const before = { rotation_period: role.rotation_period, rotation_schedule: role.rotation_schedule };
        if (hasPeriod) {
          const p = fields.duration('rotation_period');
          if (p < MIN_ROTATION_PERIOD) throw new InvalidRequestError(`rotation_period must be ${MIN_ROTATION_PERIOD} seconds or more`);
          role.rotation_period = p;
          role.rotation_schedule = '';
          role.rotation_window = 0;
        }
        if (hasSchedule) {
          role.rotation_schedule = parseCron(fields.string('rotation_schedule')).source;
          role.rotation_period = 0;
        }
        if (role.rotation_period === 0 && role.rotation_schedule === '') {
          throw new InvalidRequestError('one of rotation_schedule or rotation_period must be provided to create a static account');
        }
        if (fields.has('rotation_window')) {
          const w = fields.duration('rotation_window');
          if (role.rotation_schedule === '' && w > 0) throw new InvalidRequestError('rotation_window is invalid with use of rotation_period');
          if (w > 0 && w < MIN_ROTATION_WINDOW) throw new InvalidRequestError(`rotation_window must be ${MIN_ROTATION_WINDOW} seconds or more`);
          role.rotation_window = w;
        }
        if (fields.has('rotation_statements')) role.rotation_statements = parseStatements(fields.rawValue('rotation_statements'), 'rotation_statements');
        if (fields.has('credential_type')) role.credential_type = checkCredentialType(fields.string('credential_type'));
        if (fields.has('credential_config')) role.credential_config = fields.map('credential_config');
        if (JSON.stringify(role.credential_config).length > 4096) throw new InvalidRequestError('invalid credential_config: too large');

        if (existing) {
          if (before.rotation_period !== role.rotation_period || before.rotation_schedule !== role.rotation_schedule) {
            role.next_rotation = nextRotation(role, role.last_rotation || ctx.now());
          }
          await ctx.locks.run(`static-role/${name}`, () => ctx.putStaticRole(req.storage, name, role));
          return undefined;
        }
        // A new static role takes over the account at once: its password is rotated now.
        await ctx.putStaticRole(req.storage, name, role);
        try {
          await rotateStaticRole(ctx, req.storage, name);
        } catch (err) {
          await req.storage.delete(STATIC_ROLE_PREFIX + name);
          await clearStaticWALs(req.storage, name);
          throw err;
        }
        return undefined;
      },
      async delete(req, fields) {
        const name = fields.string('name');
        await ctx.locks.run(`static-role/${name}`, async () => {
          await req.storage.delete(STATIC_ROLE_PREFIX + name);
          await clearStaticWALs(req.storage, name);
        });
        return undefined;
      },
    },
    help: 'Manage static roles: existing database users whose passwords Coffer rotates.',
  });
}

export function pathStaticRolesList(): PathDef {
  return definePath({
    pattern: 'static-roles/?',
    operations: {
      async list(req) {
        const keys = (await req.storage.list(STATIC_ROLE_PREFIX)).filter((k) => !k.endsWith('/'));
        if (keys.length === 0) throw new NotFoundError();
        return { data: { keys } };
      },
    },
    help: 'List the static roles.',
  });
}

export function pathStaticCreds(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `static-creds/${NAME}`,
    fields: { name: { type: 'string', description: 'Name of the static role.' } },
    operations: {
      async read(req, fields) {
        const name = fields.string('name');
        const role = await ctx.getStaticRole(req.storage, name);
        if (!role) throw new InvalidRequestError(`unknown role: ${name}`);
        if (role.password === '') throw new InternalError(`static role "${name}" has no password yet: ${role.last_error || 'rotation pending'}`);
        return { data: { username: role.username, password: role.password, ...rotationView(ctx, role) } };
      },
    },
    help: 'Read the current credentials of a static role (no lease).',
  });
}

export function pathRotateRole(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `rotate-role/${NAME}`,
    fields: { name: { type: 'string', description: 'Name of the static role.' } },
    operations: {
      async update(req, fields) {
        await rotateStaticRole(ctx, req.storage, fields.string('name'));
        return undefined;
      },
    },
    help: 'Rotate the password of a static role now.',
  });
}
