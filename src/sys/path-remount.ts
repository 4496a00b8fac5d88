// sys/remount and sys/remount/status/:migration_id (spec §2.3): move a secrets engine or an auth
// method to a new path with its data. As in Vault ≥1.13 the move runs in the background: the request
// is checked at once (400 for a bad path, a protected mount, an unknown source or a taken destination)
// and answers a migration id whose status is "in-progress", then "success" or "failure". Statuses
// live in memory, like Vault's migration tracker: they do not outlive a seal or a restart.
import { randomUUID } from 'node:crypto';
import { errorMessages, InvalidRequestError, NotFoundError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { SystemContext } from './context.js';

export type MigrationStatus = 'in-progress' | 'success' | 'failure';

interface MigrationInfo {
  source_mount: string;
  target_mount: string;
  status: MigrationStatus;
  /** Why a migration failed (Coffer's addition; absent otherwise). */
  status_message?: string;
}

/** Statuses kept; the oldest are forgotten first. */
const MAX_MIGRATIONS = 1000;

function checkWhitespace(value: string, name: string): void {
  if (value.trim() !== value) throw new InvalidRequestError(`'${name}' path cannot contain trailing whitespace`);
}

function isAuthPath(p: string): boolean {
  return p.replace(/^\/+/, '').startsWith('auth/');
}

export function remountPaths(ctx: SystemContext): PathDef[] {
  const migrations = new Map<string, MigrationInfo>();

  function track(info: MigrationInfo): string {
    const id = randomUUID();
    migrations.set(id, info);
    while (migrations.size > MAX_MIGRATIONS) migrations.delete(migrations.keys().next().value!);
    return id;
  }

  return [
    definePath({
      pattern: 'remount',
      fields: { from: { type: 'string', description: 'The mount to move, e.g. "secret" or "auth/userpass".' }, to: { type: 'string', description: 'Its new path.' } },
      operations: {
        update: async (_req, d) => {
          const from = d.string('from');
          const to = d.string('to');
          if (from === '' || to === '') throw new InvalidRequestError("both 'from' and 'to' path must be specified as a string");
          checkWhitespace(from, 'from');
          checkWhitespace(to, 'to');
          const auth = isAuthPath(from);
          if (auth && !isAuthPath(to)) throw new InvalidRequestError(`cannot remount auth mount to non-auth mount "${to}"`);
          if (!auth && isAuthPath(to)) throw new InvalidRequestError(`cannot remount to destination "${to}"`);
          const strip = (p: string) => (auth ? p.replace(/^\/+/, '').slice('auth/'.length) : p);
          const move = ctx.mounts().prepareMove(auth ? 'auth' : 'secret', strip(from), strip(to));
          const info: MigrationInfo = { source_mount: move.from, target_mount: move.to, status: 'in-progress' };
          const id = track(info);
          move.run().then(
            () => { info.status = 'success'; },
            (err: unknown) => {
              info.status = 'failure';
              info.status_message = errorMessages(err).join('; ') || 'the move failed';
            },
          );
          return {
            data: { migration_id: id },
            warnings: [`Mount move has been queued; GET sys/remount/status/${id} reports its progress`],
          };
        },
      },
      help: 'Move a secrets engine or an auth method to a new path, with its data; its leases are revoked.',
    }),
    definePath({
      pattern: 'remount/status/(?<migration_id>.+)',
      fields: { migration_id: { type: 'string' } },
      operations: {
        read: async (_req, d) => {
          const id = d.string('migration_id');
          const info = migrations.get(id);
          if (!info) throw new NotFoundError();
          return { data: { migration_id: id, migration_info: { ...info } } };
        },
      },
      help: 'The status of a mount move started with sys/remount.',
    }),
  ];
}
