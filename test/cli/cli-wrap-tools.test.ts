// End-to-end: response wrapping from the CLI (-wrap-ttl on read/write/list/kv get/token create,
// `coffer unwrap` in its three token placements, single use) and `coffer tools random|hash`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner } from './run-cli.js';

let server: TestServer;
let home: string;
let coffer: ReturnType<typeof cliRunner>;
/** The same runner with no token at all (HOME has no ~/.vault-token either). */
let anonymous: ReturnType<typeof cliRunner>;

const PASSWORD = 'wrapped-hunter22';

before(async () => {
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-wrap-'));
  coffer = cliRunner(home, { COFFER_ADDR: server.address, COFFER_TOKEN: server.rootToken });
  anonymous = cliRunner(home, { COFFER_ADDR: server.address });
  const enable = await coffer(['secrets', 'enable', '-path=secret', '-version=2', 'kv']);
  assert.equal(enable.code, 0, enable.stderr);
  const put = await coffer(['kv', 'put', 'secret/app', `password=${PASSWORD}`, 'user=svc']);
  assert.equal(put.code, 0, put.stderr);
});

after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Wraps a read of secret/data/app and returns the wrapping token. */
async function wrappedRead(ttl = '5m'): Promise<string> {
  const r = await coffer(['read', `-wrap-ttl=${ttl}`, '-field=wrapping_token', 'secret/data/app']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^hvs\.\S+$/);
  return r.stdout;
}

describe('-wrap-ttl', () => {
  it('read prints the wrap_info table and none of the secret', async () => {
    const r = await coffer(['read', '-wrap-ttl=5m', 'secret/data/app']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrapping_token:\s+hvs\.\S+$/m);
    assert.match(r.stdout, /^wrapping_accessor:\s+\S+$/m);
    assert.match(r.stdout, /^wrapping_token_ttl:\s+5m$/m);
    assert.match(r.stdout, /^wrapping_token_creation_time:\s+\d{4}-\d\d-\d\dT/m);
    assert.match(r.stdout, /^wrapping_token_creation_path:\s+secret\/data\/app$/m);
    assert.doesNotMatch(r.stdout, /wrapped_accessor/);
    assert.ok(!r.stdout.includes(PASSWORD));
  });

  it('read -format=json prints the envelope (wrap_info only; the TTL sent as seconds)', async () => {
    const r = await coffer(['read', '-wrap-ttl=1h30m', '-format=json', 'secret/data/app']);
    assert.equal(r.code, 0, r.stderr);
    const env = JSON.parse(r.stdout);
    assert.equal(env.data, null);
    assert.equal(env.auth, null);
    assert.equal(env.wrap_info.ttl, 5400);
    assert.equal(env.wrap_info.creation_path, 'secret/data/app');
    assert.match(env.wrap_info.token, /^hvs\./);
  });

  it('kv get -wrap-ttl wraps only the read (not the mount preflight)', async () => {
    const r = await coffer(['kv', 'get', '-wrap-ttl=2m', '-field=wrapping_token', 'secret/app']);
    assert.equal(r.code, 0, r.stderr);
    const u = await coffer(['unwrap', '-format=json', r.stdout]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(JSON.parse(u.stdout).data.data.password, PASSWORD);
    const table = await coffer(['kv', 'get', '-wrap-ttl=2m', 'secret/app']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^wrapping_token_creation_path:\s+secret\/data\/app$/m);
    assert.doesNotMatch(table.stdout, /Secret Path/);
  });

  it('list -wrap-ttl wraps the key list, and unwrap prints it as a list', async () => {
    const r = await coffer(['list', '-wrap-ttl=1m', '-format=json', 'secret/metadata']);
    assert.equal(r.code, 0, r.stderr);
    const env = JSON.parse(r.stdout);
    assert.equal(env.wrap_info.creation_path, 'secret/metadata/');
    const u = await coffer(['unwrap', env.wrap_info.token]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /^Keys\n----\napp\n$/);
  });

  it('write -wrap-ttl wraps the answer (sys/wrapping/wrap wraps arbitrary data)', async () => {
    const r = await coffer(['write', '-wrap-ttl=1m', '-field=wrapping_token', 'sys/wrapping/wrap', 'note=for-your-eyes']);
    assert.equal(r.code, 0, r.stderr);
    const u = await coffer(['unwrap', '-field=note', r.stdout]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout, 'for-your-eyes');
  });

  it('token create -wrap-ttl shows wrapped_accessor, and the unwrapped token works', async () => {
    const r = await coffer(['token', 'create', '-wrap-ttl=2m', '-policy=default', '-format=json']);
    assert.equal(r.code, 0, r.stderr);
    const wrap = JSON.parse(r.stdout).wrap_info;
    assert.equal(wrap.creation_path, 'auth/token/create');
    assert.ok(wrap.wrapped_accessor);
    const u = await coffer(['unwrap', wrap.token]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /^token\s+hvs\.\S+$/m);
    assert.match(u.stdout, new RegExp(`^token_accessor\\s+${wrap.wrapped_accessor}$`, 'm'));
    const token = /^token\s+(\S+)$/m.exec(u.stdout)![1]!;
    const look = await coffer(['token', 'lookup', '-format=json'], { env: { COFFER_TOKEN: token } });
    assert.equal(look.code, 0, look.stderr);
    const data = JSON.parse(look.stdout).data;
    assert.equal(data.accessor, wrap.wrapped_accessor);
    assert.deepEqual(data.policies, ['default']);
  });

  it('COFFER_WRAP_TTL / VAULT_WRAP_TTL apply to the commands that take -wrap-ttl, and only to them', async () => {
    const r = await coffer(['read', '-format=json', 'secret/data/app'], { env: { VAULT_WRAP_TTL: '90s' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).wrap_info.ttl, 90);
    const flagWins = await coffer(['read', '-wrap-ttl=2m', '-format=json', 'secret/data/app'], { env: { COFFER_WRAP_TTL: '90s' } });
    assert.equal(JSON.parse(flagWins.stdout).wrap_info.ttl, 120);
    const put = await coffer(['kv', 'put', '-format=json', 'secret/other', 'a=b'], { env: { COFFER_WRAP_TTL: '1m' } });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).wrap_info, null);
  });

  it('refuses a bad -wrap-ttl locally with exit 1 and a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['read', '-wrap-ttl=-5m', 'secret/data/app'], /^coffer: error: invalid -wrap-ttl "-5m": negative durations are not allowed$/m],
      [['kv', 'get', '-wrap-ttl', 'soon', 'secret/app'], /^coffer: error: invalid -wrap-ttl "soon": time: invalid duration "soon"$/m],
      [['token', 'create', '-wrap-ttl=0'], /^coffer: error: invalid -wrap-ttl "0": a wrapping token must live at least one second$/m],
      [['list', '-wrap-ttl=500ms', 'secret/metadata'], /^coffer: error: invalid -wrap-ttl "500ms": a wrapping token must live at least one second$/m],
    ];
    const results = await Promise.all(cases.map(([args]) => coffer(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 1, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
      assert.match(r.stderr, /^hint: use a positive duration such as -wrap-ttl=5m/m);
      assert.equal(r.stdout, '');
    });
    const env = await coffer(['read', 'secret/data/app'], { env: { COFFER_WRAP_TTL: '-1h' } });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /invalid -wrap-ttl "-1h"/);
  });
});

describe('coffer unwrap', () => {
  it('with TOKEN (sent in the body, the current token authenticates), then a second time fails', async () => {
    const token = await wrappedRead();
    const u = await coffer(['unwrap', token]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, new RegExp(`^data\\s+map\\[password:${PASSWORD} user:svc\\]$`, 'm'));
    const again = await coffer(['unwrap', token]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^coffer: error: wrapping token is not valid or does not exist \(HTTP 400 on PUT \/v1\/sys\/wrapping\/unwrap\)$/m);
    assert.match(again.stderr, /^hint: a wrapping token can be unwrapped once/m);
    assert.ok(!again.stderr.includes(token), 'the wrapping token is redacted from errors');
    assert.equal(again.stdout, '');
  });

  it('without TOKEN: the current token is the wrapping token; single use', async () => {
    const token = await wrappedRead();
    const u = await coffer(['unwrap', '-field=data'], { env: { COFFER_TOKEN: token } });
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(JSON.parse(u.stdout), { password: PASSWORD, user: 'svc' });
    const again = await coffer(['unwrap'], { env: { COFFER_TOKEN: token } });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /wrapping token is not valid or does not exist/);
    assert.ok(!again.stderr.includes(token));
  });

  it('with TOKEN and no current token: TOKEN authenticates the unwrap; - reads it from stdin', async () => {
    const token = await wrappedRead();
    const u = await anonymous(['unwrap', '-format=json', '-'], { stdin: `${token}\n` });
    assert.equal(u.code, 0, u.stderr);
    const env = JSON.parse(u.stdout);
    assert.equal(env.data.data.user, 'svc');
    assert.equal(env.wrap_info, null);
    const again = await anonymous(['unwrap', token]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /wrapping token is not valid or does not exist/);
  });

  it('with TOKEN equal to the current token sends it once (header only)', async () => {
    const token = await wrappedRead();
    const u = await coffer(['unwrap', '-field=data', token], { env: { COFFER_TOKEN: token } });
    assert.equal(u.code, 0, u.stderr);
    assert.equal(JSON.parse(u.stdout).password, PASSWORD);
  });

  it('an unknown wrapping token, and no token at all', async () => {
    const bogus = await coffer(['unwrap', 'hvs.not-a-real-wrapping-token']);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /wrapping token is not valid or does not exist/);
    const none = await anonymous(['unwrap']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^coffer: error: no wrapping token given$/m);
    assert.match(none.stderr, /^hint: give the wrapping token as an argument/m);
  });
});

describe('coffer tools random', () => {
  it('prints 32 base64 bytes by default, or BYTES in hex/base64', async () => {
    const [def, hex, b64, big] = await Promise.all([
      coffer(['tools', 'random']),
      coffer(['tools', 'random', '-format=hex', '16']),
      coffer(['tools', 'random', '5', '-format=base64']),
      coffer(['tools', 'random', '-format=hex', '131072']),
    ]);
    for (const r of [def, hex, b64, big]) assert.equal(r.code, 0, r.stderr);
    assert.match(def.stdout, /^[A-Za-z0-9+/]+=*\n$/);
    assert.equal(Buffer.from(def.stdout.trim(), 'base64').length, 32);
    assert.match(hex.stdout, /^[0-9a-f]{32}\n$/);
    assert.equal(Buffer.from(b64.stdout.trim(), 'base64').length, 5);
    assert.match(big.stdout, /^[0-9a-f]{262144}\n$/);
    const again = await coffer(['tools', 'random', '-format=hex', '16']);
    assert.notEqual(again.stdout, hex.stdout);
  });

  it('-format is the encoding even when COFFER_FORMAT is set', async () => {
    const r = await coffer(['tools', 'random', '-format=hex', '4'], { env: { COFFER_FORMAT: 'json' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{8}\n$/);
  });

  it('bad byte counts and encodings exit 2 with the server\'s message', async () => {
    const cases: [string[], RegExp][] = [
      [['0'], /number of bytes to generate must be at least 1/],
      [['-1'], /number of bytes to generate must be at least 1/],
      [['131073'], /number of bytes to generate cannot be more than 131072/],
      [['lots'], /error parsing bytes: must be an integer/],
      [['-format=base32', '8'], /unsupported encoding format "base32"/],
    ];
    const results = await Promise.all(cases.map(([args]) => coffer(['tools', 'random', ...args])));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
      assert.match(r.stderr, /\(HTTP 400 on PUT \/v1\/sys\/tools\/random\)/);
      assert.equal(r.stdout, '');
    });
    const usage = await coffer(['tools', 'random', '1', '2']);
    assert.equal(usage.code, 1);
  });
});

describe('coffer tools hash', () => {
  const digest = (alg: string, input: string | Buffer, enc: 'hex' | 'base64' = 'hex') => createHash(alg).update(input).digest(enc);

  it('matches node:crypto for every algorithm, hex by default', async () => {
    const input = 'héllo wörld ✓';
    const algs: [string, string][] = [
      ['sha2-224', 'sha224'], ['sha2-256', 'sha256'], ['sha2-384', 'sha384'], ['sha2-512', 'sha512'],
      ['sha3-224', 'sha3-224'], ['sha3-256', 'sha3-256'], ['sha3-384', 'sha3-384'], ['sha3-512', 'sha3-512'],
    ];
    const results = await Promise.all(algs.map(([vault]) => coffer(['tools', 'hash', `-algorithm=${vault}`, input])));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${digest(algs[i]![1], Buffer.from(input, 'utf8'))}\n`, algs[i]![0]);
    });
    const def = await coffer(['tools', 'hash', 'abc']);
    assert.equal(def.stdout, `${digest('sha256', 'abc')}\n`);
  });

  it('-format=base64, stdin verbatim with -, and an empty input', async () => {
    const [b64, stdin, empty] = await Promise.all([
      coffer(['tools', 'hash', '-format=base64', '-algorithm=sha2-512', 'abc']),
      coffer(['tools', 'hash', '-'], { stdin: 'line one\nline two\n' }),
      coffer(['tools', 'hash', '']),
    ]);
    assert.equal(b64.stdout, `${digest('sha512', 'abc', 'base64')}\n`);
    assert.equal(stdin.stdout, `${digest('sha256', 'line one\nline two\n')}\n`);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, `${digest('sha256', '')}\n`);
  });

  it('a bad algorithm exits 2 with the server\'s message; no INPUT is a usage error', async () => {
    const r = await coffer(['tools', 'hash', '-algorithm=md5', 'secret-input-text']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: unsupported algorithm "md5" \(HTTP 400 on PUT \/v1\/sys\/tools\/hash\)$/m);
    const none = await coffer(['tools', 'hash']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /not enough arguments/);
  });
});

describe('help', () => {
  it('lists unwrap and tools, and -wrap-ttl in the help of the commands that take it', async () => {
    const top = await coffer(['-help']);
    assert.match(top.stdout, /^\s+unwrap\s+/m);
    assert.match(top.stdout, /^\s+tools\s+/m);
    for (const args of [['read'], ['write'], ['list'], ['kv', 'get'], ['token', 'create']]) {
      const h = await coffer([...args, '-help']);
      assert.equal(h.code, 0);
      assert.match(h.stdout, /^\s+-wrap-ttl=DURATION$/m, args.join(' '));
    }
  });
});
