// Every exit code `coffer sops` can produce, each driven the way a user hits it, against sops' own
// table (getsops/sops cmd/sops/codes/codes.go). docs/sops.md promises "same as sops"; this file is
// where that promise is checked, one failure per code.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../../src/sops/errors.js';
import { baseEnv, cli, newAgeKey, sops, tempDir } from './helpers.js';

/** sops' exit statuses by name, as codes.go defines them. */
const SOPS_CODES: Record<string, number> = {
  ErrorGeneric: 1,
  CouldNotReadInputFile: 2,
  CouldNotWriteOutputFile: 3,
  ErrorDumpingTree: 4,
  ErrorReadingConfig: 5,
  ErrorInvalidKMSEncryptionContextFormat: 6,
  ErrorInvalidSetFormat: 7,
  ErrorConflictingParameters: 8,
  ErrorEncryptingMac: 21,
  ErrorEncryptingTree: 23,
  ErrorDecryptingMac: 24,
  ErrorDecryptingTree: 25,
  CannotChangeKeysFromNonExistentFile: 49,
  MacMismatch: 51,
  MacNotFound: 52,
  ConfigFileNotFound: 61,
  KeyboardInterrupt: 85,
  InvalidTreePathFormat: 91,
  NeedAtLeastOneDocument: 92,
  NoFileSpecified: 100,
  NoEncryptionKeyFound: 111,
  CouldNotRetrieveKey: 128,
  FileHasNotBeenModified: 200,
  NoEditorFound: 201,
  FailedToCompareVersions: 202,
  FileAlreadyEncrypted: 203,
};

const tmp = tempDir();
after(tmp.cleanup);
const dir = tmp.dir;
const SECRET = 'exit-code-secret-7';
let env: NodeJS.ProcessEnv;
let recipient: string;
let encrypted: string;

const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => sops(args, { env: { ...env, ...extra }, cwd: dir });
const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

before(async () => {
  const k = await newAgeKey();
  recipient = k.recipient;
  write('key.txt', `${k.identity}\n`);
  env = baseEnv(dir, { SOPS_AGE_KEY_FILE: join(dir, 'key.txt') });
  write('plain.yaml', `app:\n    token: ${SECRET}\n    other: v2\n    list:\n        - a\n        - b\n`);
  const r = await run(['encrypt', '--age', recipient, 'plain.yaml']);
  assert.equal(r.code, 0, r.stderr);
  encrypted = r.stdout;
  write('enc.yaml', encrypted);
});

/** One failure: its exit code, part of its message, and no secret on either stream. */
async function expectExit(args: string[], code: number, message: RegExp, extra: NodeJS.ProcessEnv = {}) {
  const r = await run(args, extra);
  assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.ok(!r.stderr.includes(SECRET) && (code === 0 || !r.stdout.includes(SECRET)), 'secret leaked');
  return r;
}

describe('coffer sops exit codes', () => {
  it('uses sops numbers for every name it shares with sops', () => {
    const names: Record<keyof typeof ExitCode, string> = {
      generic: 'ErrorGeneric', couldNotReadInputFile: 'CouldNotReadInputFile', couldNotWriteOutputFile: 'CouldNotWriteOutputFile',
      errorDumpingTree: 'ErrorDumpingTree', errorReadingConfig: 'ErrorReadingConfig', invalidSetFormat: 'ErrorInvalidSetFormat',
      conflictingParameters: 'ErrorConflictingParameters', errorEncryptingTree: 'ErrorEncryptingTree', errorDecryptingTree: 'ErrorDecryptingTree',
      cannotChangeKeysFromNonExistentFile: 'CannotChangeKeysFromNonExistentFile', macMismatch: 'MacMismatch',
      invalidTreePathFormat: 'InvalidTreePathFormat', needAtLeastOneDocument: 'NeedAtLeastOneDocument', noFileSpecified: 'NoFileSpecified',
      couldNotRetrieveKey: 'CouldNotRetrieveKey', fileHasNotBeenModified: 'FileHasNotBeenModified', noEditorFound: 'NoEditorFound',
      fileAlreadyEncrypted: 'FileAlreadyEncrypted',
    };
    for (const [ours, theirs] of Object.entries(names)) {
      assert.equal(ExitCode[ours as keyof typeof ExitCode], SOPS_CODES[theirs], `${ours} should be sops' ${theirs}`);
    }
  });

  it('1 ErrorGeneric: not a sops file, a malformed encrypted file, no keys to encrypt with', async () => {
    await expectExit(['decrypt', 'plain.yaml'], 1, /sops metadata not found in plain\.yaml/);
    write('broken.yaml', `${encrypted}\n  : [\n`);
    await expectExit(['decrypt', 'broken.yaml'], 1, /Error unmarshalling input yaml/);
    await expectExit(['encrypt', 'plain.yaml'], 1, /no keys provided through command line options/);
  });

  it('2 CouldNotReadInputFile: plaintext that does not parse, input that cannot be read', async () => {
    write('bad.json', '{"a": 1,}');
    await expectExit(['encrypt', '--age', recipient, 'bad.json'], 2, /Error unmarshalling input json/);
    mkdirSync(join(dir, 'a-directory.yaml'), { recursive: true });
    await expectExit(['decrypt', 'a-directory.yaml'], 2, /is a directory/);
  });

  it('3 CouldNotWriteOutputFile: --output into a directory that does not exist', async () => {
    await expectExit(['decrypt', '--output', join(dir, 'no', 'such', 'dir', 'out.yaml'), 'enc.yaml'], 3, /could not write/);
  });

  it('4 ErrorDumpingTree: a nested value cannot be written as dotenv', async () => {
    await expectExit(['decrypt', '--output-type', 'dotenv', 'enc.yaml'], 4, /Error dumping file: cannot use complex value in dotenv file/);
  });

  it('7 ErrorInvalidSetFormat: set with a value that is not JSON', async () => {
    write('set.yaml', encrypted);
    await expectExit(['set', 'set.yaml', '["app"]["token"]', 'not json'], 7, /Value for set is not valid JSON/);
    assert.equal(readFileSync(join(dir, 'set.yaml'), 'utf8'), encrypted);
  });

  it('8 ErrorConflictingParameters: --in-place with --output', async () => {
    await expectExit(['decrypt', '-i', '--output', 'o.yaml', 'enc.yaml'], 8, /cannot use --in-place and --output/);
  });

  it('25 ErrorDecryptingTree: a tampered, moved or unencrypted value (with or without --ignore-mac)', async () => {
    write('tampered.yaml', encrypted.replace(/(token: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')));
    await expectExit(['decrypt', 'tampered.yaml'], 25, /the value at \["app"\]\["token"\] in tampered\.yaml failed authentication/);
    await expectExit(['decrypt', '--ignore-mac', 'tampered.yaml'], 25, /failed authentication/);
    // A value moved to another key fails its AAD (list items share their list's path, so swapping
    // two items is only caught by the MAC: 51, as in sops).
    const token = /token: (ENC\[[^\]]+\])/.exec(encrypted)![1]!;
    const other = /other: (ENC\[[^\]]+\])/.exec(encrypted)![1]!;
    write('moved.yaml', encrypted.replace(token, 'PLACEHOLDER').replace(other, token).replace('PLACEHOLDER', other));
    await expectExit(['decrypt', 'moved.yaml'], 25, /the value at \["app"\]\["(token|other)"\] in moved\.yaml failed authentication/);
    const items = [...encrypted.matchAll(/- (ENC\[[^\]]+\])/g)].map((m) => m[1]!);
    write('swapped.yaml', encrypted.replace(items[0]!, 'PLACEHOLDER').replace(items[1]!, items[0]!).replace('PLACEHOLDER', items[1]!));
    await expectExit(['decrypt', 'swapped.yaml'], 51, /MAC mismatch/);
    write('slipped.yaml', encrypted.replace(/token: ENC\[[^\]]+\]/, `token: ${SECRET}`));
    await expectExit(['decrypt', 'slipped.yaml'], 25, /is not encrypted/);
    // The real binary hands the code to the shell.
    const shell = cli(['decrypt', 'tampered.yaml'], { env, cwd: dir });
    assert.equal(shell.code, 25, shell.stderr);
    assert.match(shell.stderr, /^coffer: error: the value at \["app"\]\["token"\] in tampered\.yaml failed authentication/);
    // Every command that decrypts reports it the same way.
    await expectExit(['exec-env', 'tampered.yaml', 'true'], 25, /failed authentication/);
    await expectExit(['set', 'tampered.yaml', '["app"]["x"]', '"y"'], 25, /failed authentication/);
  });

  it('51 MacMismatch: a changed clear value, a tampered or missing MAC', async () => {
    write('mm.yaml', `added_unencrypted: x\n${encrypted}`);
    await expectExit(['decrypt', 'mm.yaml'], 51, /mm\.yaml: MAC mismatch/);
    write('badmac.yaml', encrypted.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')));
    await expectExit(['decrypt', 'badmac.yaml'], 51, /Cannot decrypt MAC/);
    write('nomac.yaml', encrypted.replace(/ {4}mac: .*\n/, ''));
    await expectExit(['decrypt', 'nomac.yaml'], 51, /File has no MAC/);
  });

  it('91 InvalidTreePathFormat: an --extract path that is not ["a"][0] syntax', async () => {
    await expectExit(['decrypt', '--extract', 'app.token', 'enc.yaml'], 91, /invalid tree path/);
  });

  it('92 NeedAtLeastOneDocument: encrypting an empty YAML file', async () => {
    write('empty.yaml', '');
    await expectExit(['encrypt', '--age', recipient, 'empty.yaml'], 92, /must contain at least one document/);
  });

  it('100 NoFileSpecified: a file that does not exist, or none at all', async () => {
    await expectExit(['decrypt', 'nope.yaml'], 100, /cannot operate on non-existent file/);
    await expectExit(['encrypt', '--age', recipient], 100, /no file specified/);
  });

  it('128 CouldNotRetrieveKey: no identity opens the data key', async () => {
    await expectExit(['decrypt', 'enc.yaml'], 128, /Failed to get the data key required to decrypt enc\.yaml/, { SOPS_AGE_KEY_FILE: join(dir, 'missing.txt') });
  });

  it('200 FileHasNotBeenModified and 201 NoEditorFound: edit', async () => {
    write('edit.yaml', encrypted);
    await expectExit(['edit', 'edit.yaml'], 200, /File has not changed/, { EDITOR: 'true' });
    await expectExit(['edit', 'edit.yaml'], 201, /could not run the editor "\/nonexistent\/editor"/, { EDITOR: '/nonexistent/editor' });
    assert.equal(readFileSync(join(dir, 'edit.yaml'), 'utf8'), encrypted);
  });

  it('203 FileAlreadyEncrypted: encrypting a sops file again', async () => {
    await expectExit(['encrypt', '--age', recipient, 'enc.yaml'], 203, /top-level entry called 'sops'/);
  });
});
