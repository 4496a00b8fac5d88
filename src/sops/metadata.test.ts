import assert from 'node:assert/strict';
import { test } from 'node:test';
import { macAad, metadataToObject, parseMetadata } from './metadata.js';

test('reads old layouts (kms: null, key order, string numbers) and writes the sorted 3.13 layout', () => {
  const m = parseMetadata({
    kms: null, gcp_kms: null, azure_kv: null,
    lastmodified: '2019-12-10T22:45:55Z', mac: 'ENC[x]',
    pgp: [{ created_at: '2019-12-10T22:45:55Z', enc: 'E', fp: 'FP' }],
    unencrypted_suffix: '_unencrypted', version: '3.5.0', shamir_threshold: '0',
  });
  assert.equal(m.keyGroups.length, 1);
  const out = metadataToObject({ ...m, version: '3.13.2' });
  assert.deepEqual(Object.keys(out), ['lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version']);
  assert.deepEqual(Object.keys((out.pgp as Record<string, unknown>[])[0]!), ['created_at', 'enc', 'fp']);
});

test('cloud KMS entries are kept verbatim (sorted), groups always carry age and hc_vault', () => {
  const m = parseMetadata({
    key_groups: [
      { kms: [{ role: '', enc: 'K', arn: 'arn:aws:kms:us-east-1:1:key/x', created_at: '2020-01-01T00:00:00Z', context: { b: '2', a: '1' } }] },
      { age: [{ recipient: 'age1r', enc: 'A\n' }] },
    ],
    shamir_threshold: 2, lastmodified: '2020-01-01T00:00:00Z', mac: 'm', version: '3.13.2',
  });
  const out = metadataToObject(m) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ['key_groups', 'lastmodified', 'mac', 'shamir_threshold', 'unencrypted_suffix', 'version']);
  const groups = out.key_groups as Record<string, unknown>[];
  assert.deepEqual(Object.keys(groups[0]!), ['age', 'hc_vault', 'kms']);
  assert.deepEqual(groups[0]!.kms, [{ arn: 'arn:aws:kms:us-east-1:1:key/x', aws_profile: '', context: { a: '1', b: '2' }, created_at: '2020-01-01T00:00:00Z', enc: 'K' }]);
  assert.deepEqual(groups[1]!.hc_vault, []);
});

test('no keys, two crypt rules and bad times are load errors', () => {
  assert.throws(() => parseMetadata({ lastmodified: '2020-01-01T00:00:00Z', mac: 'x' }), /No keys found/);
  assert.throws(() => parseMetadata({ age: [{ recipient: 'r', enc: 'e' }], encrypted_regex: 'a', unencrypted_suffix: 'b' }), /more than one/);
  assert.throws(() => parseMetadata({ age: [{ recipient: 'r', enc: 'e' }], lastmodified: 'yesterday' }), /parsing time/);
});

test('MAC AAD is lastmodified re-formatted at seconds precision', () => {
  assert.equal(macAad('2026-05-22T20:16:23Z'), '2026-05-22T20:16:23Z');
  assert.equal(macAad('2026-05-22T20:16:23.123Z'), '2026-05-22T20:16:23Z');
});
