import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv2, rejects, record } from '../../../test/helpers/kv.js';
import { stripValues } from './path-subkeys.js';

const DATA = { foo: 'abc', bar: { baz: 'def', deep: { x: 1 } }, list: [1, 2], empty: {}, nul: null };

test('subkeys replaces every leaf with null and keeps the structure', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: DATA });
  const r = record((await h.call('read', 'subkeys/foo'))?.data);
  assert.deepEqual(r.subkeys, { foo: null, bar: { baz: null, deep: { x: null } }, list: null, empty: null, nul: null });
  assert.equal(record(r.metadata).version, 1);
  assert.ok(!JSON.stringify(r).includes('abc') && !JSON.stringify(r).includes('def'));
});

test('depth limits the nesting (1 = top-level keys only); 0 means no limit', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: DATA });
  assert.deepEqual(record((await h.call('read', 'subkeys/foo', { depth: '1' }))?.data).subkeys, { foo: null, bar: null, list: null, empty: null, nul: null });
  assert.deepEqual(record((await h.call('read', 'subkeys/foo', { depth: 2 }))?.data).subkeys, { foo: null, bar: { baz: null, deep: null }, list: null, empty: null, nul: null });
  assert.deepEqual(record((await h.call('read', 'subkeys/foo', { depth: 0 }))?.data).subkeys, record((await h.call('read', 'subkeys/foo'))?.data).subkeys);
  await rejects(h.call('read', 'subkeys/foo', { depth: -1 }), 'ERR_INVALID_REQUEST', /depth/);
  await rejects(h.call('read', 'subkeys/foo', { depth: 'deep' }), 'ERR_INVALID_REQUEST', /depth/);
});

test('subkeys honours version and answers deleted versions with 404 and metadata', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { a: 1 } });
  await h.call('update', 'data/foo', { data: { b: 1 } });
  assert.deepEqual(record((await h.call('read', 'subkeys/foo', { version: 1 }))?.data).subkeys, { a: null });
  await h.call('delete', 'data/foo');
  const r = await h.call('read', 'subkeys/foo');
  assert.equal(r?.statusCode, 404);
  assert.equal(record(r?.data).subkeys, null);
  assert.equal(record(record(r?.data).metadata).version, 2);
  await rejects(h.call('read', 'subkeys/foo', { version: 9 }), 'ERR_NOT_FOUND', '');
  await rejects(h.call('read', 'subkeys/nope'), 'ERR_NOT_FOUND', '');
});

test('a depth cap leaves nothing below it', () => {
  let deep: Record<string, unknown> = { leaf: 'secret' };
  for (let i = 0; i < 150; i++) deep = { n: deep };
  const out = JSON.stringify(stripValues(deep, 100));
  assert.ok(!out.includes('secret'));
  assert.equal(out.split('"n"').length - 1, 100);
});
