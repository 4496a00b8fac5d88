// Metrics cost on this machine: `npx tsc -p tsconfig.json && node dist/src/metrics/observe.bench.js`.
// 1. `observe` (the per-request hook) over a warm set of label tuples, against calling prom-client
//    with a labels object per request, and an empty loop.
// 2. A scrape of sys/metrics' registry on a real in-memory core with N stored tokens: the first
//    scrape walks token storage, later ones within 10 s reuse the count.
// Absolute numbers drift on shared machines.
import { performance } from 'node:perf_hooks';
import { Counter, Histogram, Registry } from 'prom-client';
import { createMemoryBackend } from '../storage/memory.js';
import { createCore } from '../server/core.js';
import { createMetrics, DURATION_BUCKETS, type ObservedRequest } from './metrics.js';

const N = 1_000_000;
const tuples: ObservedRequest[] = [];
for (const [mountType, mountPath] of [['kv', 'secret/'], ['kv', 'apps/'], ['system', 'sys/'], ['token', 'auth/token/'], ['cubbyhole', 'cubbyhole/']] as const) {
  for (const operation of ['read', 'update', 'list', 'delete']) tuples.push({ mountType, mountPath, operation, status: 200, seconds: 0.0007 });
}
tuples.push({ mountType: 'kv', mountPath: 'secret/', operation: 'read', status: 404, seconds: 0.0004 });

function time(label: string, fn: (i: number) => void): number {
  for (let i = 0; i < 100_000; i++) fn(i); // warm up
  const gcBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  const ns = ((performance.now() - t0) * 1e6) / N;
  const heap = (process.memoryUsage().heapUsed - gcBefore) / 1024 / 1024;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/call   heap Δ ${heap.toFixed(1)} MiB (GC may run)`);
  return ns;
}

let sink = 0;
time('empty loop (baseline)', (i) => { sink += tuples[i % tuples.length]!.status; });

const metrics = createMetrics();
const cached = time('observe (cached label children)', (i) => metrics.observe(tuples[i % tuples.length]!));

const registry = new Registry();
const counter = new Counter({ name: 'c_total', help: 'h', labelNames: ['mount_type', 'mount', 'operation', 'status'], registers: [registry] });
const hist = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['mount_type', 'operation'], buckets: [...DURATION_BUCKETS], registers: [registry] });
const naive = time('prom-client with a labels object per request', (i) => {
  const t = tuples[i % tuples.length]!;
  counter.inc({ mount_type: t.mountType, mount: t.mountPath, operation: t.operation, status: String(t.status) });
  hist.observe({ mount_type: t.mountType, operation: t.operation }, t.seconds);
});
const children = tuples.map((t) => ({
  c: counter.labels(t.mountType, t.mountPath, t.operation, String(t.status)),
  h: hist.labels(t.mountType, t.operation),
}));
time('prom-client pre-bound children', (i) => {
  const c = children[i % children.length]!;
  c.c.inc();
  c.h.observe(tuples[i % tuples.length]!.seconds);
});
console.log(`observe is ${(naive / cached).toFixed(1)}x cheaper than the naive call (sink ${sink > 0})`);

async function scrapeCost(tokens: number): Promise<void> {
  const core = createCore({ physical: createMemoryBackend() });
  const m = createMetrics();
  m.bind(core);
  await core.initializeDev();
  const store = core.unsealed().tokens;
  for (let i = 0; i < tokens; i++) await store.create({ policies: ['default'] });
  for (const t of tuples) m.observe(t);
  let t0 = performance.now();
  const text = await m.prometheus();
  const cold = performance.now() - t0;
  const runs = 50;
  t0 = performance.now();
  for (let i = 0; i < runs; i++) await m.prometheus();
  const warm = (performance.now() - t0) / runs;
  t0 = performance.now();
  for (let i = 0; i < runs; i++) await m.registry.metrics();
  const own = (performance.now() - t0) / runs;
  t0 = performance.now();
  await store.listAccessors();
  const walk = performance.now() - t0;
  console.log(`scrape, ${String(tokens + 1).padStart(6)} stored tokens: first ${cold.toFixed(1)} ms (token walk alone ${walk.toFixed(1)} ms), cached ${warm.toFixed(2)} ms (own registry alone ${own.toFixed(2)} ms), ${(text.length / 1024).toFixed(1)} KiB`);
  await core.close();
}

for (const n of [0, 1_000, 10_000]) await scrapeCost(n);
