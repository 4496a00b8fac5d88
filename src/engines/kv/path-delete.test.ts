import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv2, rejects, record } from '../../../test/helpers/kv.js';

async function threeVersions() {
  const h = await kv2();
  for (let i = 1; i <= 3; i++) await h.call('update', 'data/foo', { data: { n: i } });
  return h;
}

const versionsOf = async (h: Awaited<ReturnType<typeof kv2>>) => record(record((await h.call('read', 'metadata/foo'))?.data).versions);

test('delete/ soft-deletes the listed versions only; undelete/ restores them', async () => {
  const h = await threeVersions();
  assert.equal(await h.call('update', 'delete/foo', { versions: [1, 3] }), undefined);
  assert.equal((await h.call('read', 'data/foo', { version: 1 }))?.statusCode, 404);
  assert.equal((await h.call('read', 'data/foo'))?.statusCode, 404);
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: 2 }))?.data).data, { n: 2 });
  assert.equal(await h.call('update', 'undelete/foo', { versions: '1,3' }), undefined);
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, { n: 3 });
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: 1 }))?.data).data, { n: 1 });
  assert.equal(record((await versionsOf(h))['1']).deletion_time, '');
});

test('versions accepts a list, numeric strings, a comma string or one number', async () => {
  for (const versions of [[2], ['2'], '2', 2, ' 2 , 99 ']) {
    const h = await threeVersions();
    await h.call('update', 'delete/foo', { versions });
    assert.notEqual(record((await versionsOf(h))['2']).deletion_time, '', JSON.stringify(versions));
    assert.equal(record((await versionsOf(h))['1']).deletion_time, '');
  }
});

test('missing or malformed versions are 400s with Vault\'s messages', async () => {
  const h = await threeVersions();
  for (const p of ['delete/foo', 'undelete/foo']) {
    await rejects(h.call('update', p, {}), 'ERR_INVALID_REQUEST', 'No version number provided');
    await rejects(h.call('update', p, { versions: [] }), 'ERR_INVALID_REQUEST', 'No version number provided');
    await rejects(h.call('update', p, { versions: ['x'] }), 'ERR_INVALID_REQUEST', /expected a list of integers/);
    await rejects(h.call('update', p, { versions: [1.5] }), 'ERR_INVALID_REQUEST', /expected a list of integers/);
    await rejects(h.call('update', p, { versions: [{}] }), 'ERR_INVALID_REQUEST', /expected a list of integers/);
    await rejects(h.call('update', p, { versions: ['1e400'] }), 'ERR_INVALID_REQUEST', /expected a list of integers/);
  }
});

test('unknown, negative and huge version numbers are skipped; unknown keys are a no-op', async () => {
  const h = await threeVersions();
  const before = JSON.stringify(await versionsOf(h));
  await h.call('update', 'delete/foo', { versions: [-1, 0, 42, Number.MAX_SAFE_INTEGER] });
  assert.equal(JSON.stringify(await versionsOf(h)), before);
  assert.equal(await h.call('update', 'delete/nope', { versions: [1] }), undefined);
  assert.equal(await h.call('update', 'undelete/nope', { versions: [1] }), undefined);
  await rejects(h.call('read', 'metadata/nope'), 'ERR_NOT_FOUND');
});

test('deleting an already deleted version keeps the first deletion_time', async () => {
  const h = await threeVersions();
  await h.call('update', 'delete/foo', { versions: [2] });
  const first = record((await versionsOf(h))['2']).deletion_time;
  h.clock.advance(60);
  await h.call('update', 'delete/foo', { versions: [2] });
  assert.equal(record((await versionsOf(h))['2']).deletion_time, first);
});

test('undelete does not bring back destroyed versions', async () => {
  const h = await threeVersions();
  await h.call('update', 'destroy/foo', { versions: [2] });
  await h.call('update', 'undelete/foo', { versions: [2] });
  const r = await h.call('read', 'data/foo', { version: 2 });
  assert.equal(r?.statusCode, 404);
  assert.equal(record(record(r?.data).metadata).destroyed, true);
});

test('undelete restarts delete_version_after from now', async () => {
  const h = await kv2();
  await h.call('update', 'config', { delete_version_after: '10m' });
  await h.call('update', 'data/foo', { data: { v: 1 } });
  h.clock.advance(900);
  assert.equal((await h.call('read', 'data/foo'))?.statusCode, 404);
  await h.call('update', 'undelete/foo', { versions: [1] });
  const vm = record((await versionsOf(h))['1']);
  assert.equal(vm.deletion_time, '2024-01-02T03:29:05.123456789Z');
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, { v: 1 });
});

test('delete/ on the bare prefix is Vault\'s root warning; traversal paths are 400s', async () => {
  const h = await threeVersions();
  const r = await h.call('update', 'delete', { versions: [1] });
  assert.equal(r?.statusCode, 404);
  assert.deepEqual(r?.warnings, ['Non-listing operations on the root of a K/V v2 mount are not supported.']);
  await rejects(h.call('update', 'delete/../foo', { versions: [1] }), 'ERR_INVALID_REQUEST', /invalid path/);
});
