// End-to-end behaviour of the `coffer sops` commands, run in-process with age keys made for the
// test: round trips for every format, rotate/updatekeys/set/unset keeping plaintext, edit with a
// scripted editor, exec-env/exec-file, key groups with Shamir, PGP, and a 10 MB file.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FP1, PGP_KEY_FILE, baseEnv, encStrings, newAgeKey, readText, sops, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
const dir = tmp.dir;
let alice: { identity: string; recipient: string };
let bob: { identity: string; recipient: string };
let env: NodeJS.ProcessEnv;

before(async () => {
  alice = await newAgeKey();
  bob = await newAgeKey();
  writeFileSync(join(dir, 'alice.txt'), `# created: test\n# public key: ${alice.recipient}\n${alice.identity}\n`);
  env = baseEnv(dir, { SOPS_AGE_KEY_FILE: join(dir, 'alice.txt') });
});

const run = (args: string[], extra: NodeJS.ProcessEnv = {}, stdin?: string) => sops(args, { env: { ...env, ...extra }, cwd: dir, stdin });
const write = (name: string, text: string | Uint8Array) => writeFileSync(join(dir, name), text);

const YAML_SRC = `# Database settings
db:
    user: admin # the login
    password: s3cr3t-pässwörd ✓
    port: 5432
    ratio: 0.25
    enabled: true
    created: 2024-01-01T10:00:00Z
    hosts:
        - a.example
        # the second
        - b.example
    cert: |
        -----BEGIN CERT-----
        abc
        -----END CERT-----
public_unencrypted: visible
empty: ""
nothing: null
`;

const PLAIN: Record<string, string> = {
  'p.yaml': YAML_SRC,
  'p.json': '{\n\t"user": "admin",\n\t"n": 42,\n\t"f": 1.5,\n\t"ok": false,\n\t"nested": {\n\t\t"list": [\n\t\t\t1,\n\t\t\t"two",\n\t\t\tnull\n\t\t]\n\t},\n\t"html": "\\u003cb\\u003e"\n}\n',
  'p.env': '# comment\nAPI_KEY=abc123\nMULTI=line1\\nline2\nSPACED =value with spaces\n',
  'p.ini': '[db]\nuser     = admin\npassword = hunter2\n\n[app]\nname = coffer\n',
};

for (const [name, text] of Object.entries(PLAIN)) {
  test(`${name}: encrypt then decrypt gives the plaintext back exactly`, async () => {
    write(name, text);
    const enc = await run(['encrypt', '--age', alice.recipient, name]);
    assert.equal(enc.code, 0, enc.stderr);
    assert.ok(!enc.stdout.includes('hunter2') && !enc.stdout.includes('s3cr3t') && !enc.stdout.includes('abc123'));
    write(`enc-${name}`, enc.stdout);
    const dec = await run(['decrypt', `enc-${name}`]);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stdout, text);
  });
}

test('YAML: values encrypted with types, comments encrypted, _unencrypted and empty left clear, 3.13 metadata', async () => {
  write('t.yaml', YAML_SRC);
  const r = await run(['encrypt', '--age', alice.recipient, 't.yaml']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^#ENC\[AES256_GCM,data:[^,]+,iv:[A-Za-z0-9+/]{43}=,tag:[A-Za-z0-9+/]{22}==,type:comment\]\n/);
  assert.match(out, /port: ENC\[[^\]]+type:int\]/);
  assert.match(out, /ratio: ENC\[[^\]]+type:float\]/);
  assert.match(out, /enabled: ENC\[[^\]]+type:bool\]/);
  assert.match(out, /created: ENC\[[^\]]+type:time\]/);
  assert.match(out, /public_unencrypted: visible\n/);
  assert.match(out, /empty: ""\nnothing: null\n/);
  assert.match(out, /\nsops:\n {4}age:\n {8}- enc: \|\n {14}-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*-----END AGE ENCRYPTED FILE-----\n {10}recipient: age1[a-z0-9]+\n {4}lastmodified: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\n {4}mac: ENC\[[^\]]+type:str\]\n {4}unencrypted_suffix: _unencrypted\n {4}version: 3\.13\.2\n$/);
});

test('multi-document YAML: every document encrypted, sops block in each', async () => {
  write('multi.yaml', 'a: 1\n---\nb: two\n');
  const r = await run(['encrypt', '--age', alice.recipient, 'multi.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/^sops:$/gm)?.length, 2);
  write('multi.enc.yaml', r.stdout);
  assert.equal((await run(['decrypt', 'multi.enc.yaml'])).stdout, 'a: 1\n---\nb: two\n');
});

test('binary: a 10 MB file of random bytes round-trips exactly', async () => {
  const data = new Uint8Array(randomBytes(10 * 1024 * 1024));
  write('big.bin', data);
  const enc = await run(['encrypt', '--age', alice.recipient, '--output', 'big.bin.enc', 'big.bin']);
  assert.equal(enc.code, 0, enc.stderr);
  const dec = await run(['decrypt', '--input-type', 'binary', '--output-type', 'binary', 'big.bin.enc']);
  assert.equal(dec.code, 0, dec.stderr);
  assert.equal(Buffer.compare(Buffer.from(dec.stdoutBytes), Buffer.from(data)), 0);
});

test('--in-place, --output, --extract and output types', async () => {
  write('ip.yaml', 'a:\n    b: secret\n    n: 7\nlist:\n    - x\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 'ip.yaml'])).code, 0);
  assert.match(readText(join(dir, 'ip.yaml')), /b: ENC\[/);
  assert.equal((await run(['decrypt', '--extract', '["a"]["b"]', 'ip.yaml'])).stdout, 'secret');
  assert.equal((await run(['decrypt', '--extract', '["a"]["n"]', 'ip.yaml'])).stdout, '7\n');
  assert.equal((await run(['decrypt', '--extract', "['a']", 'ip.yaml'])).stdout, 'b: secret\nn: 7\n');
  assert.equal((await run(['decrypt', '--extract', '["list"][0]', 'ip.yaml'])).stdout, 'x');
  assert.equal((await run(['decrypt', '--output-type', 'json', 'ip.yaml'])).stdout, '{\n\t"a": {\n\t\t"b": "secret",\n\t\t"n": 7\n\t},\n\t"list": [\n\t\t"x"\n\t]\n}\n');
  assert.equal((await run(['decrypt', '--output', 'ip.out.yaml', 'ip.yaml'])).code, 0);
  assert.equal(readText(join(dir, 'ip.out.yaml')), 'a:\n    b: secret\n    n: 7\nlist:\n    - x\n');
  assert.equal((await run(['decrypt', '-i', 'ip.yaml'])).code, 0);
  assert.equal(readText(join(dir, 'ip.yaml')), 'a:\n    b: secret\n    n: 7\nlist:\n    - x\n');
});

test('stdin needs --filename-override, which also picks the format', async () => {
  const bad = await run(['encrypt', '--age', alice.recipient], {}, 'a: b\n');
  assert.equal(bad.code, 100);
  const r = await run(['encrypt', '--age', alice.recipient, '--filename-override', 'x.json'], {}, '{"a": "b"}');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\{\n\t"a": "ENC\[/);
});

test('.sops.yaml creation rule: keys, encrypted_regex, chosen by path from the working directory', async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: k8s/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${bob.recipient}\n  - age: ${alice.recipient}\n`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(t.dir, 'k8s'));
    writeFileSync(join(t.dir, 'k8s', 's.yaml'), 'kind: Secret\nmetadata:\n    name: x\nstringData:\n    token: t0k3n\n');
    const r = await sops(['encrypt', 'k8s/s.yaml'], { env, cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kind: Secret\nmetadata:\n {4}name: x\nstringData:\n {4}token: ENC\[/);
    assert.ok(r.stdout.includes(bob.recipient) && !r.stdout.includes(alice.recipient));
    assert.match(r.stdout, /encrypted_regex: \^\(data\|stringData\)\$/);
    writeFileSync(join(t.dir, 'other.json'), '{"a": "b"}');
    const r2 = await sops(['encrypt', 'other.json'], { env, cwd: t.dir });
    assert.ok(r2.stdout.includes(alice.recipient));
  } finally {
    t.cleanup();
  }
});

test('set and unset change one value; every other ciphertext stays identical', async () => {
  write('s.yaml', 'a: one\nb: two\nnested:\n    c: three\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 's.yaml'])).code, 0);
  const before = encStrings(readText(join(dir, 's.yaml')));
  const r = await run(['set', 's.yaml', '["b"]', '"TWO"']);
  assert.equal(r.code, 0, r.stderr);
  const afterSet = encStrings(readText(join(dir, 's.yaml')));
  assert.equal(afterSet[0], before[0]);
  assert.notEqual(afterSet[1], before[1]);
  assert.equal(afterSet[2], before[2]);
  assert.equal((await run(['decrypt', '--extract', '["b"]', 's.yaml'])).stdout, 'TWO');
  assert.equal((await run(['set', 's.yaml', '["new"]["deep"]', '{"x": [1, true]}'])).code, 0);
  assert.equal((await run(['decrypt', 's.yaml'])).stdout, 'a: one\nb: TWO\nnested:\n    c: three\nnew:\n    deep:\n        x:\n            - 1\n            - true\n');
  assert.equal((await run(['unset', 's.yaml', '["new"]'])).code, 0);
  assert.equal((await run(['decrypt', 's.yaml'])).stdout, 'a: one\nb: TWO\nnested:\n    c: three\n');
  const missing = await run(['unset', 's.yaml', '["nope"]']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Key not found: nope/);
  assert.equal((await run(['unset', '--idempotent', 's.yaml', '["nope"]'])).code, 0);
  const badJson = await run(['set', 's.yaml', '["b"]', 'not json']);
  assert.equal(badJson.code, 7);
});

test('rotate: new data key, every value re-encrypted, plaintext unchanged; --add-age/--rm-age', async () => {
  write('r.yaml', 'a: one\nb: 2\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 'r.yaml'])).code, 0);
  const before = readText(join(dir, 'r.yaml'));
  const r = await run(['rotate', '-i', '--add-age', bob.recipient, 'r.yaml']);
  assert.equal(r.code, 0, r.stderr);
  const after = readText(join(dir, 'r.yaml'));
  for (const e of encStrings(before)) assert.ok(!after.includes(e));
  assert.ok(after.includes(bob.recipient));
  assert.equal((await run(['decrypt', 'r.yaml'])).stdout, 'a: one\nb: 2\n');
  write('bob.txt', `${bob.identity}\n`);
  assert.equal((await run(['decrypt', 'r.yaml'], { SOPS_AGE_KEY_FILE: join(dir, 'bob.txt') })).stdout, 'a: one\nb: 2\n');
  assert.equal((await run(['rotate', '-i', '--rm-age', bob.recipient, 'r.yaml'])).code, 0);
  assert.ok(!readText(join(dir, 'r.yaml')).includes(bob.recipient));
  assert.equal((await run(['decrypt', 'r.yaml'], { SOPS_AGE_KEY_FILE: join(dir, 'bob.txt') })).code, 128);
});

test('updatekeys: re-wraps the same data key for the rule\'s keys; values, MAC and lastmodified untouched', async () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'u.yaml'), 'secret: value\n');
    assert.equal((await sops(['encrypt', '-i', '--age', alice.recipient, 'u.yaml'], { env, cwd: t.dir })).code, 0);
    const before = readText(join(t.dir, 'u.yaml'));
    writeFileSync(join(t.dir, '.sops.yaml'), `creation_rules:\n  - age: ${alice.recipient},${bob.recipient}\n`);
    const r = await sops(['updatekeys', '-y', 'u.yaml'], { env, cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`\\+\\+\\+ age ${bob.recipient}`));
    const after = readText(join(t.dir, 'u.yaml'));
    assert.deepEqual(encStrings(after), encStrings(before)); // values and MAC identical
    assert.equal(after.match(/lastmodified: .*/)![0], before.match(/lastmodified: .*/)![0]);
    writeFileSync(join(t.dir, 'bob.txt'), `${bob.identity}\n`);
    const asBob = await sops(['decrypt', 'u.yaml'], { env: { ...env, SOPS_AGE_KEY_FILE: join(t.dir, 'bob.txt') }, cwd: t.dir });
    assert.equal(asBob.stdout, 'secret: value\n');
    const again = await sops(['updatekeys', '-y', 'u.yaml'], { env, cwd: t.dir });
    assert.match(again.stderr, /already up to date/);
    // Without -y, a "n" answer leaves the file alone.
    writeFileSync(join(t.dir, '.sops.yaml'), `creation_rules:\n  - age: ${alice.recipient}\n`);
    const no = await sops(['updatekeys', 'u.yaml'], { env, cwd: t.dir, stdin: 'n\n' });
    assert.equal(no.code, 0);
    assert.equal(readText(join(t.dir, 'u.yaml')), after);
  } finally {
    t.cleanup();
  }
});

test('key groups with a Shamir threshold: 2 of 3 groups suffice, 1 does not', async () => {
  const carol = await newAgeKey();
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, '.sops.yaml'), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${alice.recipient}]\n      - age: [${bob.recipient}]\n      - age: [${carol.recipient}]\n`);
    writeFileSync(join(t.dir, 'g.yaml'), 'k: shared secret\n');
    const r = await sops(['encrypt', '-i', 'g.yaml'], { env, cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    const text = readText(join(t.dir, 'g.yaml'));
    assert.match(text, /key_groups:\n {8}- age:\n/);
    assert.match(text, /shamir_threshold: 2\n/);
    const two = await sops(['decrypt', 'g.yaml'], { env: { ...env, SOPS_AGE_KEY: `${alice.identity}\n${carol.identity}`, SOPS_AGE_KEY_FILE: '' }, cwd: t.dir });
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, 'k: shared secret\n');
    const one = await sops(['decrypt', 'g.yaml'], { env, cwd: t.dir });
    assert.equal(one.code, 128);
    assert.match(one.stderr, /Group 0: SUCCESS\nGroup 1: FAILED/);
    assert.match(one.stderr, /Shamir threshold of 2, but only 1 part/);
  } finally {
    t.cleanup();
  }
});

test('PGP keys through openpgp: encrypt to FBC7…, decrypt with the key file', async () => {
  write('pgp.yaml', 'token: abc\n');
  const penv = { COFFER_PGP_KEY_FILE: PGP_KEY_FILE };
  const r = await run(['encrypt', '--pgp', FP1.replace(/(.{4})/g, '$1 '), 'pgp.yaml'], penv);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pgp:\n {8}- created_at: "[^"]+"\n {10}enc: \|-\n {14}-----BEGIN PGP MESSAGE-----\n[\s\S]+-----END PGP MESSAGE-----\n {10}fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n/);
  write('pgp.enc.yaml', r.stdout);
  assert.equal((await run(['decrypt', 'pgp.enc.yaml'], penv)).stdout, 'token: abc\n');
  const bad = await run(['encrypt', '--pgp', 'XYZ', 'pgp.yaml'], penv);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /40 hex/);
});

test('edit: 0600 file in a private directory, removed afterwards; unchanged values keep ciphertext', async () => {
  write('e.yaml', 'keep: same\nchange: old\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 'e.yaml'])).code, 0);
  const before = encStrings(readText(join(dir, 'e.yaml')));
  const log = join(dir, 'editor.log');
  const editor = join(dir, 'editor.sh');
  writeFileSync(editor, `#!/bin/sh\nstat -c '%a' "$1" > "${log}"\nstat -c '%a' "$(dirname "$1")" >> "${log}"\necho "$1" >> "${log}"\nsed -i 's/old/new/' "$1"\n`);
  chmodSync(editor, 0o755);
  const r = await run(['edit', 'e.yaml'], { EDITOR: editor });
  assert.equal(r.code, 0, r.stderr);
  const [fileMode, dirMode, tmpPath] = readText(log).trim().split('\n');
  assert.equal(fileMode, '600');
  assert.equal(dirMode, '700');
  assert.ok(tmpPath!.endsWith('/e.yaml'));
  assert.ok(!existsSync(tmpPath!), 'temp file removed');
  const after = encStrings(readText(join(dir, 'e.yaml')));
  assert.equal(after[0], before[0]);
  assert.notEqual(after[1], before[1]);
  assert.equal((await run(['decrypt', 'e.yaml'])).stdout, 'keep: same\nchange: new\n');
  const unchanged = await run(['edit', 'e.yaml'], { EDITOR: 'true' });
  assert.equal(unchanged.code, 200);
  assert.match(unchanged.stderr, /File has not changed/);
});

test('edit: invalid result leaves the file untouched (non-interactive)', async () => {
  write('e2.yaml', 'a: b\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 'e2.yaml'])).code, 0);
  const before = readText(join(dir, 'e2.yaml'));
  const editor = join(dir, 'bad-editor.sh');
  writeFileSync(editor, '#!/bin/sh\necho "a: [unclosed" > "$1"\n');
  chmodSync(editor, 0o755);
  const r = await run(['edit', 'e2.yaml'], { EDITOR: editor });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Error unmarshalling input yaml/);
  assert.equal(readText(join(dir, 'e2.yaml')), before);
});

test('exec-env exposes top-level values; exec-file passes plaintext through a pipe or a tmpfs file', async () => {
  write('x.yaml', 'password: "p@ss word"\ncount: 3\nbar: |-\n    baz\n    bam\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 'x.yaml'])).code, 0);
  const out = join(dir, 'exec.out');
  const r = await run(['exec-env', 'x.yaml', `printf '%s|%s|%s' "$password" "$count" "$bar" > ${out}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readText(out), 'p@ss word|3|baz\nbam');
  assert.equal((await run(['exec-env', 'x.yaml', 'exit 7'])).code, 7);
  const pristine = await run(['exec-env', '--pristine', 'x.yaml', `printf '%s' "\${HOME:-unset}" > ${out}`]);
  assert.equal(pristine.code, 0);
  assert.equal(readText(out), 'unset');

  const f = await run(['exec-file', '--output-type', 'json', 'x.yaml', `cat {} > ${out}`]);
  assert.equal(f.code, 0, f.stderr);
  assert.equal(readText(out), '{\n\t"password": "p@ss word",\n\t"count": 3,\n\t"bar": "baz\\nbam"\n}\n');
  if (existsSync('/dev/shm')) {
    const nf = await run(['exec-file', '--no-fifo', 'x.yaml', `stat -c '%a %n' {} > ${out}; cat {} >> ${out}`]);
    assert.equal(nf.code, 0, nf.stderr);
    const [first, ...rest] = readText(out).split('\n');
    const [mode, path] = first!.split(' ');
    assert.equal(mode, '600');
    assert.ok(path!.startsWith('/dev/shm/'));
    assert.ok(!existsSync(path!), 'plaintext file removed');
    assert.equal(rest.join('\n'), 'password: p@ss word\ncount: 3\nbar: |-\n    baz\n    bam\n');
  }
});

test('files with cloud KMS keys: usable through age, KMS metadata kept on rewrite', async () => {
  write('k.yaml', 'a: b\n');
  const enc = await run(['encrypt', '--age', alice.recipient, 'k.yaml']);
  const kmsBlock = '    kms:\n        - arn: arn:aws:kms:us-east-1:123456789012:key/abc\n          aws_profile: ""\n          created_at: "2024-01-01T00:00:00Z"\n          enc: AQICAHhFAKE\n';
  write('k.enc.yaml', enc.stdout.replace('    lastmodified:', `${kmsBlock}    lastmodified:`));
  assert.equal((await run(['decrypt', 'k.enc.yaml'])).stdout, 'a: b\n');
  assert.equal((await run(['set', 'k.enc.yaml', '["a"]', '"c"'])).code, 0);
  assert.ok(readText(join(dir, 'k.enc.yaml')).includes(kmsBlock));
  const noAge = await run(['decrypt', 'k.enc.yaml'], { SOPS_AGE_KEY_FILE: '' });
  assert.equal(noAge.code, 128);
  assert.match(noAge.stderr, /AWS KMS arn:aws:kms:us-east-1:123456789012:key\/abc: FAILED/);
  assert.match(noAge.stderr, /AWS KMS keys are not supported by coffer sops/);
  const rot = await run(['rotate', 'k.enc.yaml']);
  assert.equal(rot.code, 1);
  assert.match(rot.stderr, /cannot wrap a new data key/);
});

test('mac_only_encrypted and encrypted_suffix are honoured and round-trip', async () => {
  write('m.yaml', 'token_secret: a\nname: clear\n');
  const r = await run(['encrypt', '--encrypted-suffix', '_secret', '--mac-only-encrypted', '--age', alice.recipient, 'm.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /token_secret: ENC\[.*\nname: clear\n/);
  assert.match(r.stdout, /encrypted_suffix: _secret\n/);
  assert.match(r.stdout, /mac_only_encrypted: true\n/);
  write('m.enc.yaml', r.stdout);
  assert.equal((await run(['decrypt', 'm.enc.yaml'])).stdout, 'token_secret: a\nname: clear\n');
  // With mac_only_encrypted, clear values may change without breaking the MAC.
  write('m.enc.yaml', r.stdout.replace('name: clear', 'name: other'));
  assert.equal((await run(['decrypt', 'm.enc.yaml'])).code, 0);
});

test('edit: Ctrl+C (SIGINT) while the editor runs belongs to the editor; the edit still completes', async () => {
  const { cli } = await import('./helpers.js');
  write('sig.yaml', 'v: before\n');
  assert.equal((await run(['encrypt', '-i', '--age', alice.recipient, 'sig.yaml'])).code, 0);
  const editor = join(dir, 'sig-editor.sh');
  writeFileSync(editor, '#!/bin/sh\nkill -INT $PPID\nsleep 0.2\nsed -i "s/before/after/" "$1"\n');
  chmodSync(editor, 0o755);
  const r = cli(['edit', 'sig.yaml'], { env: { ...env, EDITOR: editor }, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await run(['decrypt', 'sig.yaml'])).stdout, 'v: after\n');
});
