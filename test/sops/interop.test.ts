// Files we write are read by independent implementations:
//   - the npm `sops-decoder` package decrypts every value and verifies the MAC (it only fetches
//     data keys from AWS KMS, so the test adds a KMS entry and answers its Decrypt call from a
//     loopback stand-in that returns the file's data key);
//   - Debian's `age` CLI opens the age stanzas we wrote and yields the data key.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { createKeyServices, recoverDataKey } from '../../src/sops/key-groups.js';
import { loadEncrypted } from '../../src/sops/sops-file.js';
import { baseEnv, hasProgram, newAgeKey, sops, tempDir } from './helpers.js';

const tmp = tempDir();
let env: NodeJS.ProcessEnv;
let age: { identity: string; recipient: string };
before(async () => {
  age = await newAgeKey();
  writeFileSync(join(tmp.dir, 'key.txt'), `${age.identity}\n`);
  env = baseEnv(tmp.dir, { SOPS_AGE_KEY_FILE: join(tmp.dir, 'key.txt') });
});
after(tmp.cleanup);

const JSON_SRC = '{"user": "admin", "password": "p4ss", "port": 5432, "ratio": 0.5, "on": true, "list": ["a", "b"], "nested": {"deep": {"k": "v"}}, "empty": "", "note_unencrypted": "clear"}';
const YAML_SRC = '# comment\nuser: admin\npassword: p4ss # inline\nport: 5432\nlist:\n    - a\n    - b\nnested:\n    deep:\n        k: v\n';

async function dataKeyOf(text: string, format: 'json' | 'yaml'): Promise<Uint8Array> {
  const file = loadEncrypted(new TextEncoder().encode(text), format, 'f');
  return recoverDataKey(file.metadata, createKeyServices(env));
}

async function withFakeKms<T>(dataKey: Uint8Array, fn: () => Promise<T>): Promise<T> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ KeyId: 'arn:aws:kms:us-east-1:123456789012:key/test', Plaintext: Buffer.from(dataKey).toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    return await fn();
  } finally {
    process.env = saved;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

async function decodeWithSopsDecoder(tree: Record<string, unknown>, dataKey: Uint8Array): Promise<unknown> {
  const meta = tree.sops as Record<string, unknown>;
  meta.kms = [{ arn: 'arn:aws:kms:us-east-1:123456789012:key/test', enc: Buffer.from('opaque').toString('base64'), created_at: '2024-01-01T00:00:00Z' }];
  const { decrypt } = await import('sops-decoder');
  return withFakeKms(dataKey, () => decrypt(tree as never));
}

for (const [name, src, parse] of [
  ['i.json', JSON_SRC, (t: string) => JSON.parse(t)],
  ['i.yaml', YAML_SRC, (t: string) => YAML.parse(t)], // comments are encrypted too, and outside the MAC
] as const) {
  test(`sops-decoder decrypts our ${name} output and its MAC check passes`, async () => {
    writeFileSync(join(tmp.dir, name), src);
    const r = await sops(['encrypt', '--age', age.recipient, name], { env, cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const key = await dataKeyOf(r.stdout, name.endsWith('.json') ? 'json' : 'yaml');
    const { sops: _meta, ...data } = (await decodeWithSopsDecoder(parse(r.stdout), key)) as Record<string, unknown>;
    assert.deepEqual(data, parse(src));
  });
}

test('sops-decoder rejects a file whose value we changed (sanity check of the cross-check)', async () => {
  writeFileSync(join(tmp.dir, 'j.json'), JSON_SRC);
  const r = await sops(['encrypt', '--age', age.recipient, 'j.json'], { env, cwd: tmp.dir });
  const key = await dataKeyOf(r.stdout, 'json');
  const tree = JSON.parse(r.stdout);
  tree.note_unencrypted = 'changed';
  await assert.rejects(decodeWithSopsDecoder(tree, key), /Hash mismatch/);
});

test('the age CLI opens our age stanza and yields the 32-byte data key', { skip: !hasProgram('age') && 'age CLI not installed (apt-get install age)' }, async () => {
  writeFileSync(join(tmp.dir, 'a.yaml'), 'k: v\n');
  const r = await sops(['encrypt', '--age', age.recipient, 'a.yaml'], { env, cwd: tmp.dir });
  assert.equal(r.code, 0, r.stderr);
  const meta = YAML.parse(r.stdout).sops as { age: { enc: string; recipient: string }[] };
  assert.equal(meta.age[0]!.recipient, age.recipient);
  const armored = join(tmp.dir, 'stanza.age');
  writeFileSync(armored, meta.age[0]!.enc);
  const out = spawnSync('age', ['--decrypt', '--identity', join(tmp.dir, 'key.txt'), armored]);
  assert.equal(out.status, 0, out.stderr.toString());
  const key = await dataKeyOf(r.stdout, 'yaml');
  assert.equal(out.stdout.length, 32);
  assert.deepEqual(new Uint8Array(out.stdout), key);
});

test('a data key wrapped by the age CLI (as sops would write it) is opened by coffer', { skip: !hasProgram('age') && 'age CLI not installed (apt-get install age)' }, async () => {
  writeFileSync(join(tmp.dir, 'b.yaml'), 'k: v\n');
  const r = await sops(['encrypt', '--age', age.recipient, 'b.yaml'], { env, cwd: tmp.dir });
  const key = await dataKeyOf(r.stdout, 'yaml');
  const wrapped = spawnSync('age', ['--encrypt', '--armor', '--recipient', age.recipient], { input: Buffer.from(key) });
  assert.equal(wrapped.status, 0, wrapped.stderr.toString());
  const doc = YAML.parseDocument(r.stdout);
  doc.setIn(['sops', 'age', 0, 'enc'], wrapped.stdout.toString());
  writeFileSync(join(tmp.dir, 'b.enc.yaml'), doc.toString());
  const d = await sops(['decrypt', 'b.enc.yaml'], { env, cwd: tmp.dir });
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout, 'k: v\n');
});
