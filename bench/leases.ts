// Mass lease expiry: 100,000 leases (BENCH_LEASES) on one Coffer server, all falling due within the
// same second, on SQLite storage (synchronous=FULL, as in production), revoked by a no-op engine, so
// what is measured is the expiration manager and its storage. Reports:
//   - registration: by default over HTTP (GET bench/creds/mass?ttl=<seconds to the due time>, 32
//     connections, from this process); BENCH_REGISTER=direct calls the expiration manager's
//     register() in the server's process instead (same entries, same durable writes, about twice as
//     fast: the way to a million) after a sample of BENCH_HTTP_SAMPLE (default 5,000) reads over
//     HTTP. The server's RSS after registering (target < 300 MB for 100k), and the cost of the
//     index snapshot the server takes every 10 s for its lease gauges;
//   - from the first expiry until every lease is revoked and its entry deleted: duration, the
//     server's event-loop lag (a 10 ms interval timer, lag = how late each tick came, as
//     monitorEventLoopDelay measures it; target p99 < 50 ms), peak RSS, and the latency of a KV read
//     sent every 10 ms, next to the same reads before the window;
//   - a restart with BENCH_RESTART_LEASES (default min(BENCH_LEASES, 100,000)) leases stored
//     (registered directly): time from the unseal request until a lease lookup is served and until
//     the expiry index is rebuilt.
// Leases fall due BENCH_REGISTER_SLACK (default 2.5 at 100k, 3.5 at 1M) times the calibrated
// registration time ahead, so that registration ends before they do. The server runs in its own
// process (bench/leases-server.ts).
//
//   npm run bench -- leases                                                  (about 2 minutes)
//   BENCH_LEASES=1000000 BENCH_REGISTER=direct BENCH_RESTART=0 npm run bench -- leases   (about 8)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const here = new URL('.', import.meta.url).pathname;
const N = Number(process.env['BENCH_LEASES'] ?? 100_000);
const HTTP_SAMPLE = Number(process.env['BENCH_HTTP_SAMPLE'] ?? 5_000);
const HTTP = (process.env['BENCH_REGISTER'] ?? 'http') === 'http';
/**
 * How far ahead of the calibrated registration time the leases fall due: registering slows as the
 * database grows (100k: about half the calibrated rate; 1M: less again).
 */
const SLACK = Number(process.env['BENCH_REGISTER_SLACK'] ?? 2.5 + Math.max(0, Math.log10(N / 100_000)));
const RESTART = process.env['BENCH_RESTART'] !== '0';
const RESTART_N = Number(process.env['BENCH_RESTART_LEASES'] ?? Math.min(N, 100_000));
const PROBE_EVERY_MS = 10;

interface Child {
  child: ChildProcess;
  next(type: string): Promise<Record<string, any>>;
  send(msg: Record<string, unknown>): void;
  exited: Promise<number | null>;
}

function startChild(args: string[]): Child {
  const child = fork(join(here, 'leases-server.js'), args, {
    execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, BENCH_REGISTER_SLACK: String(SLACK) },
  });
  const inbox: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { exitCode = code; resolve(code); for (const w of waiters.splice(0)) w(); }));
  child.on('message', (m: Record<string, any>) => { inbox.push(m); for (const w of waiters.splice(0)) w(); });
  return {
    child, exited,
    send: (msg) => child.send(msg),
    async next(type) {
      for (;;) {
        const i = inbox.findIndex((m) => m['type'] === type);
        if (i >= 0) return inbox.splice(i, 1)[0]!;
        if (exitCode !== undefined) throw new Error(`leases-server ${args[0]} exited (${exitCode}) before sending "${type}"`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}

function api(address: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${address}/v1/${path}`, {
      method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function latencySummary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${fmt(percentile(s, 50), 1)} / p99 ${fmt(percentile(s, 99), 1)} / max ${fmt(s.at(-1) ?? NaN, 1)} ms (${s.length} reads)`;
}

/** Sends one KV read every PROBE_EVERY_MS (one at a time) until stopped; records send time and latency. */
function startProbe(address: string, token: string): { stop(): Promise<Array<{ at: number; ms: number }>> } {
  const samples: Array<{ at: number; ms: number }> = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const at = Date.now();
      const t = performance.now();
      const r = await fetch(`${address}/v1/secret/data/probe`, { headers: { 'X-Vault-Token': token } });
      await r.arrayBuffer();
      const ms = performance.now() - t;
      if (r.status !== 200) throw new Error(`probe read failed: ${r.status}`);
      samples.push({ at, ms });
      await sleep(Math.max(0, PROBE_EVERY_MS - ms));
    }
  })();
  return { async stop() { running = false; await done; return samples; } };
}

const lines: string[] = [];
const out = (label: string, value: string) => lines.push(`  ${label.padEnd(56)}  ${value}`);
const section = (title: string) => lines.push('', title);
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');

/**
 * Runs `count` leased reads of `path()` over HTTP on 32 connections, stopping early at `deadline`
 * (Unix ms); resolves with the successful reads and the wall time.
 */
function httpLoad(address: string, token: string, count: number, path: () => string, deadline = Infinity): Promise<{ ok: number; failed: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const instance = autocannon({
      url: address, connections: 32, amount: count, headers: { 'X-Vault-Token': token },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/${path()}` }) }],
    }, (err, r) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve({ ok: r['2xx'], failed: r.non2xx + r.errors, seconds: (performance.now() - started) / 1000 });
    });
    if (deadline < Infinity) timer = setTimeout(() => instance.stop(), Math.max(0, deadline - Date.now()));
  });
}

async function massExpiry(dir: string): Promise<void> {
  const c = startChild(['expire', join(dir, 'expire.db'), String(N)]);
  const ready = await c.next('ready');
  const root = api(ready.address, ready.token);
  c.send({ type: 'baseline' });
  const { before } = await c.next('baseline');

  let sample: { rate: number; prefixSeconds: number } | undefined;
  let reg: Record<string, any>;
  if (HTTP) {
    // Calibrate, then every lease through GET bench/creds/mass?ttl=<seconds until the due time>.
    // autocannon's own start and finish cost about a second, hence no fewer than 5,000.
    const calibN = Math.min(10_000, Math.max(5_000, Math.round(N / 50)));
    await httpLoad(ready.address, ready.token, 1_000, () => 'bench/creds/calib?ttl=3600'); // warm-up
    const calib = await httpLoad(ready.address, ready.token, calibN, () => 'bench/creds/calib?ttl=3600');
    await root('PUT', 'sys/leases/revoke-prefix/bench/creds/calib', {});
    const due = Math.ceil((Date.now() + (N / (calib.ok / calib.seconds)) * 1000 * SLACK + 10_000) / 1000) * 1000;
    const r = await httpLoad(ready.address, ready.token, N, () => `bench/creds/mass?ttl=${Math.ceil((due - Date.now()) / 1000)}`, due - 3000);
    if (r.failed > 0) throw new Error(`registration over HTTP: ${r.failed} reads failed`);
    c.send({ type: 'register', http: true, due });
    reg = { ...(await c.next('registered')), calibN, calibPerSecond: calib.ok / calib.seconds, perSecond: r.ok / r.seconds, seconds: r.seconds };
  } else {
    // A sample of what registering through the API costs (one read = one lease), then the rest directly.
    if (HTTP_SAMPLE > 0) {
      const r = await httpLoad(ready.address, ready.token, HTTP_SAMPLE, () => 'bench/creds/http?ttl=3600');
      if (r.failed > 0) throw new Error(`HTTP sample: ${r.failed} reads failed`);
      const t = performance.now();
      const revoked = await root('PUT', 'sys/leases/revoke-prefix/bench/creds/http', {});
      if (revoked.status !== 204) throw new Error(`revoke-prefix: ${revoked.status} ${JSON.stringify(revoked.body)}`);
      sample = { rate: r.ok / r.seconds, prefixSeconds: (performance.now() - t) / 1000 };
    }
    c.send({ type: 'register', http: false });
    reg = await c.next('registered');
  }
  process.stderr.write(`leases: ${fmt(reg.count)} registered in ${fmt(reg.seconds, 1)} s; due in ${fmt((reg.due - Date.now()) / 1000, 1)} s\n`);
  const probe = startProbe(ready.address, ready.token);
  const probeFrom = Date.now();
  const res = await c.next('result');
  const samples = await probe.stop();
  c.send({ type: 'stop' });
  await c.exited;

  const baseline = samples.filter((s) => s.at >= probeFrom && s.at < reg.due - 100).map((s) => s.ms);
  const during = samples.filter((s) => s.at >= res.due && s.at <= res.doneAt).map((s) => s.ms);
  const seconds = (res.doneAt - res.firstRevokeAt) / 1000;

  section(`registration (${fmt(N)} leases, server process on SQLite)`);
  const how = HTTP ? 'over HTTP: GET bench/creds/mass?ttl=..., 32 connections' : 'directly: expiration manager register(), 256 at once';
  out(how, `${fmt(reg.perSecond)} leases/s  (${fmt(reg.seconds, 1)} s; a first ${fmt(reg.calibN)} ran at ${fmt(reg.calibPerSecond)}/s)`);
  if (sample) {
    out(`  for comparison, ${fmt(HTTP_SAMPLE)} over HTTP (32 connections)`, `${fmt(sample.rate)} leases/s  (${fmt(N)} would take ${fmt(N / sample.rate)} s)`);
    out(`  revoke-prefix of those ${fmt(HTTP_SAMPLE)} (sys/leases/revoke-prefix)`, `${fmt(sample.prefixSeconds, 2)} s  (${fmt(HTTP_SAMPLE / sample.prefixSeconds)} leases/s)`);
  }
  out('RSS before registering / after / after a full GC', `${fmt(before.rssMB)} / ${fmt(reg.afterRegister.rssMB)} / ${fmt(reg.afterGC.rssMB)} MB  (target < 300 MB at 100k: ${N <= 100_000 ? verdict(reg.afterRegister.rssMB < 300) : 'n/a'})`);
  out('after a full GC: JS heap used / buffers', `${fmt(reg.afterGC.heapMB)} / ${fmt(reg.afterGC.buffersMB)} MB`);
  out('leases in the expiry index', fmt(reg.count));
  out('index snapshot for the lease gauges (every 10 s), median of 11', `${fmt(reg.snapshotMs, 1)} ms`);
  if (reg.count < N) out('WARNING', `only ${fmt(reg.count)} registered before the due time (busy machine? raise BENCH_REGISTER_SLACK)`);

  section(`mass expiry (${fmt(reg.count)} leases due within one second)`);
  out('first revocation (expiry times spread over the due second)', `${fmt(res.firstRevokeAt - res.due)} ms into that second`);
  out('all revoked and their entries deleted', `${fmt(seconds, 2)} s after the first revocation (${fmt(res.revoked / seconds)} leases/s)`);
  out('event-loop lag during the window p50 / p99 / max', `${fmt(res.lag.p50, 1)} / ${fmt(res.lag.p99, 1)} / ${fmt(res.lag.max, 1)} ms  (target p99 < 50 ms: ${verdict(res.lag.p99 < 50)})`);
  out('peak RSS during the window / RSS after', `${fmt(res.peakRssMB)} / ${fmt(res.afterExpiry.rssMB)} MB`);
  out('KV read every 10 ms, before the due time', latencySummary(baseline));
  out('KV read every 10 ms, during the window', latencySummary(during));
  out('revocations counted / left in the index', `${fmt(res.revoked)} / ${fmt(res.leftInIndex)}`);
}

async function restart(dir: string): Promise<void> {
  const path = join(dir, 'restart.db');
  const r = startChild(['register', path, String(RESTART_N)]);
  const reg = await r.next('result');
  await r.exited;
  process.stderr.write(`leases: ${fmt(RESTART_N)} registered for the restart case\n`);

  const c = startChild(['restart', path, String(RESTART_N)]);
  const ready = await c.next('ready');
  c.send({ type: 'unsealing' });
  await c.next('ack');
  const t0 = Date.now();
  const unseal = await api(ready.address, '')('PUT', 'sys/unseal', { key: reg.unsealKey });
  const unsealedAt = Date.now();
  if (unseal.status !== 200 || unseal.body.sealed) throw new Error(`unseal: ${unseal.status} ${JSON.stringify(unseal.body)}`);
  const root = api(ready.address, reg.rootToken);
  let servedAt = 0;
  for (;;) {
    const l = await root('PUT', 'sys/leases/lookup', { lease_id: reg.lastId });
    if (l.status === 200) { servedAt = Date.now(); break; }
    if (Date.now() - t0 > 60_000) throw new Error(`lease lookup after restart: ${l.status} ${JSON.stringify(l.body)}`);
  }
  const res = await c.next('result');
  c.send({ type: 'stop' });
  await c.exited;

  section(`restart with ${fmt(RESTART_N)} leases stored (registered at ${fmt(reg.perSecond)} leases/s)`);
  out('unseal request answered', `${fmt(unsealedAt - t0)} ms`);
  out('first lease lookup served', `${fmt(servedAt - t0)} ms after the unseal request`);
  out('expiry index rebuilt (in the background)', `${fmt(res.restoredAt - t0)} ms after the unseal request (${fmt(res.indexed)} leases)`);
  out('event-loop lag until rebuilt p50 / p99 / max', `${fmt(res.lag.p50, 1)} / ${fmt(res.lag.p99, 1)} / ${fmt(res.lag.max, 1)} ms`);
  out('RSS after the rebuild / after a full GC', `${fmt(res.after.rssMB)} / ${fmt(res.afterGC.rssMB)} MB`);
  out('after a full GC: JS heap used / buffers', `${fmt(res.afterGC.heapMB)} / ${fmt(res.afterGC.buffersMB)} MB`);
}

export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-leases-'));
  try {
    await massExpiry(dir);
    if (RESTART && RESTART_N > 0) await restart(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nCoffer lease benchmark: node ${process.version}, ${cpus().length} CPUs, SQLite storage (synchronous=FULL), no-op revoke engine`);
  for (const l of lines) console.log(l);
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
