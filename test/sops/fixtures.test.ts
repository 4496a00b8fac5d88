// Every fixture made by real sops decrypts to its expected plaintext (byte for byte for the
// format.enc.* files), with the MAC verified, using the PGP test key through openpgp.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { join } from 'node:path';
import { FIXTURES, PGP_KEY_FILE, baseEnv, sops, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
const env = baseEnv(tmp.dir, { COFFER_PGP_KEY_FILE: PGP_KEY_FILE });
const run = (args: string[]) => sops(args, { env, cwd: FIXTURES });

const exact: Record<string, string> = {
  'format.enc.yaml': 'foo: bar\n',
  'format.enc.json': '{\n\t"foo": "bar"\n}\n',
  'format.enc.env': 'foo = bar\n',
  'format.enc.ini': '[foo]\nbar = baz\n',
};

for (const [file, expected] of Object.entries(exact)) {
  test(`${file} decrypts exactly`, async () => {
    const r = await run(['decrypt', file]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, expected);
  });
}

test('example.yaml: nested values, PEM block, float, lists, bools, comments, _unencrypted', async () => {
  const r = await run(['decrypt', 'example.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^myapp1: t00m4nys3cr3tzupdated\napp2:\n {4}db:\n {8}user: eve\n {8}password: c4r1b0u\n {8}# private key for secret operations in app2\n/);
  assert.match(r.stdout, /key: \|\n {8}-----BEGIN RSA PRIVATE KEY-----\n/);
  assert.match(r.stdout, /\nnumber: 1\.234568e\+09\n/);
  assert.match(r.stdout, /somebooleans:\n {4}- true\n {4}- false\n/);
  assert.match(r.stdout, / {16}# sops supports unencrypted fields\n/);
  assert.match(r.stdout, /nested_unencrypted:\n {4}this:\n {8}is:\n {12}all: going to remain in clear text\n$/);
  const pw = await run(['decrypt', '--extract', '["app2"]["db"]["password"]', 'example.yaml']);
  assert.equal(pw.stdout, 'c4r1b0u');
});

test('example.json: old metadata layout, float, list of objects, empty string', async () => {
  const r = await run(['decrypt', 'example.json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.equal(v.age, 25.4);
  assert.equal(v.firstName, 'John');
  assert.deepEqual(v.phoneNumbers, [{ number: '212 555-1234', type: 'home' }, { number: '646 555-4567', type: 'office' }]);
  assert.equal(v.anEmptyValue, '');
});

test('example.ini: sections, encrypted section comment, clear _unencrypted value', async () => {
  const r = await run(['decrypt', 'example.ini']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^; An example file for use with sops!\n\[name\]\nfirstName = John\nlastName {2}= Smith\nage {7}= 25\.4\n/);
  assert.match(r.stdout, /\[not private\]\nnotsecret_unencrypted = hi there!\n$/);
});

test('example.txt (binary): exact bytes, ending in two newlines', async () => {
  const r = await run(['decrypt', 'example.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('Welcome to SOPS!\n'));
  assert.ok(r.stdout.endsWith('\n\n') && !r.stdout.endsWith('\n\n\n'));
});

test('the second PGP key alone (RSA-1024, old packet format) also opens example files', async () => {
  // Only D722's secret key: drop FBC7 by giving a key file with the D722 blocks only.
  const { readFileSync, writeFileSync } = await import('node:fs');
  const blocks = readFileSync(PGP_KEY_FILE, 'utf8').match(/-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----/g)!;
  const { readKeysFromBytes } = await import('../../src/sops/keysources/pgp.js');
  let d722 = '';
  for (const b of blocks) {
    const keys = await readKeysFromBytes(new TextEncoder().encode(b));
    if (keys.some((k) => k.getFingerprint().toUpperCase().startsWith('D722'))) d722 = b;
  }
  const only = join(tmp.dir, 'd722.asc');
  writeFileSync(only, d722);
  const r = await sops(['decrypt', 'example.json'], { env: { ...env, COFFER_PGP_KEY_FILE: only }, cwd: FIXTURES });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"firstName": "John"/);
});

test('filestatus reports encrypted fixtures and plain files', async () => {
  assert.equal((await run(['filestatus', 'format.enc.yaml'])).stdout, '{"encrypted":true}\n');
  assert.equal((await run(['filestatus', 'README.md'])).stdout, '{"encrypted":false}\n');
});
