// npm run bench: Coffer vs a bare node:http server returning bodies of the same size, each in its
// own process, loaded one after the other by the same autocannon generator in this process.
// Ratios (Coffer ÷ bare) measured in one run are what we compare; absolute numbers drift.
// Arguments filter the cases by name (`npm run bench -- read`). Benchmarks with their own setup run
// alone, by name: `npm run bench -- database` (dynamic PostgreSQL credentials vs raw pg, see
// bench/database.ts) and `npm run bench -- leases` (mass lease expiry, see bench/leases.ts).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startProcess, stop } from './child.js';

const DURATION = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = 32;

const NAMED: Record<string, () => Promise<{ main(): Promise<void> }>> = {
  database: () => import('./database.js'),
  leases: () => import('./leases.js'),
};

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** Per-request unique path suffix (autocannon's [<id>] replacement). */
  unique?: boolean;
}

interface Result { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(url: string, c: Case, headers: Record<string, string>): Promise<Result> {
  const r = await autocannon({
    url, connections: CONNECTIONS, duration: DURATION, method: c.method, headers: { 'Content-Type': 'application/json', ...headers },
    body: c.body, idReplacement: c.unique ?? false,
    requests: [{ method: c.method, path: c.path, body: c.body }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

async function responseSize(address: string, token: string, c: Case): Promise<number> {
  const path = c.path.replace('[<id>]', 'probe');
  const r = await fetch(`${address}${path}`, { method: c.method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, body: c.body?.replace('[<id>]', 'probe') });
  return (await r.arrayBuffer()).byteLength;
}

const CASES: Case[] = [
  { name: 'KV v2 read', method: 'GET', path: '/v1/secret/data/bench' },
  { name: 'KV v2 write (durable)', method: 'POST', path: '/v1/secret/data/w/[<id>]', body: JSON.stringify({ data: { username: 'app', password: 'correct-horse-battery-staple' } }), unique: true },
  { name: 'token create', method: 'POST', path: '/v1/auth/token/create', body: JSON.stringify({ policies: ['default'], ttl: '1h' }) },
  { name: 'token lookup-self', method: 'GET', path: '/v1/auth/token/lookup-self' },
];

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const workDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
  const rows: string[][] = [];
  const summary: Record<string, number> = {};
  try {
    const variants: Array<{ label: string; env: Record<string, string>; cases: Case[] }> = [
      { label: '', env: {}, cases: CASES },
      { label: ' + file audit', env: { BENCH_AUDIT_FILE: join(workDir, 'audit.log') }, cases: [CASES[0]!] },
    ];
    for (const variant of variants) {
      const coffer = await startProcess('coffer-server.js', [], variant.env);
      const token = coffer.info.token as string;
      const sizes: string[] = [];
      for (const c of variant.cases) sizes.push(`${c.method} ${c.path}=${await responseSize(coffer.info.address, token, c)}`);
      const bare = await startProcess('bare-server.js', sizes);
      for (const c of variant.cases) {
        const name = c.name + variant.label;
        if (only.length && !only.some((o) => name.toLowerCase().includes(o.toLowerCase()))) continue;
        const b = await load(bare.info.address, c, {});
        const r = await load(coffer.info.address, c, { 'X-Vault-Token': token });
        const ratio = r.rps / b.rps;
        summary[name] = r.rps;
        rows.push([name, fmt(r.rps), `${r.p50}`, `${r.p99}`, fmt(b.rps), `${b.p50}`, `${b.p99}`, fmt(ratio, 2), `${r.errors + r.non2xx}`]);
        process.stderr.write(`done: ${name}\n`);
      }
      await stop(bare.child);
      await stop(coffer.child);
      if (variant.env['BENCH_AUDIT_FILE']) {
        const size = statSync(variant.env['BENCH_AUDIT_FILE']).size;
        rows.push([`  (audit log written: ${fmt(size / 1e6, 1)} MB)`, '', '', '', '', '', '', '', '']);
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const head = ['case', 'coffer req/s', 'p50 ms', 'p99 ms', 'bare req/s', 'p50 ms', 'p99 ms', 'coffer÷bare', 'failed'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\nCoffer benchmark: ${CONNECTIONS} connections, ${DURATION}s per case, node ${process.version}\n`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  const read = summary['KV v2 read'];
  const audited = summary['KV v2 read + file audit'];
  if (read && audited) console.log(`\ncost of the file audit device on KV v2 reads: with ÷ without = ${fmt(audited / read, 2)}`);
}

const named = NAMED[process.argv[2] ?? ''];
if (named) await (await named()).main();
else await main();
