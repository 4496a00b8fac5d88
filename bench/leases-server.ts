// Child process of bench/leases.ts (not run by hand): a Coffer server on SQLite (WAL,
// synchronous=FULL, as in production) in this process, so the RSS and event-loop delay measured are
// the server's own. Leases come from "bench-lease", a secrets engine whose revoke only counts: what
// is measured is the expiration manager and its storage, not a database.
//
//   expire <db> <n>    initialise, register <n> leases due within the same second (or let the parent
//                      register them over HTTP), then measure from the first expiry until every
//                      lease is revoked and removed
//   register <db> <n>  initialise, register <n> leases with a 1 h TTL, stop (a database for restart)
//   restart <db> <n>   open that database sealed; the parent unseals it over HTTP; report when the
//                      expiry index was rebuilt
//
// Registering directly calls the expiration manager's register(), the call the request pipeline makes
// for every leased response (same lease entry, same token index entry, same durable write), without
// the HTTP request around it.
import { randomBytes } from 'node:crypto';
import { startServer, createLogger, type StartedServer } from '../src/server/start.js';
import { createBackend, definePath } from '../src/framework/backend.js';
import type { BackendFactory } from '../src/framework/types.js';

const [mode, dbPath, countArg] = process.argv.slice(2);
const N = Number(countArg);
const REGISTER_PARALLEL = 256;
/** How far ahead of the calibrated registration time the leases fall due (set by bench/leases.ts). */
const SLACK = Number(process.env['BENCH_REGISTER_SLACK'] ?? 2.5);
/** The lag sampler's interval: a tick's delay beyond it is event-loop lag. */
const LAG_INTERVAL_MS = 10;
const MASS = 'bench/creds/mass';

const send = (msg: Record<string, unknown>) => process.send!(msg);
const inbox: Array<Record<string, any>> = [];
const waiters: Array<() => void> = [];
process.on('message', (m: Record<string, any>) => { inbox.push(m); for (const w of waiters.splice(0)) w(); });
async function receive(type: string): Promise<Record<string, any>> {
  for (;;) {
    const i = inbox.findIndex((m) => m['type'] === type);
    if (i >= 0) return inbox.splice(i, 1)[0]!;
    await new Promise<void>((r) => waiters.push(r));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

// --- the no-op leasing engine ------------------------------------------------------------------

const revoked = { count: 0, firstAt: 0, lastAt: 0 };

/** What a database engine keeps per lease (the same fields and sizes), so entries weigh what real ones do. */
function internalFor(role: string): Record<string, unknown> {
  return {
    db_name: 'main', role, username: `v-root-${role.slice(0, 8)}-${randomBytes(15).toString('base64url')}-${Math.floor(Date.now() / 1000)}`,
    plugin_name: 'postgresql-database-plugin', revocation_statements: [], renew_statements: [],
  };
}

const benchLease: BackendFactory = () => createBackend({
  type: 'bench-lease',
  paths: [
    definePath({
      pattern: 'creds/(?<role>[\\w-]+)',
      fields: { role: { type: 'string' }, ttl: { type: 'duration' } },
      operations: {
        read: async (_req, f) => {
          const internal = internalFor(f.string('role'));
          return {
            data: { username: internal['username'], password: randomBytes(15).toString('base64url') },
            secret: { type: 'creds', ttl: f.duration('ttl'), renewable: true, internal },
          };
        },
      },
    }),
  ],
  secrets: {
    creds: {
      async renew() { /* nothing to extend */ },
      async revoke() {
        const t = Date.now();
        if (revoked.count++ === 0) revoked.firstAt = t;
        revoked.lastAt = t;
      },
    },
  },
});

// --- server ----------------------------------------------------------------------------------

async function boot(): Promise<StartedServer> {
  return startServer(
    { storage: { type: 'sqlite', path: dbPath! }, listeners: [{ address: '127.0.0.1:0', tlsDisable: true }], ui: false, logLevel: 'warn' },
    createLogger('warn'),
    { factories: { 'bench-lease': benchLease } },
  );
}

function api(address: string, token = '') {
  return async (method: string, path: string, body?: unknown): Promise<any> => {
    const r = await fetch(`${address}/v1/${path}`, {
      method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? undefined : r.json();
  };
}

/** A fresh server: initialised and unsealed over HTTP, bench-lease at bench/, kv v2 at secret/ with one secret. */
async function bootFresh(): Promise<{ srv: StartedServer; rootToken: string; unsealKey: string }> {
  const srv = await boot();
  const init = await api(srv.address)('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
  await api(srv.address)('PUT', 'sys/unseal', { key: init.keys[0] });
  const root = api(srv.address, init.root_token);
  await root('POST', 'sys/mounts/bench', { type: 'bench-lease' });
  await root('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  await root('POST', 'secret/data/probe', { data: { username: 'app', password: 'correct-horse-battery-staple' } });
  return { srv, rootToken: init.root_token, unsealKey: init.keys[0] };
}

/**
 * Registers `n` leases under `path`, REGISTER_PARALLEL at a time; ttl() is asked per lease. Stops
 * early at `deadline` (Unix ms). Returns how many were registered and at what rate.
 */
async function registerMany(
  srv: StartedServer, rootToken: string, path: string, n: number, ttl: () => number, deadline = Infinity,
): Promise<{ count: number; perSecond: number; seconds: number; lastId: string }> {
  const core = srv.core;
  const leases = core.unsealed().leases;
  // Leases read with the root token are indexed under it, as over HTTP.
  const tokenId = (await core.unsealed().tokens.lookup(rootToken))!.id;
  const role = path.split('/').pop()!;
  let next = 0;
  let lastId = '';
  const started = Date.now();
  await Promise.all(Array.from({ length: Math.min(REGISTER_PARALLEL, n) }, async () => {
    while (next < n && Date.now() < deadline) {
      next++;
      const lease = await leases.register({
        path, secret: { type: 'creds', ttl: ttl(), renewable: true, internal: internalFor(role) }, tokenId,
        defaultTTL: core.defaults.defaultLeaseTTL, maxTTL: core.defaults.maxLeaseTTL,
      });
      lastId = lease.id;
    }
  }));
  const seconds = (Date.now() - started) / 1000;
  return { count: next, perSecond: next / seconds, seconds, lastId };
}

/**
 * Event-loop lag: a 10 ms interval timer records how late each tick came (what
 * monitorEventLoopDelay measures), and stop() also counts the gap still open, so a loop blocked for
 * the whole window shows as one long sample rather than none.
 */
function lagSampler(): { stop(): { p50: number; p99: number; max: number; samples: number } } {
  const lags: number[] = [];
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - LAG_INTERVAL_MS));
    last = now;
  }, LAG_INTERVAL_MS);
  return {
    stop() {
      clearInterval(t);
      lags.push(Math.max(0, performance.now() - last - LAG_INTERVAL_MS));
      lags.sort((a, b) => a - b);
      const at = (p: number) => Math.round(lags[Math.min(lags.length - 1, Math.ceil((p / 100) * lags.length) - 1)]! * 10) / 10;
      return { p50: at(50), p99: at(99), max: at(100), samples: lags.length };
    },
  };
}

/** Samples RSS every 100 ms until stopped; returns the peak. */
function rssPeak(): () => number {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 100);
  return () => { clearInterval(t); return Math.max(peak, process.memoryUsage.rss()); };
}

function memory(): { rssMB: number; heapMB: number; buffersMB: number } {
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapMB: mb(m.heapUsed), buffersMB: mb(m.arrayBuffers) };
}

// --- modes -----------------------------------------------------------------------------------

async function expireMode(): Promise<void> {
  const { srv, rootToken } = await bootFresh();
  send({ type: 'ready', address: srv.address, token: rootToken });
  await receive('baseline');
  gc?.();
  const before = memory();
  send({ type: 'baseline', before });
  const go = await receive('register');
  let due: number;
  let registration: Record<string, unknown> = {};
  if (go['http']) {
    // The parent registered them over HTTP (GET bench/creds/mass?ttl=...), due at go.due.
    due = go['due'];
    revoked.count = 0; // the parent's calibration leases, revoked by prefix
  } else {
    // Calibration: the registration rate on this machine now decides how far ahead the expiry goes.
    const calibN = Math.min(10_000, Math.max(1_000, Math.round(N / 50)));
    const calib = await registerMany(srv, rootToken, 'bench/creds/calib', calibN, () => 3600);
    await srv.core.unsealed().leases.revokePrefix('bench/creds/calib/', false);
    revoked.count = 0;
    // The rate drops as the database grows, hence the slack.
    due = Math.ceil((Date.now() + (N / calib.perSecond) * 1000 * SLACK + 10_000) / 1000) * 1000;
    // Every lease's expiry falls in [due, due + 1 s): TTLs are whole seconds. Registration stops 3 s
    // before the due time if it has not finished by then (the parent reports how many made it).
    const reg = await registerMany(srv, rootToken, MASS, N, () => Math.ceil((due - Date.now()) / 1000), due - 3000);
    registration = { calibN, calibPerSecond: calib.perSecond, perSecond: reg.perSecond, seconds: reg.seconds };
  }
  const count = srv.core.unsealed().leases.size();
  const afterRegister = memory();
  gc?.();
  const afterGC = memory();
  // The server reads this snapshot of the index every 10 s for the lease gauges (src/server/start.ts).
  const snapshots: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    srv.core.unsealed().leases.snapshot({ '1h': 3600, '24h': 86_400, '7d': 604_800 });
    snapshots.push(performance.now() - t);
  }
  const snapshotMs = snapshots.sort((a, b) => a - b)[5]!;
  send({ type: 'registered', ...registration, snapshotMs, due, count, afterRegister, afterGC });

  await sleep(Math.max(0, due - Date.now() - 200));
  const lag = lagSampler();
  const peak = rssPeak();
  while (revoked.count < count) await sleep(20);
  const leases = srv.core.unsealed().leases;
  // The last revocations are still deleting their entries: done when storage holds none.
  while ((await leases.list(`${MASS}/`)).length > 0) await sleep(5);
  const doneAt = Date.now();
  const lagStats = lag.stop();
  const peakRss = peak();
  send({
    type: 'result', due, firstRevokeAt: revoked.firstAt, lastRevokeAt: revoked.lastAt, doneAt, revoked: revoked.count,
    lag: lagStats, peakRssMB: mb(peakRss), afterExpiry: memory(), leftInIndex: leases.size(),
  });
  await receive('stop');
  await srv.stop();
}

async function registerMode(): Promise<void> {
  const { srv, rootToken, unsealKey } = await bootFresh();
  const reg = await registerMany(srv, rootToken, MASS, N, () => 3600);
  await srv.stop();
  send({ type: 'result', rootToken, unsealKey, perSecond: reg.perSecond, lastId: reg.lastId });
}

async function restartMode(): Promise<void> {
  const srv = await boot();
  send({ type: 'ready', address: srv.address });
  await receive('unsealing');
  const lag = lagSampler();
  const t0 = Date.now();
  send({ type: 'ack' });
  while (!srv.core.isActive()) await sleep(1);
  const activeAt = Date.now();
  await srv.core.unsealed().leases.restored();
  const restoredAt = Date.now();
  const lagStats = lag.stop();
  const after = memory();
  gc?.();
  send({ type: 'result', t0, activeAt, restoredAt, indexed: srv.core.unsealed().leases.size(), lag: lagStats, after, afterGC: memory() });
  await receive('stop');
  await srv.stop();
}

try {
  if (mode === 'expire') await expireMode();
  else if (mode === 'register') await registerMode();
  else if (mode === 'restart') await restartMode();
  else throw new Error(`unknown mode ${mode}`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`leases-server: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}
