import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv2, rejects } from '../../../test/helpers/kv.js';

test('config defaults read back as Vault shows them', async () => {
  const h = await kv2();
  assert.deepEqual((await h.call('read', 'config'))?.data, { cas_required: false, delete_version_after: '0s', max_versions: 0 });
});

test('config write is 204, partial, and persists in storage', async () => {
  const h = await kv2();
  assert.equal(await h.call('update', 'config', { max_versions: '7', cas_required: 'true', delete_version_after: '3h25m19s' }), undefined);
  assert.deepEqual((await h.call('read', 'config'))?.data, { cas_required: true, delete_version_after: '3h25m19s', max_versions: 7 });
  await h.call('update', 'config', { cas_required: false });
  assert.deepEqual((await h.call('read', 'config'))?.data, { cas_required: false, delete_version_after: '3h25m19s', max_versions: 7 });
  await h.call('update', 'config', { delete_version_after: 0 });
  assert.deepEqual((await h.call('read', 'config'))?.data, { cas_required: false, delete_version_after: '0s', max_versions: 7 });
  assert.ok(h.storage.map.has('config'));
});

test('a negative delete_version_after disables it and reads as -1s', async () => {
  const h = await kv2();
  await h.call('update', 'config', { delete_version_after: -5 });
  assert.equal(((await h.call('read', 'config'))?.data ?? {}).delete_version_after, '-1s');
  await h.call('update', 'config', { delete_version_after: '-10m' });
  assert.equal(((await h.call('read', 'config'))?.data ?? {}).delete_version_after, '-1s');
});

test('bad config values are 400s and change nothing', async () => {
  const h = await kv2();
  await rejects(h.call('update', 'config', { max_versions: 'ten' }), 'ERR_INVALID_REQUEST', /max_versions/);
  await rejects(h.call('update', 'config', { max_versions: -2 }), 'ERR_INVALID_REQUEST', /max_versions/);
  await rejects(h.call('update', 'config', { cas_required: 'perhaps' }), 'ERR_INVALID_REQUEST', /cas_required/);
  await rejects(h.call('update', 'config', { delete_version_after: 'forever' }), 'ERR_INVALID_REQUEST', /delete_version_after/);
  await rejects(h.call('update', 'config', { delete_version_after: '-xyz' }), 'ERR_INVALID_REQUEST', /delete_version_after/);
  await rejects(h.call('update', 'config', { delete_version_after: { h: 1 } }), 'ERR_INVALID_REQUEST', /delete_version_after/);
  assert.equal(h.storage.map.size, 0);
});

test('an empty config write stores nothing; config has no delete', async () => {
  const h = await kv2();
  assert.equal(await h.call('update', 'config', {}), undefined);
  assert.equal(h.storage.map.size, 0);
  await rejects(h.call('delete', 'config'), 'ERR_UNSUPPORTED_OPERATION');
});
