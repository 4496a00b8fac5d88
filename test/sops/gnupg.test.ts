// PGP keys from a GnuPG home (GNUPGHOME), exported with `gpg --export[-secret-keys]` and used
// through openpgp: no COFFER_PGP_KEY_FILE involved.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { FIXTURES, FP1, PGP_KEY_FILE, baseEnv, hasProgram, sops, tempDir } from './helpers.js';

const skip = !hasProgram('gpg') && 'gpg not installed (apt-get install gnupg)';
const tmp = tempDir('coffer-gpg-');
const gnupg = join(tmp.dir, 'g');
let env: NodeJS.ProcessEnv;

before(() => {
  if (skip) return;
  mkdirSync(gnupg, { mode: 0o700 });
  const r = spawnSync('gpg', ['--batch', '--homedir', gnupg, '--import', PGP_KEY_FILE], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  env = baseEnv(tmp.dir, { GNUPGHOME: gnupg });
});
after(() => {
  if (!skip) spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { stdio: 'ignore' });
  tmp.cleanup();
});

test('fixtures decrypt with the secret key exported from GNUPGHOME', { skip }, async () => {
  const r = await sops(['decrypt', 'format.enc.yaml'], { env, cwd: FIXTURES });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'foo: bar\n');
});

test('encrypting to a fingerprint uses the public key from GNUPGHOME, and gpg itself can open it', { skip }, async () => {
  writeFileSync(join(tmp.dir, 's.yaml'), 'k: v\n');
  const r = await sops(['encrypt', '--pgp', FP1, 's.yaml'], { env, cwd: tmp.dir });
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(join(tmp.dir, 's.enc.yaml'), r.stdout);
  assert.equal((await sops(['decrypt', 's.enc.yaml'], { env, cwd: tmp.dir })).stdout, 'k: v\n');
  const enc = (YAML.parse(r.stdout) as { sops: { pgp: { enc: string }[] } }).sops.pgp[0]!.enc;
  const g = spawnSync('gpg', ['--batch', '--homedir', gnupg, '--decrypt'], { input: enc });
  assert.equal(g.status, 0, g.stderr.toString());
  assert.equal(g.stdout.length, 32);
});

test('an unknown fingerprint fails clearly at encryption', { skip }, async () => {
  const r = await sops(['encrypt', '--pgp', 'B611A2F9F11D0FF82568805119F9B5DAEA91FF87', 's.yaml'], { env, cwd: tmp.dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PGP B611A2F9F11D0FF82568805119F9B5DAEA91FF87: public key B611A2F9F11D0FF82568805119F9B5DAEA91FF87 not found/);
});
