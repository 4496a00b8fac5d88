import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStorageConformance } from './conformance.js';
import { createSqliteBackend } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(dir, `db-${++counter}`, 'coffer.db');

runStorageConformance('sqlite', async () => createSqliteBackend({ path: freshPath() }));

describe('sqlite backend', () => {
  it('keeps data across close and reopen', async () => {
    const path = freshPath();
    const first = createSqliteBackend({ path });
    await first.put('persist/a', new Uint8Array([1, 2, 3]));
    await first.transaction([{ type: 'put', key: 'persist/b/c', value: new Uint8Array([4]) }]);
    await first.close();
    const second = createSqliteBackend({ path });
    assert.deepEqual(await second.get('persist/a'), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await second.list('persist/'), ['a', 'b/']);
    await second.close();
  });

  it('close writes a batch that is still queued', async () => {
    const path = freshPath();
    const first = createSqliteBackend({ path });
    const pending = first.put('queued', new Uint8Array([9]));
    await first.close();
    await pending;
    const second = createSqliteBackend({ path });
    assert.deepEqual(await second.get('queued'), new Uint8Array([9]));
    await second.close();
  });

  it('commits writes issued in one event-loop turn as one transaction', async () => {
    const store = createSqliteBackend({ path: freshPath() });
    const before = store.stats();
    await Promise.all(Array.from({ length: 32 }, (_, i) => store.put(`gc/${i}`, new Uint8Array([i]))));
    const after = store.stats();
    assert.equal(after.writes - before.writes, 32);
    assert.equal(after.commits - before.commits, 1);
    assert.equal((await store.list('gc/')).length, 32);
    await store.close();
  });

  it('rejects calls after close', async () => {
    const store = createSqliteBackend({ path: freshPath() });
    await store.close();
    await assert.rejects(store.put('x', new Uint8Array(1)));
    await assert.rejects(store.get('x'));
  });
});
