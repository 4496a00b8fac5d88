import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findConfigFile, matchCreationRule, parseConfig } from './config.js';
import { ConfigError } from './errors.js';

const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';

test('creation rules: flat keys, key groups with merge, threshold, crypt rule', () => {
  const cfg = parseConfig(`creation_rules:
  - path_regex: secrets/.*\\.yaml$
    age: age1aaa, age1bbb
    pgp: [${FP}]
    encrypted_regex: ^(data|stringData)$
    mac_only_encrypted: true
  - path_regex: groups/
    shamir_threshold: 2
    key_groups:
      - age: [age1ccc]
        merge:
          - pgp: [${FP}]
      - hc_vault: [https://vault.example:8200/v1/transit/keys/k]
  - age: age1fallback
`, '/repo/.sops.yaml');
  const r0 = matchCreationRule(cfg, '/repo/secrets/a.yaml')!;
  assert.deepEqual(r0.keyGroups[0]!.map((k) => k.type), ['age', 'age', 'pgp']);
  assert.deepEqual(r0.cryptRule, { kind: 'encrypted_regex', value: '^(data|stringData)$' });
  assert.equal(r0.macOnlyEncrypted, true);
  const r1 = matchCreationRule(cfg, '/repo/groups/x.json')!;
  assert.equal(r1.shamirThreshold, 2);
  assert.deepEqual(r1.keyGroups.map((g) => g.map((k) => k.type)), [['age', 'pgp'], ['hc_vault']]);
  assert.deepEqual(r1.keyGroups[1]![0], { type: 'hc_vault', vaultAddress: 'https://vault.example:8200', enginePath: 'transit', keyName: 'k' });
  assert.equal(matchCreationRule(cfg, '/elsewhere/x.yaml')!.keyGroups[0]![0]!.type, 'age');
});

test('bad regexes, bad YAML and conflicting crypt rules are clear config errors', () => {
  assert.throws(() => parseConfig('creation_rules:\n  - path_regex: "a(b"\n    age: age1x\n', '/r/.sops.yaml'), (e: unknown) => e instanceof ConfigError && /invalid regular expression "a\(b" in \/r\/.sops.yaml: creation_rules\[0\].path_regex/.test(e.message));
  assert.throws(() => parseConfig('creation_rules: [\n', '/r/.sops.yaml'), /invalid YAML/);
  assert.throws(() => parseConfig('creation_rules:\n  - encrypted_regex: a\n    unencrypted_suffix: b\n', '/r/.sops.yaml'), /more than one/);
  assert.throws(() => parseConfig('creation_rules:\n  - pgp: nothex\n', '/r/.sops.yaml'), /40 hex/);
});

test('config discovery walks up from the working directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'coffer-sops-cfg-'));
  try {
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, '.sops.yaml'), 'creation_rules: []\n');
    assert.equal(findConfigFile(join(root, 'a', 'b')), join(root, '.sops.yaml'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
