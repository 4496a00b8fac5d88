// Static-role password rotation: on creation, on demand (rotate-role) and when due (the periodic
// task). A WAL entry records the new password before the database is changed, so a crash between
// the ALTER and storing the password is recoverable: the next rotation reuses that password, and the
// core's WAL rollback sets and stores it (roll forward) if no rotation got there first.
import { InvalidRequestError } from '../../core/errors.js';
import { deleteWAL, getWAL, listWAL, putWAL } from '../../framework/wal.js';
import type { Storage } from '../../storage/backend.js';
import { STATIC_ROLE_PREFIX, dbError, type DatabaseContext, type StoredStaticRole } from './context.js';
import { parseCron } from './cron.js';

export const STATIC_WAL = 'static-rotation';

export interface StaticRotationWAL {
  role: string;
  db_name: string;
  username: string;
  password: string;
}

/** When a role rotated at `fromMs` is next due. */
export function nextRotation(role: Pick<StoredStaticRole, 'rotation_period' | 'rotation_schedule'>, fromMs: number): number {
  if (role.rotation_schedule !== '') return parseCron(role.rotation_schedule).next(fromMs) ?? Number.MAX_SAFE_INTEGER;
  return fromMs + role.rotation_period * 1000;
}

async function pendingWALs(storage: Storage, name: string): Promise<Array<{ id: string; data: StaticRotationWAL; createdAt: number }>> {
  const out: Array<{ id: string; data: StaticRotationWAL; createdAt: number }> = [];
  for (const id of await listWAL(storage)) {
    const entry = await getWAL(storage, id);
    if (entry?.kind !== STATIC_WAL) continue;
    const data = entry.data as StaticRotationWAL;
    if (data.role === name) out.push({ id, data, createdAt: entry.createdAt });
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

/** Deletes the WAL entries of a role (it was deleted, or a rotation completed). */
export async function clearStaticWALs(storage: Storage, name: string): Promise<void> {
  for (const w of await pendingWALs(storage, name)) await deleteWAL(storage, w.id);
}

/**
 * Rotates one static role now. On failure the role records the error (retried by the next periodic
 * run) and the error is thrown.
 */
export async function rotateStaticRole(ctx: DatabaseContext, storage: Storage, name: string): Promise<StoredStaticRole> {
  return ctx.locks.run(`static-role/${name}`, async () => {
    const role = await ctx.getStaticRole(storage, name);
    if (!role) throw new InvalidRequestError(`no static role found for role name "${name}"`);
    const config = await ctx.getConfig(storage, role.db_name);
    try {
      if (!config) throw new Error(`database configuration "${role.db_name}" does not exist`);
      // A password recorded by an interrupted rotation may already be live in the database: reuse it.
      const pending = (await pendingWALs(storage, name)).find((w) => w.data.username === role.username && w.data.db_name === role.db_name);
      const password = pending?.data.password ?? await ctx.generatePassword(config.password_policy);
      if (!pending) {
        await putWAL(storage, STATIC_WAL, { role: name, db_name: role.db_name, username: role.username, password } satisfies StaticRotationWAL, ctx.now());
      }
      const { conn } = await ctx.connection(storage, role.db_name);
      await conn.setPassword(role.username, password, role.rotation_statements);
      const now = ctx.now();
      const next: StoredStaticRole = { ...role, password, last_rotation: now, next_rotation: nextRotation(role, now), last_error: '' };
      await ctx.putStaticRole(storage, name, next);
      await clearStaticWALs(storage, name);
      return next;
    } catch (err) {
      const e = dbError('error setting credentials', err);
      await ctx.putStaticRole(storage, name, { ...role, last_error: e.message });
      ctx.system.rotationFailed?.(name, e.message);
      throw e;
    }
  });
}

/** The periodic task: rotates every static role that has come due; failures stay due and are retried. */
export async function rotateDueRoles(ctx: DatabaseContext, storage: Storage): Promise<void> {
  const names = (await storage.list(STATIC_ROLE_PREFIX)).filter((k) => !k.endsWith('/'));
  for (const name of names) {
    const role = await ctx.getStaticRole(storage, name);
    if (!role) continue;
    const now = ctx.now();
    if (now < role.next_rotation) continue;
    if (role.rotation_schedule !== '' && role.rotation_window > 0 && now > role.next_rotation + role.rotation_window * 1000) {
      // The window was missed (server down): wait for the next scheduled time.
      await ctx.locks.run(`static-role/${name}`, async () => {
        const current = await ctx.getStaticRole(storage, name);
        if (current) await ctx.putStaticRole(storage, name, { ...current, next_rotation: nextRotation(current, now) });
      });
      continue;
    }
    try {
      await rotateStaticRole(ctx, storage, name);
    } catch {
      // Recorded on the role as last_error; the role stays due, so the next run retries.
    }
  }
}

/** Rollback of an interrupted static rotation: set the WAL's password and store it (roll forward). */
export async function walRollbackStatic(ctx: DatabaseContext, storage: Storage, data: StaticRotationWAL): Promise<void> {
  await ctx.locks.run(`static-role/${data.role}`, async () => {
    const role = await ctx.getStaticRole(storage, data.role);
    if (!role || role.username !== data.username || role.db_name !== data.db_name || role.password === data.password) return;
    if (!(await ctx.getConfig(storage, data.db_name))) return;
    const { conn } = await ctx.connection(storage, data.db_name);
    try {
      await conn.setPassword(role.username, data.password, role.rotation_statements);
    } catch (err) {
      throw dbError('error rolling back static role rotation', err);
    }
    const now = ctx.now();
    await ctx.putStaticRole(storage, data.role, { ...role, password: data.password, last_rotation: now, next_rotation: nextRotation(role, now), last_error: '' });
  });
}
