// Background work of the active node, for every mounted backend: its periodic task (static-role
// rotation, key auto-rotation, tidying) and the rollback of stale WAL entries (framework/wal.ts).
// One ticker walks the mount table, so mounts added or removed at run time need no registration;
// a backend's task never runs twice at once, and a failing task is logged and tried again later.
import type { MountedBackend } from '../router/mount-table.js';
import { getWAL, listWAL, deleteWAL } from '../framework/wal.js';

export interface BackgroundDeps {
  mounts(): MountedBackend[];
  now?: () => number;
  /** Ticker period (ms). Default 1000. */
  tickMs?: number;
  /** How often WAL entries are checked (ms). Default 60 s. */
  walCheckMs?: number;
  log?: (level: 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
}

const DEFAULT_WAL_MIN_AGE_S = 600;

export function createBackgroundRunner(deps: BackgroundDeps) {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => undefined);
  const nextRun = new Map<string, number>();
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let lastWalCheck = 0;
  let stopped = true;

  function launch(key: string, work: () => Promise<void>, what: string, mount: string): void {
    if (running.has(key)) return;
    const p = work()
      .catch((err: unknown) => log('warn', `${what} failed`, { mount, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => running.delete(key));
    running.set(key, p);
  }

  async function rollbackWAL(m: MountedBackend): Promise<void> {
    const rollback = m.backend.walRollback;
    if (!rollback) return;
    const minAgeMs = (m.backend.walRollbackMinAge ?? DEFAULT_WAL_MIN_AGE_S) * 1000;
    for (const id of await listWAL(m.storage)) {
      const entry = await getWAL(m.storage, id);
      if (!entry) continue;
      if (now() - entry.createdAt < minAgeMs) continue;
      await rollback.call(m.backend, entry.kind, entry.data);
      await deleteWAL(m.storage, id);
    }
  }

  function tick(): void {
    if (stopped) return;
    const t = now();
    const walDue = t - lastWalCheck >= (deps.walCheckMs ?? 60_000);
    if (walDue) lastWalCheck = t;
    const seen = new Set<string>();
    for (const m of deps.mounts()) {
      const id = m.info.uuid;
      seen.add(id);
      const task = m.backend.periodic;
      if (task) {
        const due = nextRun.get(id) ?? t;
        if (t >= due) {
          nextRun.set(id, t + Math.max(1, task.everySeconds) * 1000);
          launch(`p:${id}`, () => task.run(), 'periodic task', m.info.path);
        }
      }
      if (walDue && m.backend.walRollback) launch(`w:${id}`, () => rollbackWAL(m), 'WAL rollback', m.info.path);
    }
    for (const id of nextRun.keys()) if (!seen.has(id)) nextRun.delete(id);
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      lastWalCheck = 0;
      timer = setInterval(tick, deps.tickMs ?? 1000);
      timer.unref();
      tick();
    },
    /** Stops the ticker and waits for tasks in flight (seal, step-down). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.all([...running.values()]);
      nextRun.clear();
    },
    /** Runs every due task now (tests). */
    tick,
    /** Resolves when the tasks running now have finished. */
    settled: () => Promise.all([...running.values()]).then(() => undefined),
  };
}
