// Shared by the KV tests: a KV v2 harness on a hand-driven clock, and an error matcher.
import assert from 'node:assert/strict';
import { AppError } from '../../core/errors.js';
import { createHarness, testMount, type Harness } from '../../../test/helpers/backend.js';
import { createKVv2Backend } from './kv-v2.js';
import type { Clock } from './versions.js';

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

/** Asserts that `p` rejects with an AppError of `code` (and, if given, exactly/matching `message`). */
export async function rejects(p: Promise<unknown>, code: string, message?: RegExp | string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

export function record(v: unknown): Record<string, unknown> {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `expected an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}
