// End-to-end: `coffer operator rekey` and `coffer operator generate-root` as an operator runs them
// against a real server: keys as arguments and on stdin with -nonce, table and JSON output,
// verification, PGP-encrypted keys made with GnuPG and opened with `gpg --decrypt`, the backup,
// OTP generation and decoding, and the mistakes (missing nonce, nothing in progress, both -otp
// and -pgp-key) with their exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner, ROOT } from './run-cli.js';

const PGP_FIXTURE = join(ROOT, 'test', 'sops', 'fixtures', 'sops_functional_tests_key.asc');
// The sops fixture's RSA-2048 key and its RSA-1024 one (too weak to encrypt to); a second key is
// made by gpg itself (curve25519) in before().
const FP1 = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';
const WEAK = 'D7229043384BCC60326C6FB9D8720D957C3D3074';
let FP2 = '';
const hasGpg = spawnSync('gpg', ['--version'], { stdio: 'ignore' }).status === 0;

let server: TestServer;
let home: string;
let gnupg: string;
let coffer: ReturnType<typeof cliRunner>;
let keys: string[];

/** `gpg --decrypt` of a base64 PGP message (what the CLI prints for PGP-encrypted values). */
function gpgDecrypt(b64: string): string {
  const r = spawnSync('gpg', ['--batch', '--homedir', gnupg, '--decrypt'], { input: Buffer.from(b64, 'base64') });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString('utf8');
}

before(async () => {
  server = await startTestServer({ shares: 3, threshold: 2 });
  keys = server.unsealKeys;
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-recovery-'));
  gnupg = join(home, 'gnupg');
  coffer = cliRunner(home, { COFFER_ADDR: server.address });
  if (hasGpg) {
    mkdirSync(gnupg, { mode: 0o700 });
    const imp = spawnSync('gpg', ['--batch', '--homedir', gnupg, '--import', PGP_FIXTURE], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr);
    const gen = spawnSync('gpg', ['--batch', '--homedir', gnupg, '--passphrase', '', '--quick-gen-key', 'Bob <bob@example.com>', 'future-default', 'default', 'never'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    const list = spawnSync('gpg', ['--batch', '--homedir', gnupg, '--with-colons', '--list-keys', 'bob@example.com'], { encoding: 'utf8' });
    FP2 = /^fpr:+([0-9A-F]{40}):/m.exec(list.stdout)![1]!;
    for (const [fp, file] of [[FP1, 'one.gpg'], [FP2, 'two.asc'], [WEAK, 'weak.gpg']] as const) {
      const args = ['--batch', '--homedir', gnupg, '--output', join(home, file), ...(file.endsWith('.asc') ? ['--armor'] : []), '--export', fp];
      assert.equal(spawnSync('gpg', args).status, 0);
    }
  }
});

after(async () => {
  await server?.stop();
  if (hasGpg) spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { stdio: 'ignore' });
  if (home) rmSync(home, { recursive: true, force: true });
});

const rootEnv = () => ({ env: { COFFER_TOKEN: server.rootToken } });

/** Seals (unless sealed: `coffer status` exits 2 then), unseals with `shares`; whether it opened. */
async function sealAndUnsealWith(shares: string[]): Promise<boolean> {
  if ((await coffer(['status'])).code === 0) assert.equal((await coffer(['operator', 'seal'], rootEnv())).code, 0);
  let sealed = true;
  for (const k of shares) {
    const r = await coffer(['operator', 'unseal', k]);
    if (r.code === 0) sealed = /^Sealed\s+true$/m.test(r.stdout);
  }
  if (sealed) await coffer(['operator', 'unseal', '-reset']);
  return !sealed;
}

describe('coffer operator rekey', () => {
  it('rekeys 2-of-3 into 2-of-4: keys as argument and on stdin, with -nonce; old keys stop working', async () => {
    const init = await coffer(['operator', 'rekey', '-init', '-key-shares=4', '-key-threshold=2']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /WARNING! If you lose the keys/);
    assert.match(init.stdout, /^Started\s+true$/m);
    assert.match(init.stdout, /^Rekey Progress\s+0\/2$/m);
    assert.match(init.stdout, /^New Shares\s+4$/m);
    assert.match(init.stdout, /^New Threshold\s+2$/m);
    const status = JSON.parse((await coffer(['operator', 'rekey', '-status', '-format=json'])).stdout);
    assert.equal(status.started, true);
    const nonce = status.nonce as string;

    const noNonce = await coffer(['operator', 'rekey', keys[0]!]);
    assert.equal(noNonce.code, 1);
    assert.match(noNonce.stderr, /missing nonce value: specify it with -nonce\nhint: the nonce of the current operation is shown by "coffer operator rekey -status"/);
    assert.ok(!noNonce.stderr.includes(keys[0]!));
    const wrong = await coffer(['operator', 'rekey', '-nonce=nope', keys[0]!]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /incorrect nonce supplied/);

    const first = await coffer(['operator', 'rekey', `-nonce=${nonce}`, keys[0]!]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Rekey Progress\s+1\/2$/m);
    const done = await coffer(['operator', 'rekey', `-nonce=${nonce}`, '-'], { stdin: `${keys[2]}\n` });
    assert.equal(done.code, 0, done.stderr);
    const newKeys = [...done.stdout.matchAll(/^Key \d: (\S+)$/gm)].map((m) => m[1]!);
    assert.equal(newKeys.length, 4);
    assert.match(done.stdout, new RegExp(`^Operation nonce: ${nonce}$`, 'm'));
    assert.match(done.stdout, /Coffer rekeyed with 4 key shares and a key threshold of 2/);

    assert.equal(await sealAndUnsealWith(keys.slice(0, 2)), false);
    assert.equal(await sealAndUnsealWith([newKeys[3]!, newKeys[1]!]), true);
    keys = newKeys;
  });

  it('-cancel takes the nonce from the status; nothing in progress is exit 1', async () => {
    assert.equal((await coffer(['operator', 'rekey', '-init', '-key-shares=1', '-key-threshold=1'])).code, 0);
    const c = await coffer(['operator', 'rekey', '-cancel']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /Success! Canceled rekeying/);
    const none = await coffer(['operator', 'rekey', '-nonce=x', keys[0]!]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^coffer: error: no rekey is in progress\nhint: start one with "coffer operator rekey -init"/);
    const bad = await coffer(['operator', 'rekey', '-init', '-key-shares=2', '-key-threshold=3']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /provided threshold greater than the total shares \(HTTP 400 on PUT \/v1\/sys\/rekey\/init\)/);
  });

  it('-init -verify: the new keys must be entered back with -verify before they take effect', async () => {
    const init = JSON.parse((await coffer(['operator', 'rekey', '-init', '-verify', '-key-shares=3', '-key-threshold=2', '-format=json'])).stdout);
    assert.equal(init.verification_required, true);
    let done;
    for (const k of keys.slice(0, 2)) done = await coffer(['operator', 'rekey', `-nonce=${init.nonce}`, k]);
    assert.equal(done!.code, 0, done!.stderr);
    assert.match(done!.stdout, /These will not be active until after verification is complete/);
    const newKeys = [...done!.stdout.matchAll(/^Key \d: (\S+)$/gm)].map((m) => m[1]!);
    const vnonce = /^Verification nonce: (\S+)$/m.exec(done!.stdout)![1]!;
    const vstatus = await coffer(['operator', 'rekey', '-status', '-verify']);
    assert.match(vstatus.stdout, new RegExp(`^Nonce\\s+${vnonce}$`, 'm'));
    assert.match(vstatus.stdout, /^Verification Progress\s+0\/2$/m);
    assert.equal((await coffer(['operator', 'rekey', '-verify', `-nonce=${vnonce}`, newKeys[0]!])).code, 0);
    const restart = await coffer(['operator', 'rekey', '-cancel', '-verify']);
    assert.match(restart.stdout, /Success! Restarted the rekey verification; new verification nonce: (\S+)/);
    const vnonce2 = /new verification nonce: (\S+)/.exec(restart.stdout)![1]!;
    assert.equal((await coffer(['operator', 'rekey', '-verify', `-nonce=${vnonce2}`, newKeys[2]!])).code, 0);
    const ok = await coffer(['operator', 'rekey', '-verify', `-nonce=${vnonce2}`, newKeys[1]!]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Rekey verification successful/);
    assert.equal(await sealAndUnsealWith([newKeys[0]!, newKeys[2]!]), true);
    keys = newKeys;
  });

  it('-pgp-keys from GnuPG exports (binary and armored files) with -backup; gpg opens each key', { skip: !hasGpg && 'gpg not installed' }, async () => {
    const weak = await coffer(['operator', 'rekey', '-init', '-key-shares=2', '-key-threshold=2', `-pgp-keys=${join(home, 'one.gpg')},${join(home, 'weak.gpg')}`]);
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, new RegExp(`pgp_keys\\[1\\]: PGP key ${WEAK.toLowerCase()} cannot be used for encryption`));
    assert.equal(JSON.parse((await coffer(['operator', 'rekey', '-status', '-format=json'])).stdout).started, false);
    const init = await coffer(['operator', 'rekey', '-init', '-key-shares=2', '-key-threshold=2', `-pgp-keys=${join(home, 'one.gpg')},${join(home, 'two.asc')}`, '-backup']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, new RegExp(`^PGP Fingerprints\\s+${FP1.toLowerCase()}, ${FP2.toLowerCase()}$`, 'm'));
    assert.match(init.stdout, /^Backup\s+true$/m);
    const nonce = /^Nonce\s+(\S+)$/m.exec(init.stdout)![1]!;
    let done;
    for (const k of keys.slice(0, 2)) done = await coffer(['operator', 'rekey', `-nonce=${nonce}`, k]);
    assert.equal(done!.code, 0, done!.stderr);
    const lines = [...done!.stdout.matchAll(/^Key \d fingerprint: (\S+); value: (\S+)$/gm)];
    assert.deepEqual(lines.map((m) => m[1]), [FP1.toLowerCase(), FP2.toLowerCase()]);
    assert.match(done!.stdout, /backed up to "core\/unseal-keys-backup"/);
    const shares = lines.map((m) => gpgDecrypt(m[2]!));
    for (const s of shares) assert.match(s, /^[0-9a-f]{66}$/);

    const noToken = await coffer(['operator', 'rekey', '-backup-retrieve']);
    assert.equal(noToken.code, 2);
    const backup = JSON.parse((await coffer(['operator', 'rekey', '-backup-retrieve', '-format=json'], rootEnv())).stdout);
    assert.deepEqual(Object.keys(backup.keys_base64), [FP1.toLowerCase(), FP2.toLowerCase()]);
    assert.equal(gpgDecrypt(backup.keys_base64[FP2.toLowerCase()][0]), shares[1]);
    const del = await coffer(['operator', 'rekey', '-backup-delete'], rootEnv());
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /Success! Deleted stored keys/);
    assert.match((await coffer(['operator', 'rekey', '-backup-retrieve'], rootEnv())).stderr, /no backed-up keys found/);
    assert.equal(await sealAndUnsealWith(shares), true);
    keys = shares;
  });
});

describe('coffer operator generate-root', () => {
  it('-generate-otp, -init -otp, keys with -nonce, -decode: a working root token', async () => {
    const gen = await coffer(['operator', 'generate-root', '-generate-otp']);
    assert.equal(gen.code, 0, gen.stderr);
    const otp = gen.stdout;
    assert.match(otp, /^[0-9A-Za-z]{28}$/);
    const init = await coffer(['operator', 'generate-root', '-init', `-otp=${otp}`]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^Started\s+true$/m);
    assert.match(init.stdout, /^Progress\s+0\/2$/m);
    assert.match(init.stdout, /^OTP Length\s+28$/m);
    const nonce = /^Nonce\s+(\S+)$/m.exec(init.stdout)![1]!;
    const one = await coffer(['operator', 'generate-root', `-nonce=${nonce}`, keys[1]!]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^Progress\s+1\/2$/m);
    const done = await coffer(['operator', 'generate-root', `-nonce=${nonce}`, '-'], { stdin: keys[0]! });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^Complete\s+true$/m);
    const encoded = /^Encoded Token\s+(\S+)$/m.exec(done.stdout)![1]!;
    assert.match(done.stderr, /coffer operator generate-root -decode=ENCODED -otp=OTP/);

    const decoded = await coffer(['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp}`]);
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.match(decoded.stdout, /^hvs\.[0-9A-Za-z]{24}$/);
    const lookup = await server.request('GET', 'auth/token/lookup-self', { token: decoded.stdout });
    assert.deepEqual(lookup.body.data.policies, ['root']);
    const asJson = JSON.parse((await coffer(['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp}`, '-format=json'])).stdout);
    assert.equal(asJson.token, decoded.stdout);
  });

  it('-init without -otp prints the server-generated OTP once, with a warning; -cancel; -status', async () => {
    const init = await coffer(['operator', 'generate-root', '-init']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /A One-Time-Password has been generated for you/);
    assert.match(init.stdout, /^OTP\s+[0-9A-Za-z]{28}$/m);
    const status = await coffer(['operator', 'generate-root', '-status']);
    assert.match(status.stdout, /^Started\s+true$/m);
    assert.doesNotMatch(status.stdout, /^OTP\s+\S{28}$/m);
    const cancel = await coffer(['operator', 'generate-root', '-cancel']);
    assert.equal(cancel.code, 0);
    assert.match(cancel.stdout, /Success! Root token generation canceled/);
    assert.equal(JSON.parse((await coffer(['operator', 'generate-root', '-status', '-format=json'])).stdout).started, false);
  });

  it('mistakes: nothing in progress, both -otp and -pgp-key, -decode without -otp, a bad OTP', async () => {
    const none = await coffer(['operator', 'generate-root', '-nonce=x', keys[0]!]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^coffer: error: no root generation is in progress\nhint: start one with "coffer operator generate-root -init"\nhint: a one-time password given with -otp must be 28 characters long/);
    const both = await coffer(['operator', 'generate-root', '-init', '-otp=x', '-pgp-key=y']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /cannot specify both -otp and -pgp-key/);
    const noOtp = await coffer(['operator', 'generate-root', '-decode=abcd']);
    assert.equal(noOtp.code, 1);
    assert.match(noOtp.stderr, /missing otp: use -otp to supply it/);
    const badDecode = await coffer(['operator', 'generate-root', '-decode=abcd', '-otp=0123456789012345678901234567']);
    assert.equal(badDecode.code, 1);
    assert.match(badDecode.stderr, /error decoding root token: error xoring token: length of byte slices is not equivalent/);
    const shortOtp = await coffer(['operator', 'generate-root', '-init', '-otp=short']);
    assert.equal(shortOtp.code, 2);
    assert.match(shortOtp.stderr, /OTP string is wrong length \(HTTP 400 on PUT \/v1\/sys\/generate-root\/attempt\)/);
  });

  it('-pgp-key from a GnuPG export: gpg decrypts the encoded token', { skip: !hasGpg && 'gpg not installed' }, async () => {
    const init = await coffer(['operator', 'generate-root', '-init', `-pgp-key=${join(home, 'one.gpg')}`, '-format=json']);
    assert.equal(init.code, 0, init.stderr);
    const s = JSON.parse(init.stdout);
    assert.equal(s.pgp_fingerprint, FP1.toLowerCase());
    let done;
    for (const k of keys.slice(0, 2)) done = await coffer(['operator', 'generate-root', `-nonce=${s.nonce}`, k, '-format=json']);
    const out = JSON.parse(done!.stdout);
    assert.equal(out.complete, true);
    const token = gpgDecrypt(out.encoded_token);
    const lookup = await server.request('GET', 'auth/token/lookup-self', { token });
    assert.deepEqual(lookup.body.data.policies, ['root']);
  });
});
