// Durable write throughput of the sqlite backend through the barrier: one writer awaiting each
// put (one fsync per put) versus 32 concurrent writers (group commit: one fsync per batch).
// Run: npx tsc -p tsconfig.json && node dist/bench/storage.js [seconds-per-case]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier } from '../src/core/barrier/barrier.js';
import { createSqliteBackend } from '../src/storage/sqlite.js';

const seconds = Number(process.argv[2] ?? 3);
const value = new TextEncoder().encode(JSON.stringify({ data: { password: randomBytes(24).toString('base64') }, metadata: { version: 1 } }));

async function run(label: string, writers: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-storage-'));
  try {
    const physical = createSqliteBackend({ path: join(dir, 'coffer.db') });
    const barrier = new Barrier(physical);
    const rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    await barrier.unseal(rootKey);
    const start = performance.now();
    const deadline = start + seconds * 1000;
    const before = physical.stats();
    let puts = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; performance.now() < deadline; i++) {
          await barrier.put(`logical/bench/w${w}/k${i % 1000}`, value);
          puts++;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    const after = physical.stats();
    const commits = after.commits - before.commits;
    console.log(
      `${label.padEnd(28)} ${String(Math.round(puts / elapsed)).padStart(7)} puts/s  ` +
        `${String(Math.round(commits / elapsed)).padStart(6)} commits/s  ${(puts / Math.max(commits, 1)).toFixed(1)} puts/commit`,
    );
    barrier.seal();
    await physical.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`sqlite (WAL, synchronous=FULL) through the barrier, ${value.length}-byte values, ${seconds}s per case`);
await run('1 writer (sequential)', 1);
await run('32 concurrent writers', 32);
await run('1 writer (sequential)', 1);
await run('32 concurrent writers', 32);
