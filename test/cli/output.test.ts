import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Secret } from '../../src/client/client.js';
import { sectionHeader } from '../../src/cli/commands/kv.js';
import { formatValue, humanDuration, keysTable, looksLikeDuration, quotedList, rawField, secretField, secretTable, warningsText } from '../../src/cli/output/format.js';
import { toJson } from '../../src/cli/output/json.js';
import { columns, keyValueTable } from '../../src/cli/output/table.js';
import { toYaml } from '../../src/cli/output/yaml.js';

function secret(over: Partial<Secret>): Secret {
  return { request_id: 'r', lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings: null, auth: null, ...over };
}

describe('durations', () => {
  it('prints seconds as the Vault CLI does', () => {
    assert.equal(humanDuration(0), '0s');
    assert.equal(humanDuration(2764800), '768h');
    assert.equal(humanDuration(90), '1m30s');
    assert.equal(humanDuration(3600), '1h');
    assert.equal(humanDuration(3630), '1h30s');
    assert.equal(humanDuration(3661), '1h1m1s');
    assert.equal(humanDuration(45), '45s');
  });

  it('recognises TTL-looking keys', () => {
    for (const k of ['ttl', 'creation_ttl', 'explicit_max_ttl', 'period', 'token_period', 'lease_duration', 'lease_max', 'ttl_max']) assert.ok(looksLikeDuration(k), k);
    for (const k of ['num_uses', 'ttls', 'version']) assert.ok(!looksLikeDuration(k), k);
  });
});

describe('values', () => {
  it('formats decoded JSON like Go %v', () => {
    assert.equal(formatValue(null), '<nil>');
    assert.equal(formatValue(['a', 1, true]), '[a 1 true]');
    assert.equal(formatValue({ b: 2, a: { c: 'x' } }), 'map[a:map[c:x] b:2]');
    assert.equal(quotedList(['default', 'root']), '["default" "root"]');
    assert.equal(quotedList(null), '[]');
  });

  it('prints -field values raw, structures as JSON', () => {
    assert.equal(rawField('s3cr3t', 'table'), 's3cr3t');
    assert.equal(rawField(3, 'table'), '3');
    assert.equal(rawField({ a: 1 }, 'table'), '{"a":1}');
    assert.equal(rawField(3, 'json'), '3');
    assert.equal(rawField(['a'], 'yaml'), '- a');
  });
});

describe('tables', () => {
  it('aligns columns with four spaces and underlines the header', () => {
    assert.equal(keyValueTable([['foo', 'bar'], ['longer_key', 'v']]),
      'Key           Value\n---           -----\nfoo           bar\nlonger_key    v\n');
    assert.equal(keysTable(['a', 'b/']), 'Keys\n----\na\nb/\n');
  });

  it('shows empty cells as n/a and trims trailing blanks', () => {
    assert.equal(columns([['a', ''], ['bb', 'x']]), 'a     n/a\nbb    x\n');
  });

  it('renders a KV v1 read with refresh_interval and sorted keys', () => {
    const text = secretTable(secret({ lease_duration: 2764800, data: { zeta: 'z', alpha: 'a', ttl: 60 } }));
    assert.equal(text, 'Key                 Value\n---                 -----\nrefresh_interval    768h\nalpha               a\nttl                 1m\nzeta                z\n');
  });

  it('renders auth blocks with token rows, ∞ for non-expiring tokens', () => {
    const text = secretTable(secret({
      auth: { client_token: 'hvs.abc', accessor: 'acc', policies: ['default', 'root'], token_policies: ['root'], identity_policies: null, metadata: { user: 'bob' }, lease_duration: 0, renewable: false },
    }));
    assert.match(text, /^token\s+hvs\.abc$/m);
    assert.match(text, /^token_duration\s+∞$/m);
    assert.match(text, /^token_policies\s+\["root"\]$/m);
    assert.match(text, /^policies\s+\["default" "root"\]$/m);
    assert.match(text, /^token_meta_user\s+bob$/m);
  });

  it('renders leases and warnings', () => {
    const text = secretTable(secret({ lease_id: 'db/creds/x/1', lease_duration: 3600, renewable: true, data: { username: 'u' } }));
    assert.match(text, /^lease_id\s+db\/creds\/x\/1$/m);
    assert.match(text, /^lease_duration\s+1h$/m);
    assert.match(text, /^lease_renewable\s+true$/m);
    assert.equal(warningsText(null), '');
    assert.match(warningsText(['Policy "x" does not exist']), /WARNING!.*\n\n {2}\* Policy "x" does not exist/);
  });

  it('pads section headers with = as the Vault CLI does', () => {
    assert.equal(sectionHeader('Secret Path', []), '== Secret Path ==');
    assert.equal(sectionHeader('Data', ['foo']), '=== Data ===');
    assert.equal(sectionHeader('Data', ['password']), '====== Data ======');
    assert.equal(sectionHeader('Metadata', ['custom_metadata']), '======= Metadata =======');
  });
});

describe('-field lookup', () => {
  const s = secret({
    auth: { client_token: 'hvs.tok', accessor: 'acc', policies: ['default'], metadata: null, lease_duration: 60, renewable: true },
    data: { password: 'pw', token: 'shadowed' },
  });

  it('finds auth pseudo-fields first, then data', () => {
    assert.deepEqual(secretField(s, 'token'), { found: true, value: 'hvs.tok' });
    assert.deepEqual(secretField(s, 'token_duration'), { found: true, value: '1m' });
    assert.deepEqual(secretField(s, 'password'), { found: true, value: 'pw' });
    assert.equal(secretField(s, 'missing').found, false);
  });
});

describe('machine formats', () => {
  it('prints JSON with two-space indent and YAML in block style', () => {
    assert.equal(toJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
    assert.equal(toYaml({ a: [1], b: 'x' }), 'a:\n  - 1\nb: x\n');
  });
});
