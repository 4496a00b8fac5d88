import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHarness, mapStorage, rejectsWithCode, testMount } from '../../../test/helpers/backend.js';
import { PermissionDeniedError } from '../../core/errors.js';
import type { AuthResponse, Operation, Request, Response } from '../../framework/types.js';
import { createTokenBackend, TOKEN_SUDO_PATHS, type TokenBackendOptions } from './backend.js';
import { tokenDisplayName } from './path-create.js';
import { createTokenStore } from './store.js';

const HOUR = 3600;

async function setup(options: TokenBackendOptions = {}, ttl = { def: 768 * HOUR, max: 768 * HOUR }) {
  const tokenStorage = mapStorage();
  let clock = 1_700_000_000_000;
  const store = createTokenStore({ storage: tokenStorage, defaultTTL: () => ttl.def, maxTTL: () => ttl.max, now: () => clock });
  const rootToken = await store.createRootToken();
  const h = await createHarness(createTokenBackend(store, options), testMount('auth/token/', 'token'), ttl);

  /** What the request pipeline does around a backend call: validate, use, handle, finish. */
  async function call(operation: Operation, path: string, data: Record<string, unknown> = {}, token = rootToken): Promise<Response | undefined> {
    const entry = await store.lookup(token);
    if (!entry || !(await store.use(entry))) throw new PermissionDeniedError('permission denied');
    const req: Request = {
      id: randomUUID(), operation, path, fullPath: h.mount.path + path, mount: h.mount, data, storage: h.storage,
      clientToken: token, token: store.toTokenInfo(entry), remoteAddress: '127.0.0.1', headers: {}, wrapTTL: 0,
    };
    try {
      return await h.backend.handleRequest(req);
    } finally {
      await store.finishRequest(entry);
    }
  }
  async function create(data: Record<string, unknown> = {}, token = rootToken, path = 'create'): Promise<{ resp: Response; auth: AuthResponse }> {
    const resp = await call('update', path, data, token);
    assert.ok(resp?.issuedAuth, 'create returns auth');
    return { resp, auth: resp.issuedAuth };
  }
  return {
    store, rootToken, h, tokenStorage, call, create,
    advance(seconds: number) { clock += seconds * 1000; },
  };
}

const rejectsWith = (p: Promise<unknown>, code: string, message: RegExp): Promise<void> => rejectsWithCode(p, code, message);

test('create: wire-exact auth block, data null, default policy added, accessor and hvs. token', async () => {
  const { create } = await setup();
  const { resp, auth } = await create({ policies: 'b,a', meta: { app: 'x' }, ttl: '1h', display_name: 'my app!' });
  assert.equal(resp.data, null);
  assert.deepEqual(Object.keys(auth).sort(), [
    'accessor', 'client_token', 'entity_id', 'lease_duration', 'metadata', 'mfa_requirement', 'num_uses', 'orphan', 'policies',
    'renewable', 'token_policies', 'token_type',
  ]);
  assert.match(auth.client_token, /^hvs\.[0-9A-Za-z]{24}$/);
  assert.match(auth.accessor, /^[0-9A-Za-z]{24}$/);
  assert.deepEqual(auth.policies, ['a', 'b', 'default']);
  assert.deepEqual(auth.token_policies, ['a', 'b', 'default']);
  assert.deepEqual(auth.metadata, { app: 'x' });
  assert.equal(auth.lease_duration, 3600);
  assert.equal(auth.renewable, true);
  assert.equal(auth.entity_id, '');
  assert.equal(auth.token_type, 'service');
  assert.equal(auth.orphan, false);
  assert.equal(auth.mfa_requirement, null);
  assert.equal(auth.num_uses, 0);
});

test('create: inherits the caller policies; no_default_policy; root child of root is non-expiring', async () => {
  const { create, call } = await setup();
  const rootChild = await create({});
  assert.deepEqual(rootChild.auth.policies, ['root']);
  assert.equal(rootChild.auth.lease_duration, 0);
  assert.equal(rootChild.auth.renewable, false);
  const a = await create({ policies: ['p1', 'p2'] });
  const inherited = await create({}, a.auth.client_token);
  assert.deepEqual(inherited.auth.policies, ['default', 'p1', 'p2']);
  const noDefault = await create({ policies: ['p1'], no_default_policy: true });
  assert.deepEqual(noDefault.auth.policies, ['p1']);
  const looked = await call('read', 'lookup-self', {}, noDefault.auth.client_token);
  assert.deepEqual(looked?.data?.policies, ['p1']);
});

test('create: policy subset enforcement, root only from root, sudo-only options', async () => {
  const { create, rootToken } = await setup();
  const a = await create({ policies: ['p1', 'p2'] });
  const t = a.auth.client_token;
  const sub = await create({ policies: ['p1'] }, t);
  assert.deepEqual(sub.auth.policies, ['default', 'p1']);
  await rejectsWith(create({ policies: ['p1', 'p3'] }, t), 'ERR_INVALID_REQUEST', /child policies must be subset of parent/);
  await rejectsWith(create({ policies: ['root'] }, t), 'ERR_INVALID_REQUEST', /subset of parent/);
  await rejectsWith(create({ no_parent: true }, t), 'ERR_INVALID_REQUEST', /root or sudo privileges required to create orphan token/);
  await rejectsWith(create({ period: '1h' }, t), 'ERR_INVALID_REQUEST', /required to create periodic token/);
  await rejectsWith(create({ id: 'custom' }, t), 'ERR_INVALID_REQUEST', /required to specify token id/);
  await rejectsWith(create({ policies: ['response-wrapping'] }, rootToken), 'ERR_INVALID_REQUEST', /cannot assign policy/);
  // create-orphan is allowed by ACL alone.
  const orphan = await create({ policies: ['p1'] }, t, 'create-orphan');
  assert.equal(orphan.auth.orphan, true);
  // Root's custom id is used verbatim; duplicates are refused.
  const custom = await create({ id: 'my-custom-token', policies: ['p1'] });
  assert.equal(custom.auth.client_token, 'my-custom-token');
  await rejectsWith(create({ id: 'my-custom-token' }), 'ERR_INVALID_REQUEST', /duplicate/);
  await rejectsWith(create({ id: 'hvs.xyz' }), 'ERR_INVALID_REQUEST', /prefix/);
});

test('create: a sudo (non-root) caller may use privileged options when isSudo says so', async () => {
  const { create } = await setup({ isSudo: (req) => req.token?.policies.includes('admin') ?? false });
  const admin = await create({ policies: ['admin'] });
  const t = admin.auth.client_token;
  const other = await create({ policies: ['other'], no_parent: true, period: '10m' }, t);
  assert.equal(other.auth.orphan, true);
  assert.deepEqual(other.auth.policies, ['default', 'other']);
  assert.equal(other.auth.lease_duration, 600);
  // ...but never root.
  await rejectsWith(create({ policies: ['root'] }, t), 'ERR_INVALID_REQUEST', /root tokens may not be created without parent token being root/);
  await rejectsWith(create({ policies: ['root'], no_parent: true }, t), 'ERR_INVALID_REQUEST', /parent token being root/);
});

test('create: unknown policies produce warnings when policyExists is wired', async () => {
  const { create } = await setup({ policyExists: async (name) => name === 'default' || name === 'known' });
  const { resp } = await create({ policies: ['known', 'ghost'] });
  assert.deepEqual(resp.warnings, ['Policy "ghost" does not exist']);
});

test('create: bad input is a 400 with a clear message', async () => {
  const { create } = await setup();
  await rejectsWith(create({ ttl: '-1h' }), 'ERR_INVALID_REQUEST', /ttl/);
  await rejectsWith(create({ ttl: -5 }), 'ERR_INVALID_REQUEST', /ttl/);
  await rejectsWith(create({ ttl: 'soon' }), 'ERR_INVALID_REQUEST', /ttl/);
  await rejectsWith(create({ num_uses: 'lots' }), 'ERR_INVALID_REQUEST', /num_uses/);
  await rejectsWith(create({ num_uses: -1 }), 'ERR_INVALID_REQUEST', /number of uses cannot be negative/);
  await rejectsWith(create({ num_uses: 1e30 }), 'ERR_INVALID_REQUEST', /num_uses/);
  await rejectsWith(create({ num_uses: '99999999999999999999' }), 'ERR_INVALID_REQUEST', /num_uses/);
  await rejectsWith(create({ explicit_max_ttl: 1e30 }), 'ERR_INVALID_REQUEST', /out of range/);
  await rejectsWith(create({ renewable: 'maybe' }), 'ERR_INVALID_REQUEST', /renewable/);
  await rejectsWith(create({ policies: { a: 1 } }), 'ERR_INVALID_REQUEST', /policies/);
  await rejectsWith(create({ meta: 'novalue' }), 'ERR_INVALID_REQUEST', /meta/);
  await rejectsWith(create({ meta: { a: 1 } }), 'ERR_INVALID_REQUEST', /meta/);
  await rejectsWith(create({ type: 'weird' }), 'ERR_INVALID_REQUEST', /invalid 'token_type' value/);
  await rejectsWith(create({ entity_alias: 'x' }), 'ERR_INVALID_REQUEST', /entity_alias/);
  const r = await create({ bogus: 1 });
  assert.match(r.resp.warnings?.[0] ?? '', /unrecognized parameters: \[bogus\]/);
});

test('display_name follows the token- prefix rule', () => {
  assert.equal(tokenDisplayName(''), 'token');
  assert.equal(tokenDisplayName('ci'), 'token-ci');
  assert.equal(tokenDisplayName('my app!'), 'token-my-app');
  assert.equal(tokenDisplayName('a.b'), 'token-a-b');
});

test('TTL capped by explicit_max_ttl and by the mount max, with a warning', async () => {
  const { create } = await setup({}, { def: HOUR, max: 2 * HOUR });
  const a = await create({ policies: ['p'], ttl: '5h' });
  assert.equal(a.auth.lease_duration, 2 * HOUR);
  assert.match(a.resp.warnings?.[0] ?? '', /capped/);
  const b = await create({ policies: ['p'], ttl: '90m', explicit_max_ttl: '30m' });
  assert.equal(b.auth.lease_duration, 1800);
  const c = await create({ policies: ['p'] });
  assert.equal(c.auth.lease_duration, HOUR);
});

test('lookup, lookup-self, lookup-accessor: every field, numbers as numbers, id hidden via accessor', async () => {
  const { create, call, rootToken } = await setup();
  const { auth } = await create({ policies: ['p'], ttl: 600, meta: { k: 'v' }, display_name: 'ci', num_uses: 5, explicit_max_ttl: 3600 });
  const resp = await call('update', 'lookup', { token: auth.client_token });
  const d = resp!.data!;
  for (const k of ['accessor', 'creation_time', 'creation_ttl', 'display_name', 'entity_id', 'expire_time', 'explicit_max_ttl', 'id',
    'issue_time', 'meta', 'num_uses', 'orphan', 'path', 'policies', 'renewable', 'ttl', 'type']) {
    assert.ok(k in d, `lookup has ${k}`);
  }
  assert.equal(d.id, auth.client_token);
  assert.equal(d.accessor, auth.accessor);
  assert.equal(typeof d.creation_time, 'number');
  assert.equal(d.creation_ttl, 600);
  assert.equal(d.ttl, 600);
  assert.equal(d.explicit_max_ttl, 3600);
  assert.equal(d.display_name, 'token-ci');
  assert.equal(d.num_uses, 5);
  assert.equal(d.orphan, false);
  assert.equal(d.path, 'auth/token/create');
  assert.deepEqual(d.policies, ['default', 'p']);
  assert.equal(d.renewable, true);
  assert.equal(d.type, 'service');
  assert.deepEqual(d.meta, { k: 'v' });
  assert.equal(typeof d.expire_time, 'string');
  assert.equal(Date.parse(d.expire_time as string) - Date.parse(d.issue_time as string), 600_000);
  assert.ok(!('period' in d));

  const self = await call('read', 'lookup-self');
  assert.equal(self!.data!.id, rootToken);
  assert.equal(self!.data!.expire_time, null);
  assert.equal(self!.data!.ttl, 0);
  assert.equal(self!.data!.renewable, false);
  assert.equal(self!.data!.display_name, 'root');
  assert.equal(self!.data!.path, 'auth/token/root');
  assert.deepEqual(self!.data!.policies, ['root']);
  assert.equal(self!.data!.meta, null);
  // GET lookup without a token looks up the caller, as Vault does.
  assert.equal((await call('read', 'lookup'))!.data!.id, rootToken);

  const byAcc = await call('update', 'lookup-accessor', { accessor: auth.accessor });
  assert.equal(byAcc!.data!.id, '');
  assert.equal(byAcc!.data!.accessor, auth.accessor);
  await rejectsWith(call('update', 'lookup-accessor', {}), 'ERR_INVALID_REQUEST', /missing accessor/);
  await rejectsWith(call('update', 'lookup-accessor', { accessor: 'nope' }), 'ERR_INVALID_REQUEST', /invalid accessor/);
  await rejectsWith(call('update', 'lookup', { token: 'hvs.unknown' }), 'ERR_PERMISSION_DENIED', /bad token/);
  await rejectsWith(call('update', 'lookup', { token: 42 }), 'ERR_PERMISSION_DENIED', /bad token/);
  await rejectsWith(call('update', 'lookup', { token: ['x'] }), 'ERR_INVALID_REQUEST', /token/);
});

test('renew, renew-self, renew-accessor: TTL reset, increments, caps, periodic tokens', async () => {
  const { create, call, advance } = await setup({}, { def: HOUR, max: 3 * HOUR });
  const { auth } = await create({ policies: ['p'], ttl: 1800 });
  advance(1000);
  const r1 = await call('update', 'renew', { token: auth.client_token });
  assert.equal(r1!.issuedAuth!.lease_duration, 1800);
  assert.equal(r1!.issuedAuth!.client_token, auth.client_token);
  const r2 = await call('update', 'renew-self', { increment: '2h' }, auth.client_token);
  assert.equal(r2!.issuedAuth!.lease_duration, 7200);
  const looked = await call('update', 'lookup', { token: auth.client_token });
  assert.equal(typeof looked!.data!.last_renewal_time, 'number');
  assert.equal(typeof looked!.data!.last_renewal, 'string');
  advance(7000);
  const r3 = await call('update', 'renew-accessor', { accessor: auth.accessor, increment: 7200 });
  assert.equal(r3!.issuedAuth!.client_token, '');
  assert.equal(r3!.issuedAuth!.lease_duration, 3 * HOUR - 8000);
  assert.match(r3!.warnings?.[0] ?? '', /capped/);

  const periodic = await create({ policies: ['p'], period: '20m' });
  assert.equal(periodic.auth.lease_duration, 1200);
  advance(1000);
  const rp = await call('update', 'renew-self', { increment: 99999 }, periodic.auth.client_token);
  assert.equal(rp!.issuedAuth!.lease_duration, 1200);
  assert.equal((await call('read', 'lookup-self', {}, periodic.auth.client_token))!.data!.period, 1200);

  await rejectsWith(call('update', 'renew', {}), 'ERR_INVALID_REQUEST', /missing token ID/);
  await rejectsWith(call('update', 'renew', { token: 'hvs.nope' }), 'ERR_INVALID_REQUEST', /token not found/);
  await rejectsWith(call('update', 'renew-self'), 'ERR_INVALID_REQUEST', /not renewable/);
  await rejectsWith(call('update', 'renew', { token: auth.client_token, increment: '-5s' }), 'ERR_INVALID_REQUEST', /increment/);
  await rejectsWith(call('update', 'renew-accessor', { accessor: 'nope' }), 'ERR_INVALID_REQUEST', /invalid accessor/);
  const fixed = await create({ policies: ['p'], renewable: false });
  assert.equal(fixed.auth.renewable, false);
  await rejectsWith(call('update', 'renew-self', {}, fixed.auth.client_token), 'ERR_INVALID_REQUEST', /not renewable/);
});

test('TTL expiry through the pipeline with an injected clock', async () => {
  const { create, call, advance } = await setup();
  const { auth } = await create({ policies: ['p'], ttl: 60 });
  await call('read', 'lookup-self', {}, auth.client_token);
  advance(61);
  await rejectsWith(call('read', 'lookup-self', {}, auth.client_token), 'ERR_PERMISSION_DENIED', /permission denied/);
  await rejectsWith(call('update', 'lookup', { token: auth.client_token }), 'ERR_PERMISSION_DENIED', /bad token/);
});

test('revoke revokes the whole tree (grandchildren too); revoke-self; unknown token is a no-op', async () => {
  const { create, call } = await setup();
  const a = await create({ policies: ['p'] });
  const b = await create({}, a.auth.client_token);
  const c = await create({}, b.auth.client_token);
  const other = await create({ policies: ['p'] });
  assert.equal(await call('update', 'revoke', { token: a.auth.client_token }), undefined);
  for (const t of [a, b, c]) {
    await rejectsWith(call('update', 'lookup', { token: t.auth.client_token }), 'ERR_PERMISSION_DENIED', /bad token/);
  }
  assert.ok(await call('update', 'lookup', { token: other.auth.client_token }));
  assert.equal(await call('update', 'revoke', { token: 'hvs.unknown' }), undefined);
  await rejectsWith(call('update', 'revoke', {}), 'ERR_INVALID_REQUEST', /missing token ID/);
  assert.equal(await call('update', 'revoke-self', {}, other.auth.client_token), undefined);
  await rejectsWith(call('read', 'lookup-self', {}, other.auth.client_token), 'ERR_PERMISSION_DENIED', /permission denied/);
});

test('revoke-accessor revokes the tree; unknown accessor answers with a warning', async () => {
  const { create, call } = await setup();
  const a = await create({ policies: ['p'] });
  const b = await create({}, a.auth.client_token);
  assert.equal(await call('update', 'revoke-accessor', { accessor: a.auth.accessor }), undefined);
  await rejectsWith(call('update', 'lookup', { token: b.auth.client_token }), 'ERR_PERMISSION_DENIED', /bad token/);
  const w = await call('update', 'revoke-accessor', { accessor: a.auth.accessor });
  assert.deepEqual(w?.warnings, ['No token found with this accessor']);
  await rejectsWith(call('update', 'revoke-accessor', {}), 'ERR_INVALID_REQUEST', /missing accessor/);
});

test('revoke-orphan needs sudo and leaves children as working orphans', async () => {
  const { create, call } = await setup();
  const a = await create({ policies: ['p'] });
  const b = await create({}, a.auth.client_token);
  const c = await create({}, b.auth.client_token);
  await rejectsWith(call('update', 'revoke-orphan', { token: b.auth.client_token }, a.auth.client_token), 'ERR_INVALID_REQUEST', /sudo/);
  assert.equal(await call('update', 'revoke-orphan', { token: a.auth.client_token }), undefined);
  await rejectsWith(call('update', 'lookup', { token: a.auth.client_token }), 'ERR_PERMISSION_DENIED', /bad token/);
  const bInfo = await call('update', 'lookup', { token: b.auth.client_token });
  assert.equal(bInfo!.data!.orphan, true);
  assert.equal((await call('update', 'lookup', { token: c.auth.client_token }))!.data!.orphan, false);
  await rejectsWith(call('update', 'revoke-orphan', { token: 'hvs.none' }), 'ERR_INVALID_REQUEST', /token to revoke not found/);
});

test('num_uses: exhausted after the last use; restricted tokens cannot create children', async () => {
  const { create, call } = await setup();
  const { auth } = await create({ policies: ['p'], num_uses: 2 });
  assert.equal(auth.num_uses, 2);
  const first = await call('read', 'lookup-self', {}, auth.client_token);
  assert.equal(first!.data!.num_uses, 1);
  // The last use still succeeds...
  await rejectsWith(create({}, auth.client_token), 'ERR_INVALID_REQUEST', /parent token lookup failed|restricted use token/);
  // ...and afterwards the token is gone.
  await rejectsWith(call('read', 'lookup-self', {}, auth.client_token), 'ERR_PERMISSION_DENIED', /permission denied/);
  await rejectsWith(call('update', 'lookup', { token: auth.client_token }), 'ERR_PERMISSION_DENIED', /bad token/);
  const three = await create({ policies: ['p'], num_uses: 3 });
  await rejectsWith(create({}, three.auth.client_token), 'ERR_INVALID_REQUEST', /restricted use token cannot generate child tokens/);
});

test('batch tokens: created, looked up, no children, no renew/revoke, expire, die with parent', async () => {
  const { create, call, advance } = await setup();
  const parent = await create({ policies: ['p', 'q'] });
  const { auth } = await create({ policies: ['p'], type: 'batch', ttl: 300 }, parent.auth.client_token);
  assert.match(auth.client_token, /^hvb\./);
  assert.equal(auth.accessor, '');
  assert.equal(auth.token_type, 'batch');
  assert.equal(auth.renewable, false);
  assert.equal(auth.lease_duration, 300);
  const self = await call('read', 'lookup-self', {}, auth.client_token);
  assert.equal(self!.data!.type, 'batch');
  assert.equal(self!.data!.id, auth.client_token);
  assert.equal(self!.data!.accessor, '');
  assert.equal(self!.data!.ttl, 300);
  assert.deepEqual(self!.data!.policies, ['default', 'p']);
  await rejectsWith(create({}, auth.client_token), 'ERR_INVALID_REQUEST', /batch tokens cannot create more tokens/);
  await rejectsWith(call('update', 'renew-self', {}, auth.client_token), 'ERR_INVALID_REQUEST', /batch tokens cannot be renewed/);
  await rejectsWith(call('update', 'revoke', { token: auth.client_token }), 'ERR_INVALID_REQUEST', /batch tokens cannot be revoked/);
  await rejectsWith(create({ type: 'batch', num_uses: 3 }), 'ERR_INVALID_REQUEST', /batch tokens cannot have "num_uses" set/);
  await rejectsWith(create({ type: 'batch', period: 60 }), 'ERR_INVALID_REQUEST', /"period"/);
  await rejectsWith(create({ type: 'batch', explicit_max_ttl: 60 }), 'ERR_INVALID_REQUEST', /"explicit_max_ttl"/);
  await rejectsWith(create({ type: 'batch' }), 'ERR_INVALID_REQUEST', /batch tokens cannot be root tokens/);
  // Revoking the parent invalidates the batch child.
  await call('update', 'revoke', { token: parent.auth.client_token });
  await rejectsWith(call('read', 'lookup-self', {}, auth.client_token), 'ERR_PERMISSION_DENIED', /permission denied/);
  // Orphan batch tokens live until their TTL.
  const orphan = await create({ policies: ['p'], type: 'batch', ttl: 30, no_parent: true });
  assert.equal(orphan.auth.orphan, true);
  await call('read', 'lookup-self', {}, orphan.auth.client_token);
  advance(30);
  await rejectsWith(call('read', 'lookup-self', {}, orphan.auth.client_token), 'ERR_PERMISSION_DENIED', /permission denied/);
});

test('accessors LIST and tidy; sudo paths declared', async () => {
  const { create, call, store, h } = await setup();
  const a = await create({ policies: ['p'] });
  const list = await call('list', 'accessors/');
  const keys = list!.data!.keys as string[];
  assert.ok(keys.includes(a.auth.accessor));
  assert.equal(keys.length, 2);
  assert.ok(!keys.some((k) => k.startsWith('hvs.')));
  const tidy = await call('update', 'tidy');
  assert.equal(tidy?.statusCode, 202);
  assert.match(tidy?.warnings?.[0] ?? '', /Tidy operation completed/);
  assert.deepEqual(h.backend.specialPaths.sudo, TOKEN_SUDO_PATHS);
  assert.deepEqual(h.backend.specialPaths.unauthenticated, []);
  assert.ok(store);
});

test('unknown paths and operations are 404/405', async () => {
  const { call } = await setup();
  await rejectsWith(call('update', 'create/somerole'), 'ERR_UNSUPPORTED_PATH', /no handler/);
  await rejectsWith(call('delete', 'lookup'), 'ERR_UNSUPPORTED_OPERATION', /unsupported operation/);
});

test('no raw token or accessor-keyed entry is ever written to storage', async () => {
  const { create, call, tokenStorage, rootToken, h } = await setup();
  const tokens: string[] = [rootToken];
  const a = await create({ policies: ['p'], num_uses: 3 });
  tokens.push(a.auth.client_token);
  const b = await create({ policies: ['p'], period: 300 });
  tokens.push(b.auth.client_token);
  const c = await create({ id: 'customsecretvalue', policies: ['p'] });
  tokens.push(c.auth.client_token);
  tokens.push((await create({ policies: ['p'], type: 'batch' })).auth.client_token);
  await call('update', 'renew-self', {}, b.auth.client_token);
  await call('read', 'lookup-self', {}, a.auth.client_token);
  const all = [...tokenStorage.map.entries(), ...h.storage.map.entries()]
    .map(([k, v]) => k + '\n' + Buffer.from(v).toString('latin1')).join('\n');
  for (const t of tokens) assert.ok(!all.includes(t), `token ${t.slice(0, 6)}… must not be stored`);
  for (const t of tokens.filter((x) => x.startsWith('hvs.'))) assert.ok(!all.includes(t.slice(4)));
  assert.ok(![...tokenStorage.map.keys()].some((k) => k.includes(a.auth.accessor)));
});
