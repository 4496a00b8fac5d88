import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { testMount, testToken, mapStorage } from '../../test/helpers/backend.js';
import type { Request } from '../framework/types.js';
import { formatRequestEntry, formatResponseEntry, hash, hashValue, type FormatOptions } from './format.js';

const SALT = '5b6f0c1e-8d7e-4b1a-9f57-0e3c2a1d9b44';
const OPTS: FormatOptions = { logRaw: false, hmacAccessor: true, elideListResponses: false };
const h = (s: string) => hash(SALT, s);

function req(over: Partial<Request> = {}): Request {
  return {
    id: 'req-1', operation: 'update', path: 'data/x', fullPath: 'secret/data/x', mount: testMount('secret/', 'kv'),
    data: { password: 'p@ss', nested: { list: ['a', 1, true, null], deep: { s: 'v' } } }, storage: mapStorage(),
    clientToken: 'hvs.tok', token: testToken({ accessor: 'acc1', creationTime: 1700000000, ttl: 3600, metadata: { username: 'bob' } }),
    remoteAddress: '10.0.0.1', headers: { 'X-Vault-Token': 'hvs.tok', 'X-Request-Id': 'abc' }, wrapTTL: 0, ...over,
  };
}

test('hash is Vault\'s identified HMAC: hmac-sha256: + hex HMAC-SHA256 keyed by the salt string', () => {
  const expected = createHmac('sha256', Buffer.from(SALT)).update('foo').digest('hex');
  assert.equal(hash(SALT, 'foo'), `hmac-sha256:${expected}`);
});

test('hashValue hashes every string recursively, keeps numbers, booleans, null and map keys', () => {
  const out = hashValue({ a: 'x', b: 2, c: [true, 'y', { d: 'z' }], e: null, f: undefined }, h);
  assert.deepEqual(out, { a: h('x'), b: 2, c: [true, h('y'), { d: h('z') }], e: null });
});

test('non-HMAC keys stay clear at any depth and for lists under them; bytes hash as base64', () => {
  const out = hashValue({ ttl: '1h', tags: ['a', 'b'], inner: { ttl: '2h', other: 'x' }, bin: new Uint8Array([1, 2]) }, h, new Set(['ttl', 'tags']));
  assert.deepEqual(out, { ttl: '1h', tags: ['a', 'b'], inner: { ttl: '2h', other: h('x') }, bin: h('AQI=') });
});

test('request entry: shape, HMAC\'d tokens/accessors/data, clear policy/metadata/path', () => {
  const e = formatRequestEntry({ request: req() }, SALT, OPTS, new Date('2024-05-01T10:00:00.123Z'));
  assert.deepEqual(Object.keys(e), ['time', 'type', 'auth', 'request', 'error']);
  assert.equal(e['time'], '2024-05-01T10:00:00.123Z');
  assert.deepEqual(e['auth'], {
    client_token: h('hvs.tok'), accessor: h('acc1'), display_name: 'root', policies: ['root'], token_policies: ['root'],
    metadata: { username: 'bob' }, entity_id: '', token_type: 'service', token_ttl: 3600, token_issue_time: '2023-11-14T22:13:20Z',
  });
  assert.deepEqual(e['request'], {
    id: 'req-1', operation: 'update', mount_point: 'secret/', mount_type: 'kv', mount_accessor: 'kv_0000beef',
    client_token: h('hvs.tok'), client_token_accessor: h('acc1'), namespace: { id: 'root' }, path: 'secret/data/x',
    data: { password: h('p@ss'), nested: { list: [h('a'), 1, true, null], deep: { s: h('v') } } }, remote_address: '10.0.0.1',
  });
  assert.equal(e['error'], '');
  // Headers are only logged when configured, HMAC'd unless told otherwise.
  const withHeaders = formatRequestEntry({ request: req() }, SALT, { ...OPTS, auditedHeaders: { 'x-request-id': false, 'x-vault-token': true } });
  assert.deepEqual((withHeaders['request'] as Record<string, unknown>)['headers'], { 'x-vault-token': [h('hvs.tok')], 'x-request-id': ['abc'] });
});

test('hmac_accessor=false keeps accessors clear; log_raw disables every HMAC', () => {
  const noAcc = formatRequestEntry({ request: req() }, SALT, { ...OPTS, hmacAccessor: false });
  assert.equal((noAcc['auth'] as Record<string, unknown>)['accessor'], 'acc1');
  assert.equal((noAcc['auth'] as Record<string, unknown>)['client_token'], h('hvs.tok'));
  const raw = formatRequestEntry({ request: req() }, SALT, { ...OPTS, logRaw: true });
  assert.equal((raw['auth'] as Record<string, unknown>)['client_token'], 'hvs.tok');
  assert.deepEqual(((raw['request'] as Record<string, unknown>)['data'] as Record<string, unknown>)['password'], 'p@ss');
});

test('response entry: auth, secret, data, warnings, wrap info; mount non-HMAC response keys', () => {
  const mount = testMount('auth/approle/', 'approle');
  mount.config.auditNonHMACResponseKeys = ['role_id'];
  const e = formatResponseEntry({
    request: req({ mount, data: {} }),
    response: {
      data: { role_id: 'r-1', secret: 's' }, warnings: ['w'], lease: { id: 'db/creds/x/123', ttl: 60, renewable: true },
      authBlock: { client_token: 'hvs.new', accessor: 'acc2', policies: ['default'], token_policies: ['default'], metadata: { role: 'x' }, lease_duration: 60, renewable: true, entity_id: 'e', token_type: 'service', orphan: false, mfa_requirement: null, num_uses: 0 },
    },
    wrapInfo: { token: 'hvs.wrap', accessor: 'wacc', ttl: 30, creation_time: '2024-05-01T10:00:00Z', creation_path: 'auth/approle/login', wrapped_accessor: 'acc2' },
    error: '',
  }, SALT, OPTS);
  const r = e['response'] as Record<string, unknown>;
  assert.equal((e['request'] as Record<string, unknown>)['data'], undefined);
  assert.deepEqual(r['data'], { role_id: 'r-1', secret: h('s') });
  assert.deepEqual(r['secret'], { lease_id: 'db/creds/x/123' });
  assert.deepEqual(r['warnings'], ['w']);
  assert.equal((r['auth'] as Record<string, unknown>)['client_token'], h('hvs.new'));
  assert.equal((r['auth'] as Record<string, unknown>)['accessor'], h('acc2'));
  assert.deepEqual(r['wrap_info'], { token: h('hvs.wrap'), accessor: h('wacc'), ttl: 30, creation_time: '2024-05-01T10:00:00Z', creation_path: 'auth/approle/login', wrapped_accessor: h('acc2') });
});

test('elide_list_responses replaces keys and key_info by counts; raw bodies are hashed', () => {
  const e = formatResponseEntry({ request: req({ operation: 'list', data: {} }), response: { data: { keys: ['a', 'b', 'c'], key_info: { a: {}, b: {} } } } }, SALT, { ...OPTS, elideListResponses: true });
  assert.deepEqual((e['response'] as Record<string, unknown>)['data'], { keys: 3, key_info: 2 });
  const raw = formatResponseEntry({ request: req(), response: { raw: { status: 200, contentType: 'text/plain', body: 'metrics' } } }, SALT, OPTS);
  assert.deepEqual((raw['response'] as Record<string, unknown>)['data'], { http_status_code: 200, http_content_type: h('text/plain'), http_raw_body: h('metrics') });
});

test('an unauthenticated request has an empty auth block', () => {
  const e = formatRequestEntry({ request: req({ token: undefined, clientToken: '' }), error: 'permission denied' }, SALT, OPTS);
  assert.equal((e['auth'] as Record<string, unknown>)['client_token'], '');
  assert.equal((e['auth'] as Record<string, unknown>)['accessor'], '');
  assert.equal(e['error'], 'permission denied');
});
