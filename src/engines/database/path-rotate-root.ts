// rotate-root/<name>: a new root password from the config's password policy is set in the database
// (root_rotation_statements or the plugin's default) and stored; from then on only Coffer knows it.
// A WAL entry holds the new password from before the ALTER until it is stored, so a crash in
// between is recoverable (walRollbackRoot tries it and keeps it if it works).
import { InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import { deleteWAL, putWAL } from '../../framework/wal.js';
import type { Storage } from '../../storage/backend.js';
import { NAME, dbError, pluginFor, settingsOf, type DatabaseContext } from './context.js';

export const ROOT_ROTATION_WAL = 'root-rotation';

export interface RootRotationWAL {
  db_name: string;
  username: string;
  password: string;
}

export async function rotateRoot(ctx: DatabaseContext, storage: Storage, name: string): Promise<void> {
  await ctx.locks.run(`config/${name}`, async () => {
    const config = await ctx.getConfig(storage, name);
    if (!config) throw new InvalidRequestError(`unknown database configuration: ${name}`);
    if (config.username === '') throw new InvalidRequestError('unable to rotate root credentials: no username in configuration');
    const password = await ctx.generatePassword(config.password_policy);
    const walId = await putWAL(storage, ROOT_ROTATION_WAL, { db_name: name, username: config.username, password } satisfies RootRotationWAL, ctx.now());
    const { conn } = await ctx.connection(storage, name);
    try {
      await conn.setPassword(config.username, password, config.root_rotation_statements);
    } catch (err) {
      // The WAL stays: if the ALTER did land (the reply was lost), the rollback adopts the password.
      throw dbError('failed to update root credentials', err);
    }
    await ctx.putConfig(storage, name, { ...config, password });
    await deleteWAL(storage, walId);
    // The next use opens a pool with the new password.
    await ctx.closeConnection(name);
  });
}

/** Rollback of an interrupted root rotation: keep the WAL's password if the database accepts it. */
export async function walRollbackRoot(ctx: DatabaseContext, storage: Storage, data: RootRotationWAL): Promise<void> {
  await ctx.locks.run(`config/${data.db_name}`, async () => {
    const config = await ctx.getConfig(storage, data.db_name);
    if (!config || config.username !== data.username || config.password === data.password) return;
    const candidate = { ...config, password: data.password };
    const conn = pluginFor(candidate).open(settingsOf(candidate), candidate.plugin_name);
    try {
      await conn.verify();
    } catch {
      return; // The ALTER never happened: the stored password is still the right one.
    } finally {
      await conn.close();
    }
    await ctx.putConfig(storage, data.db_name, candidate);
    await ctx.closeConnection(data.db_name);
  });
}

export function pathRotateRoot(ctx: DatabaseContext): PathDef {
  return definePath({
    pattern: `rotate-root/${NAME}`,
    fields: { name: { type: 'string', description: 'Name of the connection whose root credentials to rotate.' } },
    operations: {
      async update(req, fields) {
        await rotateRoot(ctx, req.storage, fields.string('name'));
        return undefined;
      },
    },
    help: 'Rotate the root credentials of a database connection; afterwards only Coffer knows them.',
  });
}
