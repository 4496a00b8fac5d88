// The real npm Vault client, unchanged, against a Coffer server started by the test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestServer, type TestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const nodeVault = require('node-vault') as (opts: Record<string, unknown>) => any;

describe('node-vault against Coffer', () => {
  let srv: TestServer;
  let vault: any;
  let root = '';
  // node-vault replaces client.token with auth.client_token after tokenCreate/renew, as the spec notes.
  const asRoot = () => { vault.token = root; };

  before(async () => {
    srv = await startTestServer({ uninitialized: true });
    vault = nodeVault({ apiVersion: 'v1', endpoint: srv.address });
  });
  after(async () => { await srv.stop(); });

  it('init, unseal with a threshold of keys, status and health', async () => {
    assert.deepEqual(await vault.initialized(), { initialized: false });
    const health0 = await vault.health();
    assert.equal(health0.initialized, false);
    const init = await vault.init({ secret_shares: 3, secret_threshold: 2 });
    assert.equal(init.keys.length, 3);
    assert.equal(init.keys_base64.length, 3);
    assert.match(init.root_token, /^hvs\.[A-Za-z0-9]{24,}$/);
    root = init.root_token;
    vault.token = root;
    let status = await vault.status();
    assert.equal(status.sealed, true);
    assert.equal(status.t, 2);
    assert.equal(status.n, 3);
    status = await vault.unseal({ key: init.keys[0] });
    assert.equal(status.sealed, true);
    assert.equal(status.progress, 1);
    status = await vault.unseal({ key: init.keys_base64[2] });
    assert.equal(status.sealed, false);
    assert.equal(status.progress, 0);
    const health = await vault.health();
    assert.equal(health.sealed, false);
    assert.equal(health.initialized, true);
    assert.match(health.version, /^\d+\.\d+\.\d+/);
  });

  it('policies: add, get, list, remove', async () => {
    await vault.addPolicy({ name: 'app', rules: 'path "secret/data/app/*" { capabilities = ["read", "list"] }' });
    const got = await vault.getPolicy({ name: 'app' });
    assert.match(got.rules, /secret\/data\/app/);
    const list = await vault.policies();
    assert.ok(list.policies.includes('app'));
    assert.ok(list.data.keys.includes('root'));
    await vault.removePolicy({ name: 'app' });
    assert.ok(!(await vault.policies()).policies.includes('app'));
  });

  it('mounts: kv v1 and v2, list, unmount', async () => {
    await vault.mount({ mount_point: 'kv1', type: 'kv', description: 'v1 store' });
    await vault.mount({ mount_point: 'secret', type: 'kv', options: { version: '2' } });
    const mounts = await vault.mounts();
    assert.equal(mounts['kv1/'].type, 'kv');
    assert.equal(mounts.data['secret/'].options.version, '2');
    assert.equal(mounts['sys/'].type, 'system');
  });

  it('kv v1 write, read, list (LIST verb), delete', async () => {
    await vault.write('kv1/app/db', { password: 's3cr3t', user: 'app' });
    const r = await vault.read('kv1/app/db');
    assert.deepEqual(r.data, { password: 's3cr3t', user: 'app' });
    assert.equal(r.lease_duration, 2764800);
    const l = await vault.list('kv1/app');
    assert.deepEqual(l.data.keys, ['db']);
    await vault.delete('kv1/app/db');
    await assert.rejects(vault.read('kv1/app/db'), (e: any) => e.response.statusCode === 404);
    await assert.rejects(vault.list('kv1/app'), (e: any) => e.response.statusCode === 404);
  });

  it('kv v2 versions through generic read/write, and LIST without custom verbs', async () => {
    const w1 = await vault.write('secret/data/app/config', { data: { a: '1' } });
    assert.equal(w1.data.version, 1);
    const w2 = await vault.write('secret/data/app/config', { data: { a: '2' }, options: { cas: 1 } });
    assert.equal(w2.data.version, 2);
    const r = await vault.read('secret/data/app/config');
    assert.deepEqual(r.data.data, { a: '2' });
    assert.equal(r.data.metadata.version, 2);
    const old = await vault.read('secret/data/app/config?version=1');
    assert.deepEqual(old.data.data, { a: '1' });
    const plain = nodeVault({ apiVersion: 'v1', endpoint: srv.address, token: vault.token, noCustomHTTPVerbs: true });
    const l = await plain.list('secret/metadata/app');
    assert.deepEqual(l.data.keys, ['config']);
    await assert.rejects(vault.write('secret/data/app/config', { data: { a: '3' }, options: { cas: 1 } }), /check-and-set parameter did not match/);
  });

  it('tokens: create, lookup-self, renew-self, revoke', async () => {
    const created = await vault.tokenCreate({ policies: ['default'], ttl: '1h' });
    assert.equal(vault.token, created.auth.client_token);
    asRoot();
    assert.match(created.auth.client_token, /^hvs\./);
    assert.deepEqual(created.auth.policies, ['default']);
    assert.equal(created.auth.lease_duration, 3600);
    const child = nodeVault({ apiVersion: 'v1', endpoint: srv.address, token: created.auth.client_token });
    const self = await child.tokenLookupSelf();
    assert.equal(typeof self.data.ttl, 'number');
    assert.equal(self.data.accessor, created.auth.accessor);
    const renewed = await child.tokenRenewSelf({ increment: '30m' });
    assert.equal(renewed.auth.lease_duration, 1800);
    await vault.tokenRevoke({ token: created.auth.client_token });
    await assert.rejects(child.tokenLookupSelf(), (e: any) => e.response.statusCode === 403);
  });

  it('a token limited by policy gets 403 elsewhere', async () => {
    await vault.addPolicy({ name: 'reader', rules: 'path "secret/data/app/*" { capabilities = ["read"] }' });
    const t = await vault.tokenCreate({ policies: ['reader'] });
    asRoot();
    const c = nodeVault({ apiVersion: 'v1', endpoint: srv.address, token: t.auth.client_token });
    assert.deepEqual((await c.read('secret/data/app/config')).data.data, { a: '2' });
    await assert.rejects(c.write('secret/data/app/config', { data: { x: 'y' } }), /permission denied/);
    await assert.rejects(c.read('kv1/anything'), /permission denied/);
  });

  it('seal makes every authenticated route answer 503', async () => {
    await vault.seal();
    await assert.rejects(vault.read('secret/data/app/config'), (e: any) => e.response.statusCode === 503);
    const st = await vault.status();
    assert.equal(st.sealed, true);
  });
});
