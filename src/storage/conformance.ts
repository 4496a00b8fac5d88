// The behaviour every StorageBackend must have. Each backend's test file calls
// runStorageConformance with a factory that returns a fresh, empty backend.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StorageBackend, StorageOp } from './backend.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

export function runStorageConformance(name: string, make: () => Promise<StorageBackend>): void {
  describe(`storage conformance: ${name}`, () => {
    let store: StorageBackend;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    it('gets what was put, undefined for a missing key', async () => {
      assert.equal(await store.get('missing'), undefined);
      await store.put('a', bytes('one'));
      assert.equal(text(await store.get('a')), 'one');
      assert.ok((await store.get('a')) instanceof Uint8Array);
    });

    it('overwrites, deletes, and deleting a missing key is fine', async () => {
      await store.put('k', bytes('v1'));
      await store.put('k', bytes('v2'));
      assert.equal(text(await store.get('k')), 'v2');
      await store.delete('k');
      assert.equal(await store.get('k'), undefined);
      await store.delete('k');
      await store.delete('never-existed');
    });

    it('stores empty and binary values exactly', async () => {
      await store.put('empty', new Uint8Array(0));
      assert.deepEqual(await store.get('empty'), new Uint8Array(0));
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.put('bin', all);
      assert.deepEqual(new Uint8Array(await store.get('bin') ?? []), all);
    });

    it('does not alias the caller buffer', async () => {
      const value = bytes('original');
      const put = store.put('alias', value);
      value.fill(0);
      await put;
      assert.equal(text(await store.get('alias')), 'original');
      const got = await store.get('alias');
      got!.fill(0);
      assert.equal(text(await store.get('alias')), 'original');
    });

    it('rejects empty keys and keys containing NUL', async () => {
      await assert.rejects(store.put('', bytes('x')));
      await assert.rejects(store.put('a\0b', bytes('x')));
      await assert.rejects(store.get(''));
      await assert.rejects(store.transaction([{ type: 'put', key: 'ok', value: bytes('x') }, { type: 'delete', key: '' }]));
      assert.equal(await store.get('ok'), undefined);
    });

    it('lists one level: leaves and folders once, sorted, without the prefix', async () => {
      for (const key of ['foo', 'foo/bar', 'foo/baz/qux', 'foo/baz/quux', 'foo-x', 'zeta', 'alpha/1', 'alpha/2', 'b']) {
        await store.put(key, bytes(key));
      }
      assert.deepEqual(await store.list(''), ['alpha/', 'b', 'foo', 'foo-x', 'foo/', 'zeta']);
      assert.deepEqual(await store.list('foo/'), ['bar', 'baz/']);
      assert.deepEqual(await store.list('foo/baz/'), ['quux', 'qux']);
      assert.deepEqual(await store.list('nothing/'), []);
      assert.deepEqual(await store.list('fo'), ['o', 'o-x', 'o/']);
    });

    it('lists an empty store and a deleted folder as empty', async () => {
      assert.deepEqual(await store.list(''), []);
      await store.put('dir/a', bytes('1'));
      await store.delete('dir/a');
      assert.deepEqual(await store.list(''), []);
      assert.deepEqual(await store.list('dir/'), []);
    });

    it('lists many folders and deep nesting', async () => {
      const ops: StorageOp[] = [];
      for (let i = 0; i < 50; i++) {
        for (let j = 0; j < 5; j++) ops.push({ type: 'put', key: `deep/f${String(i).padStart(2, '0')}/x/y${j}`, value: bytes('v') });
      }
      ops.push({ type: 'put', key: 'deep/leaf', value: bytes('v') });
      await store.transaction(ops);
      const names = await store.list('deep/');
      assert.equal(names.length, 51);
      assert.equal(names[0], 'f00/');
      assert.equal(names[49], 'f49/');
      assert.equal(names[50], 'leaf');
      assert.deepEqual(await store.list('deep/f07/'), ['x/']);
      assert.deepEqual(await store.list('deep/f07/x/'), ['y0', 'y1', 'y2', 'y3', 'y4']);
    });

    it("treats '%', '_' and other unusual characters literally", async () => {
      const keys = ['p%/a', 'p_/b', 'pa/c', 'px/d', 'sp ace/e', 'quo"te\'/f', 'back\\slash/g', 'ünï/h', '😀/i', '\uffff/j', 'dot./k'];
      for (const key of keys) await store.put(key, bytes(key));
      assert.deepEqual(await store.list('p%/'), ['a']);
      assert.deepEqual(await store.list('p_/'), ['b']);
      for (const key of keys) {
        const slash = key.indexOf('/');
        assert.deepEqual(await store.list(key.slice(0, slash + 1)), [key.slice(slash + 1)], key);
        assert.equal(text(await store.get(key)), key);
      }
      // Code-point order: U+FFFF sorts before U+1F600 even though its UTF-16 unit is larger.
      const top = await store.list('');
      assert.deepEqual(top.slice(-3), ['ünï/', '\uffff/', '😀/']);
    });

    it('applies a transaction atomically', async () => {
      await store.put('t/keep', bytes('old'));
      await store.put('t/gone', bytes('x'));
      await store.transaction([
        { type: 'put', key: 't/keep', value: bytes('new') },
        { type: 'put', key: 't/added', value: bytes('y') },
        { type: 'delete', key: 't/gone' },
      ]);
      assert.equal(text(await store.get('t/keep')), 'new');
      assert.equal(text(await store.get('t/added')), 'y');
      assert.equal(await store.get('t/gone'), undefined);
      await store.transaction([]);
    });

    it('rolls back every op of a transaction when one fails', async () => {
      await store.put('r/a', bytes('before'));
      const bad = { type: 'put', key: 'r/c', value: 'not bytes' } as unknown as StorageOp;
      await assert.rejects(
        store.transaction([{ type: 'put', key: 'r/a', value: bytes('after') }, { type: 'delete', key: 'r/a' }, { type: 'put', key: 'r/b', value: bytes('b') }, bad]),
      );
      assert.equal(text(await store.get('r/a')), 'before');
      assert.equal(await store.get('r/b'), undefined);
      assert.deepEqual(await store.list('r/'), ['a']);
    });

    it('a failing writer does not affect concurrent writers', async () => {
      const bad = { type: 'put', key: 'c/bad', value: 42 } as unknown as StorageOp;
      const results = await Promise.allSettled([
        store.put('c/one', bytes('1')),
        store.transaction([{ type: 'put', key: 'c/two', value: bytes('2') }, bad]),
        store.transaction([{ type: 'put', key: 'c/three', value: bytes('3') }]),
        store.delete('c/none'),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.deepEqual(await store.list('c/'), ['one', 'three']);
    });

    it('handles many parallel puts', async () => {
      const n = 500;
      await Promise.all(Array.from({ length: n }, (_, i) => store.put(`par/${String(i).padStart(4, '0')}`, bytes(String(i)))));
      const names = await store.list('par/');
      assert.equal(names.length, n);
      for (let i = 0; i < n; i += 97) assert.equal(text(await store.get(`par/${String(i).padStart(4, '0')}`)), String(i));
      // Same key written concurrently: the last call issued wins.
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('par-same', bytes(String(i)))));
      assert.equal(text(await store.get('par-same')), '19');
    });

    it('reads see a write once its promise resolved', async () => {
      for (let i = 0; i < 20; i++) {
        await store.put('rw', bytes(String(i)));
        assert.equal(text(await store.get('rw')), String(i));
      }
    });

    it('stores large values (32 MiB)', async () => {
      const big = new Uint8Array(32 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
      big[big.length - 1] = 0x7f;
      await store.put('big', big);
      const got = await store.get('big');
      assert.equal(got?.length, big.length);
      assert.ok(Buffer.from(got!).equals(Buffer.from(big)));
    });
  });
}
