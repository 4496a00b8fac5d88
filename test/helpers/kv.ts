// Shared by the KV tests: a KV v2 harness on a hand-driven clock, and an error matcher.
import assert from 'node:assert/strict';
import { createHarness, testMount, type Harness } from './backend.js';
export { rejectsWithCode as rejects } from './backend.js';
import { createKVv2Backend } from '../../src/engines/kv/kv-v2.js';
import type { Clock } from '../../src/engines/kv/versions.js';

export interface FakeClock extends Clock {
  /** Moves time forward by whole seconds. */
  advance(seconds: number): void;
}

/** 2024-01-02T03:04:05.123456789Z, then only moves when told to. */
export function fakeClock(): FakeClock {
  let ns = BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n + 123_456_789n;
  return {
    nowNs: () => ns,
    advance(seconds) { ns += BigInt(seconds) * 1_000_000_000n; },
  };
}

export async function kv2(clock: FakeClock = fakeClock()): Promise<Harness & { clock: FakeClock }> {
  const h = await createHarness((config) => createKVv2Backend(config, { clock }), testMount('secret/', 'kv', { version: '2' }));
  return { ...h, clock };
}


export function record(v: unknown): Record<string, unknown> {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `expected an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}
