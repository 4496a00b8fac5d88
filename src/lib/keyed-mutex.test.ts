import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyedMutex } from './keyed-mutex.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('calls for one key never overlap and run in arrival order', async () => {
  const m = createKeyedMutex();
  let inside = 0;
  let maxInside = 0;
  const order: number[] = [];
  await Promise.all(Array.from({ length: 20 }, (_, i) => m.run('k', async () => {
    inside++;
    maxInside = Math.max(maxInside, inside);
    await tick();
    order.push(i);
    inside--;
  })));
  assert.equal(maxInside, 1);
  assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(m.size, 0);
});

test('different keys do not wait for each other', async () => {
  const m = createKeyedMutex();
  let releaseA!: () => void;
  const a = m.run('a', () => new Promise<string>((resolve) => { releaseA = () => resolve('a'); }));
  const b = await m.run('b', () => 'b');
  assert.equal(b, 'b');
  assert.equal(m.size, 1);
  releaseA();
  assert.equal(await a, 'a');
  assert.equal(m.size, 0);
});

test('an error releases the lock and reaches the caller; later callers still run', async () => {
  const m = createKeyedMutex();
  const failing = m.run('k', async () => { await tick(); throw new Error('boom'); });
  const next = m.run('k', () => 42);
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 42);
  assert.equal(m.size, 0);
});

test('a read-modify-write counter under the lock loses no update', async () => {
  const m = createKeyedMutex();
  let counter = 0;
  await Promise.all(Array.from({ length: 100 }, () => m.run('c', async () => {
    const seen = counter;
    await tick();
    counter = seen + 1;
  })));
  assert.equal(counter, 100);
});

test('shared holders overlap, exclusive holders wait, waiters are served in order', async () => {
  {
    const m = createKeyedMutex();
    const events: string[] = [];
    let releaseShared!: () => void;
    const gate = new Promise<void>((r) => { releaseShared = r; });
    const a = m.runShared('k', async () => { events.push('a+'); await gate; events.push('a-'); });
    const b = m.runShared('k', async () => { events.push('b+'); await gate; events.push('b-'); });
    const w = m.run('k', async () => { events.push('w'); });
    const c = m.runShared('k', async () => { events.push('c'); });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['a+', 'b+']);
    releaseShared();
    await Promise.all([a, b, w, c]);
    assert.deepEqual(events.slice(2, 4).sort(), ['a-', 'b-']);
    assert.deepEqual(events.slice(4), ['w', 'c']);
    assert.equal(m.size, 0);
  }
});
