import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from '../../framework/types.js';
import { createHarness, rejectsWithCode as rejects, testMount, testToken } from '../../../test/helpers/backend.js';
import { cubbyholeFactory, destroyCubbyhole } from './index.js';

const alice = testToken({ cubbyholeId: 'cubby-alice', id: 'alice' });
const bob = testToken({ cubbyholeId: 'cubby-bob', id: 'bob' });
const harness = () => createHarness(cubbyholeFactory, testMount('cubbyhole/', 'cubbyhole'));


test('a token reads back what it wrote; reads carry no lease', async () => {
  const h = await harness();
  assert.equal(await h.call('update', 'secret', { a: 'b' }, alice), undefined);
  const r = await h.call('read', 'secret', {}, alice);
  assert.deepEqual(r?.data, { a: 'b' });
  assert.equal(r?.leaseDuration, undefined);
  assert.equal(r?.secret, undefined);
});

test('tokens cannot see each other\'s entries', async () => {
  const h = await harness();
  await h.call('update', 'secret', { owner: 'alice' }, alice);
  await rejects(h.call('read', 'secret', {}, bob), 'ERR_NOT_FOUND', '');
  await rejects(h.call('list', '', {}, bob), 'ERR_NOT_FOUND');
  await h.call('update', 'secret', { owner: 'bob' }, bob);
  assert.deepEqual((await h.call('read', 'secret', {}, alice))?.data, { owner: 'alice' });
  await h.call('delete', 'secret', {}, bob);
  assert.deepEqual((await h.call('read', 'secret', {}, alice))?.data, { owner: 'alice' });
});

test('a request without a token is permission denied; batch tokens have no cubbyhole', async () => {
  const h = await harness();
  const req: Request = {
    id: 'r', operation: 'read', path: 'x', fullPath: 'cubbyhole/x', mount: h.mount, data: {}, storage: h.storage,
    clientToken: '', remoteAddress: '', headers: {}, wrapTTL: 0,
  };
  await rejects(h.backend.handleRequest(req), 'ERR_PERMISSION_DENIED', 'permission denied');
  await rejects(h.backend.handleRequest({ ...req, operation: 'update', data: { a: 1 } }), 'ERR_PERMISSION_DENIED');
  await rejects(h.call('update', 'x', { a: 1 }, testToken({ type: 'batch', cubbyholeId: '' })), 'ERR_INVALID_REQUEST', /service/);
  await rejects(h.call('read', 'x', {}, testToken({ cubbyholeId: '' })), 'ERR_PERMISSION_DENIED');
  assert.equal(h.storage.map.size, 0);
});

test('list is one level and 404 when empty; the existence check sees only the caller\'s entries', async () => {
  const h = await harness();
  await h.call('update', 'a', { v: 1 }, alice);
  await h.call('update', 'dir/b', { v: 1 }, alice);
  assert.deepEqual((await h.call('list', '', {}, alice))?.data, { keys: ['a', 'dir/'] });
  assert.deepEqual((await h.call('list', 'dir', {}, alice))?.data, { keys: ['b'] });
  const req = (token = alice): Request => ({
    id: 'r', operation: 'create', path: 'a', fullPath: 'cubbyhole/a', mount: h.mount, data: { v: 2 }, storage: h.storage,
    clientToken: '', token, remoteAddress: '', headers: {}, wrapTTL: 0,
  });
  assert.equal(await h.backend.existenceCheck(req()), true);
  assert.equal(await h.backend.existenceCheck(req(bob)), false);
});

test('bad input: empty body, missing path, folder path, traversal', async () => {
  const h = await harness();
  await rejects(h.call('update', 'x', {}, alice), 'ERR_INVALID_REQUEST', 'missing data fields');
  await rejects(h.call('update', '', { a: 1 }, alice), 'ERR_INVALID_REQUEST', 'missing path');
  await rejects(h.call('update', 'dir/', { a: 1 }, alice), 'ERR_INVALID_REQUEST', /must not end/);
  for (const p of ['../cubby-bob/x', 'a/../b', 'a//b']) await rejects(h.call('update', p, { a: 1 }, alice), 'ERR_INVALID_REQUEST', /invalid path/);
  assert.equal(h.storage.map.size, 0);
});

test('destroyCubbyhole removes every entry of that token only', async () => {
  const h = await harness();
  await h.call('update', 'a', { v: 1 }, alice);
  await h.call('update', 'deep/er/b', { v: 1 }, alice);
  await h.call('update', 'a', { v: 2 }, bob);
  await destroyCubbyhole(h.storage, alice.cubbyholeId);
  await rejects(h.call('list', '', {}, alice), 'ERR_NOT_FOUND');
  await rejects(h.call('read', 'a', {}, alice), 'ERR_NOT_FOUND');
  assert.deepEqual((await h.call('read', 'a', {}, bob))?.data, { v: 2 });
  assert.deepEqual([...h.storage.map.keys()], ['cubby-bob/a']);
  await assert.rejects(destroyCubbyhole(h.storage, ''), /invalid cubbyhole id/);
});
