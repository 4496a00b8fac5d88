// Bad input: every case gives a clear message, a non-zero exit (sops's codes where they exist),
// leaves the input file untouched, and never prints a secret value.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { baseEnv, newAgeKey, sops, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
const dir = tmp.dir;
const SECRET = 'do-not-leak-me-42';
let env: NodeJS.ProcessEnv;
let recipient: string;
let encrypted: string;

const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => sops(args, { env: { ...env, ...extra }, cwd: dir });
const hash = (name: string) => createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');

before(async () => {
  const k = await newAgeKey();
  recipient = k.recipient;
  writeFileSync(join(dir, 'key.txt'), `${k.identity}\n`);
  env = baseEnv(dir, { SOPS_AGE_KEY_FILE: join(dir, 'key.txt') });
  writeFileSync(join(dir, 'plain.yaml'), `api:\n    token: ${SECRET}\n    other: value\n`);
  const r = await run(['encrypt', '--age', recipient, 'plain.yaml']);
  assert.equal(r.code, 0, r.stderr);
  encrypted = r.stdout;
});

function assertNoSecret(r: { stdout: string; stderr: string }) {
  assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET), 'secret leaked');
}

test('a tampered value: exit 25 (sops ErrorDecryptingTree) naming the file and the key', async () => {
  const tampered = encrypted.replace(/(token: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'));
  writeFileSync(join(dir, 't1.yaml'), tampered);
  const r = await run(['decrypt', 't1.yaml']);
  assert.equal(r.code, 25);
  assert.match(r.stderr, /^coffer: error: the value at \["api"\]\["token"\] in t1\.yaml failed authentication\nhint: /);
  assertNoSecret(r);
});

test('a value moved to another key fails authentication (AAD is the path)', async () => {
  const lines = encrypted.split('\n');
  const tok = lines.findIndex((l) => l.includes('token:'));
  const oth = lines.findIndex((l) => l.includes('other:'));
  const t = lines[tok]!.split(': ')[1]!;
  lines[tok] = `    token: ${lines[oth]!.split(': ')[1]}`;
  lines[oth] = `    other: ${t}`;
  writeFileSync(join(dir, 't2.yaml'), lines.join('\n'));
  const r = await run(['decrypt', 't2.yaml']);
  assert.equal(r.code, 25);
  assert.match(r.stderr, /t2\.yaml failed authentication/);
});

test('a plaintext value slipped into an encrypted file: exit 25 without echoing it', async () => {
  writeFileSync(join(dir, 't3.yaml'), encrypted.replace(/other: ENC\[[^\]]+\]/, `other: ${SECRET}`));
  const r = await run(['decrypt', 't3.yaml']);
  assert.equal(r.code, 25);
  assert.match(r.stderr, /\["api"\]\["other"\] in t3\.yaml is not encrypted/);
  assertNoSecret(r);
});

test('a tampered MAC, a changed clear value and a missing MAC: exit 51; --ignore-mac recovers', async () => {
  writeFileSync(join(dir, 't4.yaml'), encrypted.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')));
  const r = await run(['decrypt', 't4.yaml']);
  assert.equal(r.code, 51);
  assert.match(r.stderr, /t4\.yaml: Cannot decrypt MAC/);
  writeFileSync(join(dir, 't5.yaml'), encrypted.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2001-01-01T00:00:00Z"'));
  assert.equal((await run(['decrypt', 't5.yaml'])).code, 51);
  writeFileSync(join(dir, 't6.yaml'), `extra_unencrypted: added\n${encrypted}`);
  const mm = await run(['decrypt', 't6.yaml']);
  assert.equal(mm.code, 51);
  assert.match(mm.stderr, /t6\.yaml: MAC mismatch\. File has [0-9A-F]{128}, computed [0-9A-F]{128}/);
  writeFileSync(join(dir, 't7.yaml'), encrypted.replace(/ {4}mac: .*\n/, ''));
  const nomac = await run(['decrypt', 't7.yaml']);
  assert.equal(nomac.code, 51);
  assert.match(nomac.stderr, /File has no MAC/);
  const ignored = await run(['decrypt', '--ignore-mac', 't7.yaml']);
  assert.equal(ignored.code, 0);
  assert.match(ignored.stdout, new RegExp(SECRET));
});

test('no usable key: exit 128 listing each key tried and why it failed', async () => {
  writeFileSync(join(dir, 'k.yaml'), encrypted);
  const other = await newAgeKey();
  writeFileSync(join(dir, 'other.txt'), `${other.identity}\n`);
  const r = await run(['decrypt', 'k.yaml'], { SOPS_AGE_KEY_FILE: join(dir, 'other.txt') });
  assert.equal(r.code, 128);
  assert.match(r.stderr, /Failed to get the data key required to decrypt k\.yaml\./);
  assert.match(r.stderr, new RegExp(`Group 0: FAILED\\n  age ${recipient}: FAILED\\n    - \\| no identity matched the recipient\\. Looked in:`));
  assert.match(r.stderr, /other\.txt \(1 identity\)/);
  assert.ok(!r.stderr.includes(other.identity), 'identity leaked');
  const none = await run(['decrypt', 'k.yaml'], { SOPS_AGE_KEY_FILE: join(dir, 'missing.txt') });
  assert.equal(none.code, 128);
  assert.match(none.stderr, /missing\.txt \(not found\)/);
});

test('SOPS_AGE_KEY and SOPS_AGE_KEY_CMD are identity sources', async () => {
  const id = readFileSync(join(dir, 'key.txt'), 'utf8').trim();
  assert.equal((await run(['decrypt', 'k.yaml'], { SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY: `  ${id}  ` })).code, 0);
  assert.equal((await run(['decrypt', 'k.yaml'], { SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY_CMD: `cat ${join(dir, 'key.txt')}` })).code, 0);
  const bad = await run(['decrypt', 'k.yaml'], { SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY: 'AGE-SECRET-KEY-NOTVALID' });
  assert.equal(bad.code, 128);
  assert.match(bad.stderr, /SOPS_AGE_KEY: line 1 is not a valid age identity/);
  assert.ok(!bad.stderr.includes('NOTVALID'));
});

test('encrypting an already encrypted file: exit 203, file untouched', async () => {
  writeFileSync(join(dir, 'twice.yaml'), encrypted);
  const before = hash('twice.yaml');
  const r = await run(['encrypt', '-i', '--age', recipient, 'twice.yaml']);
  assert.equal(r.code, 203);
  assert.match(r.stderr, /top-level entry called 'sops'/);
  assert.equal(hash('twice.yaml'), before);
});

test('decrypting a file that is not sops-encrypted', async () => {
  const r = await run(['decrypt', 'plain.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sops metadata not found in plain\.yaml\nhint: /);
  assertNoSecret(r);
});

test('invalid YAML, JSON and INI: exit 2 with the parser message, input untouched', async () => {
  const cases: [string, string, RegExp][] = [
    ['bad.yaml', 'a: [1, 2\n', /Error unmarshalling input yaml/],
    ['bad.json', '{"a": 1,}', /Error unmarshalling input json: expected a string key at line 1, column 9/],
    ['bad.ini', '[sec\nk = v\n', /Error unmarshalling input ini: unclosed section at line 1/],
    ['dup.yaml', 'a: 1\na: 2\n', /Error unmarshalling input yaml: mapping key "a" already defined/],
  ];
  for (const [name, text, re] of cases) {
    writeFileSync(join(dir, name), text);
    const r = await run(['encrypt', '-i', '--age', recipient, name]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(readFileSync(join(dir, name), 'utf8'), text);
  }
  writeFileSync(join(dir, 'empty.yaml'), '');
  assert.equal((await run(['encrypt', '--age', recipient, 'empty.yaml'])).code, 92);
});

test('.sops.yaml with a bad regex: clear error naming the file and rule', async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: "([a-z"\n    age: ${recipient}\n`);
    writeFileSync(join(t.dir, 'x.yaml'), 'a: b\n');
    const r = await sops(['encrypt', '-i', 'x.yaml'], { env, cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /coffer: error: invalid regular expression "\(\[a-z" in .*\.sops\.yaml: creation_rules\[0\]\.path_regex/);
    assert.equal(readFileSync(join(t.dir, 'x.yaml'), 'utf8'), 'a: b\n');
    writeFileSync(join(dir, 'rx.yaml'), 'a: b\n');
    const flag = await sops(['encrypt', '--age', recipient, '--encrypted-regex', '(', 'rx.yaml'], { env, cwd: dir });
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /invalid regular expression "\(" in --encrypted-regex/);
  } finally {
    t.cleanup();
  }
});

test('unknown or malformed --extract path: non-zero, clear, input untouched', async () => {
  writeFileSync(join(dir, 'x.yaml'), encrypted);
  const before = hash('x.yaml');
  const r = await run(['decrypt', '--extract', '["api"]["nope"]', 'x.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error truncating tree: component \['nope'\] not found/);
  const bad = await run(['decrypt', '--extract', 'api.token', 'x.yaml']);
  assert.equal(bad.code, 91);
  assert.match(bad.stderr, /invalid tree path/);
  const inPlace = await run(['decrypt', '-i', '--extract', '["missing"]', 'x.yaml']);
  assert.notEqual(inPlace.code, 0);
  assert.equal(hash('x.yaml'), before);
});

test('missing files, conflicting flags, unknown commands', async () => {
  const missing = await run(['decrypt', 'nope.yaml']);
  assert.equal(missing.code, 100);
  assert.match(missing.stderr, /cannot operate on non-existent file/);
  const conflict = await run(['decrypt', '-i', '--output', 'o.yaml', 'k.yaml']);
  assert.equal(conflict.code, 8);
  const noKeys = await run(['encrypt', 'plain.yaml']);
  assert.equal(noKeys.code, 1);
  assert.match(noKeys.stderr, /no keys provided through command line options\nhint: pass --age/);
  const unknown = await run(['frobnicate']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^coffer: error: unknown command 'frobnicate'/);
});
