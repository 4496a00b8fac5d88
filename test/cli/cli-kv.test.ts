// End-to-end: the built `coffer` CLI against a real server (KV v1/v2, generic read/write/list/delete,
// output formats, exit codes).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner, runCli } from './run-cli.js';

let server: TestServer;
let home: string;
let coffer: ReturnType<typeof cliRunner>;

before(async () => {
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-home-'));
  coffer = cliRunner(home, { COFFER_ADDR: server.address, COFFER_TOKEN: server.rootToken });
});

after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('coffer kv on a KV v2 mount', () => {
  it('enables the mount with -version=2', async () => {
    const r = await coffer(['secrets', 'enable', '-path=kv2', '-version=2', 'kv']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Success! Enabled the kv secrets engine at: kv2\//);
  });

  it('puts and gets a secret (k=v, k=@file, k=- from stdin) with a Vault-like table', async () => {
    const file = join(home, 'cert.pem');
    writeFileSync(file, 'CERTDATA');
    const put = await coffer(['kv', 'put', 'kv2/app/db', 'user=admin', `cert=@${file}`, 'password=-'], { stdin: 'hunter22' });
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /== Secret Path ==\nkv2\/data\/app\/db/);
    assert.match(put.stdout, /^version\s+1$/m);
    const get = await coffer(['kv', 'get', 'kv2/app/db']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /=+ Metadata =+\nKey\s+Value\n---\s+-----\n/);
    assert.match(get.stdout, /^deletion_time\s+n\/a$/m);
    assert.match(get.stdout, /=+ Data =+\n/);
    assert.match(get.stdout, /^password\s+hunter22$/m);
    assert.match(get.stdout, /^cert\s+CERTDATA$/m);
  });

  it('prints one field raw, and json/yaml envelopes (-format json, --format=yaml)', async () => {
    const field = await coffer(['kv', 'get', '-field=password', 'kv2/app/db']);
    assert.equal(field.stdout, 'hunter22');
    const json = await coffer(['kv', 'get', '-format', 'json', 'kv2/app/db']);
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.equal(body.data.data.user, 'admin');
    assert.equal(body.data.metadata.version, 1);
    const yaml = await coffer(['kv', 'get', '--format=yaml', 'kv2/app/db']);
    assert.match(yaml.stdout, /^ {4}user: admin$/m);
    const missing = await coffer(['kv', 'get', '-field=nope', 'kv2/app/db']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /coffer: error: field "nope" not present/);
  });

  it('patches with a merge patch, and reads an older version', async () => {
    const patch = await coffer(['kv', 'patch', 'kv2/app/db', 'user=root']);
    assert.equal(patch.code, 0, patch.stderr);
    assert.match(patch.stdout, /^version\s+2$/m);
    const now = await coffer(['kv', 'get', '-format=json', 'kv2/app/db']);
    assert.deepEqual(JSON.parse(now.stdout).data.data, { user: 'root', cert: 'CERTDATA', password: 'hunter22' });
    const v1 = await coffer(['kv', 'get', '-version=1', '-field=user', 'kv2/app/db']);
    assert.equal(v1.stdout, 'admin');
    const rw = await coffer(['kv', 'patch', '-method=rw', '-remove=cert', 'kv2/app/db', 'extra=1']);
    assert.equal(rw.code, 0, rw.stderr);
    const after3 = await coffer(['kv', 'get', '-mount=kv2', '-format=json', 'app/db']);
    assert.deepEqual(JSON.parse(after3.stdout).data.data, { user: 'root', password: 'hunter22', extra: '1' });
  });

  it('enforces check-and-set and reports the server error with exit code 2', async () => {
    const r = await coffer(['kv', 'put', '-cas=1', 'kv2/app/db', 'a=b']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: .*check-and-set.*\(HTTP 400 on PUT \/v1\/kv2\/data\/app\/db\)$/m);
    assert.ok(!r.stderr.includes('hunter22'));
  });

  it('lists keys under a folder', async () => {
    await coffer(['kv', 'put', 'kv2/app/api', 'k=v']);
    const r = await coffer(['kv', 'list', 'kv2/app']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Keys\n----\napi\ndb\n');
    const json = await coffer(['kv', 'list', '-format=json', 'kv2/']);
    assert.deepEqual(JSON.parse(json.stdout), ['app/']);
    const empty = await coffer(['kv', 'list', 'kv2/nothing']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no value found at kv2\/nothing\//);
  });

  it('soft-deletes, undeletes and destroys versions', async () => {
    const del = await coffer(['kv', 'delete', 'kv2/app/api']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /Success! Data deleted \(if it existed\) at: kv2\/data\/app\/api/);
    const gone = await coffer(['kv', 'get', 'kv2/app/api']);
    assert.equal(gone.code, 2);
    assert.match(gone.stdout, /^deletion_time\s+\d{4}-/m);
    assert.match(gone.stderr, /version 1 of kv2\/app\/api is deleted\nhint: restore it with "coffer kv undelete -versions=1 PATH"/);
    const undel = await coffer(['kv', 'undelete', '-versions=1', 'kv2/app/api']);
    assert.equal(undel.code, 0, undel.stderr);
    assert.equal((await coffer(['kv', 'get', '-field=k', 'kv2/app/api'])).stdout, 'v');
    const destroy = await coffer(['kv', 'destroy', '-versions', '1', 'kv2/app/api']);
    assert.equal(destroy.code, 0, destroy.stderr);
    const destroyed = await coffer(['kv', 'get', '-format=json', 'kv2/app/api']);
    assert.equal(destroyed.code, 2);
    assert.equal(JSON.parse(destroyed.stdout).data.metadata.destroyed, true);
    assert.equal((await coffer(['kv', 'undelete', 'kv2/app/api'])).code, 1, 'undelete needs -versions');
  });

  it('reads and writes metadata', async () => {
    const put = await coffer(['kv', 'metadata', 'put', '-max-versions=5', '-custom-metadata', 'owner=ops', '-custom-metadata=tier=1', 'kv2/app/db']);
    assert.equal(put.code, 0, put.stderr);
    const get = await coffer(['kv', 'metadata', 'get', 'kv2/app/db']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /== Metadata Path ==\nkv2\/metadata\/app\/db/);
    assert.match(get.stdout, /^max_versions\s+5$/m);
    assert.match(get.stdout, /^custom_metadata\s+map\[owner:ops tier:1\]$/m);
    assert.match(get.stdout, /=+ Version 3 =+/);
    const json = await coffer(['kv', 'metadata', 'get', '-format=json', 'kv2/app/db']);
    assert.equal(JSON.parse(json.stdout).data.current_version, 3);
    const del = await coffer(['kv', 'metadata', 'delete', 'kv2/app/db']);
    assert.equal(del.code, 0, del.stderr);
    const gone = await coffer(['kv', 'get', 'kv2/app/db']);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no value found at kv2\/app\/db/);
  });

  it('refuses kv put without KEY=VALUE pairs as a usage error (exit 1)', async () => {
    const r = await coffer(['kv', 'put', 'kv2/app/x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^coffer: error: no data given/);
    assert.match(r.stderr, /^hint: usage: coffer kv put/m);
  });
});

describe('coffer kv on a KV v1 mount, and the generic commands', () => {
  it('detects v1 and reads with refresh_interval', async () => {
    assert.equal((await coffer(['secrets', 'enable', '-path=kv1', 'kv'])).code, 0);
    const put = await coffer(['kv', 'put', 'kv1/team/x', 'k=v']);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /Success! Data written to: kv1\/team\/x/);
    const get = await coffer(['kv', 'get', 'kv1/team/x']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^refresh_interval\s+768h$/m);
    assert.match(get.stdout, /^k\s+v$/m);
    const patch = await coffer(['kv', 'patch', 'kv1/team/x', 'k=w']);
    assert.equal(patch.code, 2);
    assert.match(patch.stderr, /KV version 2/);
  });

  it('write, read, list and delete any path; - reads a JSON body from stdin', async () => {
    const w = await coffer(['write', 'kv1/gen', '-'], { stdin: '{"a": "1", "n": {"deep": true}}' });
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /Success! Data written to: kv1\/gen/);
    const r = await coffer(['read', '-format=json', 'kv1/gen']);
    assert.deepEqual(JSON.parse(r.stdout).data, { a: '1', n: { deep: true } });
    const l = await coffer(['list', 'kv1']);
    assert.match(l.stdout, /^gen$/m);
    assert.match(l.stdout, /^team\/$/m);
    assert.equal((await coffer(['delete', 'kv1/gen'])).code, 0);
    const missing = await coffer(['read', 'kv1/gen']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /coffer: error: no value found at kv1\/gen/);
    const nodata = await coffer(['write', 'kv1/gen']);
    assert.equal(nodata.code, 1);
    const bare = await coffer(['read', 'sys/seal-status']);
    assert.match(bare.stdout, /^sealed\s+false$/m, 'bare sys answers are shown as data');
    assert.equal((await coffer(['read', '-field=initialized', 'sys/seal-status'])).stdout, 'true');
  });

  it('tunes, lists in detail and disables mounts', async () => {
    const tune = await coffer(['secrets', 'tune', '-default-lease-ttl=1h', 'kv1']);
    assert.equal(tune.code, 0, tune.stderr);
    assert.match((await coffer(['kv', 'get', 'kv1/team/x'])).stdout, /^refresh_interval\s+1h$/m);
    const list = await coffer(['secrets', 'list', '-detailed']);
    assert.match(list.stdout, /^Path\s+Plugin\s+Accessor\s+Default TTL/m);
    assert.match(list.stdout, /^kv1\/\s+kv\s+\S+\s+1h\s/m);
    const json = await coffer(['secrets', 'list', '-format=json']);
    assert.equal(JSON.parse(json.stdout)['kv2/'].options.version, '2');
    const dis = await coffer(['secrets', 'disable', 'kv1']);
    assert.equal(dis.code, 0, dis.stderr);
    assert.ok(!(await coffer(['secrets', 'list'])).stdout.includes('kv1/'));
  });
});

describe('errors talking to a server', () => {
  it('says when nothing listens at the address (exit 2, hint)', async () => {
    const r = await runCli(['status'], { env: { HOME: home, COFFER_ADDR: 'http://127.0.0.1:1' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: cannot talk to the server at http:\/\/127\.0\.0\.1:1/);
    assert.match(r.stderr, /^hint: is the server running/m);
  });

  it('falls back to VAULT_ADDR and VAULT_TOKEN', async () => {
    const r = await runCli(['kv', 'list', 'kv2/'], { env: { HOME: home, VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken } });
    assert.equal(r.code, 0, r.stderr);
  });

  it('reports a missing token with a login hint', async () => {
    const r = await runCli(['kv', 'get', 'kv2/app/api'], { env: { HOME: home, COFFER_ADDR: server.address } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^hint: no token is set: run "coffer login"/m);
  });
});
