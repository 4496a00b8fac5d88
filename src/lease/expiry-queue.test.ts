import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpiryQueue } from './expiry-queue.js';

test('pops ids in time order and only when due', () => {
  const q = new ExpiryQueue();
  const times = [50, 10, 40, 30, 20, 60, 5];
  times.forEach((t, i) => q.set(`l${i}`, t));
  assert.equal(q.size, 7);
  assert.equal(q.popDue(4), undefined);
  const out: number[] = [];
  let id: string | undefined;
  while ((id = q.popDue(100)) !== undefined) out.push(times[Number(id.slice(1))]!);
  assert.deepEqual(out, [...times].sort((a, b) => a - b));
  assert.equal(q.size, 0);
});

test('rescheduling moves an id; deleting drops it; stale heap records are skipped', () => {
  const q = new ExpiryQueue();
  q.set('a', 10);
  q.set('b', 20);
  q.set('a', 30); // renewed
  q.delete('b'); // revoked
  assert.equal(q.peekTime(), 30);
  assert.equal(q.popDue(25), undefined);
  assert.equal(q.popDue(30), 'a');
  assert.equal(q.popDue(1e9), undefined);
});

test('many reschedules keep the heap bounded and correct', () => {
  const q = new ExpiryQueue();
  for (let round = 0; round < 50; round++) for (let i = 0; i < 100; i++) q.set(`l${i}`, round * 1000 + i);
  assert.equal(q.size, 100);
  let last = -1;
  let n = 0;
  let id: string | undefined;
  while ((id = q.popDue(1e12)) !== undefined) {
    const t = 49 * 1000 + Number(id.slice(1));
    assert.ok(t > last);
    last = t;
    n++;
  }
  assert.equal(n, 100);
});

test('counts live ids per group (the id up to its last slash) through set, reschedule, delete, pop and clear', () => {
  const q = new ExpiryQueue();
  q.set('db/creds/ro/a', 10);
  q.set('db/creds/ro/b', 20);
  q.set('db/creds/rw/c', 30);
  q.set('auth/token/create/t', 40);
  q.set('db/creds/ro/a', 50); // rescheduled: still one
  assert.deepEqual([...q.groupCounts()].sort(), [['auth/token/create/', 1], ['db/creds/ro/', 2], ['db/creds/rw/', 1]]);
  q.delete('db/creds/rw/c');
  q.delete('db/creds/rw/c'); // already gone: no change
  assert.equal(q.popDue(20), 'db/creds/ro/b');
  assert.deepEqual([...q.groupCounts()].sort(), [['auth/token/create/', 1], ['db/creds/ro/', 1]]);
  assert.deepEqual([...q.times()].sort((a, b) => a - b), [40, 50]);
  q.clear();
  assert.equal(q.groupCounts().size, 0);
});
