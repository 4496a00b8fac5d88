import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidRequestError } from '../core/errors.js';
import { MAX_POLICY_LENGTH, decodePolicyText, parsePolicy } from './parse.js';
import { ACL } from './acl.js';

function parseError(text: string, pattern: RegExp): InvalidRequestError {
  try {
    parsePolicy('p', text);
  } catch (err) {
    assert.ok(err instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(err)}`);
    assert.match(err.message, /^failed to parse policy: /);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a parse error for ${JSON.stringify(text.slice(0, 200))}`);
}

const HCL = `
# A policy using every per-path key
name = "ignored"

path "secret/data/app/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
  allowed_parameters = {
    "Env" = ["dev", "stage-*"]
    "*" = []
  }
  denied_parameters = {
    "admin" = []
  }
  required_parameters = ["owner"]
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600
  comment = "app team"
}

path "/sys/audit" {
  capabilities = ["read", "sudo"]
}

path "auth/approle/role/+/secret-id" {
  policy = "write"
  mfa_methods = ["totp"]
  control_group { factor "approvers" { identity { group_names = ["ops"] } } }
}

path "secret/forbidden" {
  capabilities = ["deny", "read"]
}
`;

const JSON_FORM = JSON.stringify({
  name: 'ignored',
  path: {
    'secret/data/app/*': {
      capabilities: ['create', 'read', 'update', 'patch', 'delete', 'list'],
      allowed_parameters: { Env: ['dev', 'stage-*'], '*': [] },
      denied_parameters: { admin: [] },
      required_parameters: ['owner'],
      min_wrapping_ttl: '1m',
      max_wrapping_ttl: 3600,
      comment: 'app team',
    },
    '/sys/audit': { capabilities: ['read', 'sudo'] },
    'auth/approle/role/+/secret-id': { policy: 'write', mfa_methods: ['totp'], control_group: { factor: { approvers: {} } } },
    'secret/forbidden': { capabilities: ['deny', 'read'] },
  },
}, null, 2);

test('HCL and JSON forms parse to the same rules', () => {
  const fromHCL = parsePolicy('p', HCL);
  const fromJSON = parsePolicy('p', JSON_FORM);
  assert.deepEqual(fromHCL.rules, fromJSON.rules);
  assert.equal(fromHCL.text, HCL);
  assert.equal(fromHCL.name, 'p');
  assert.equal(fromHCL.templated, false);
  assert.deepEqual(fromHCL.rules[0], {
    pattern: 'secret/data/app/*',
    capabilities: ['create', 'delete', 'list', 'patch', 'read', 'update'],
    allowedParameters: { env: ['dev', 'stage-*'], '*': [] },
    deniedParameters: { admin: [] },
    requiredParameters: ['owner'],
    minWrappingTTL: 60,
    maxWrappingTTL: 3600,
    templated: false,
  });
  assert.equal(fromHCL.rules[1]!.pattern, 'sys/audit');
  assert.deepEqual(fromHCL.rules[2]!.capabilities, ['create', 'delete', 'list', 'read', 'update']);
  assert.deepEqual(fromHCL.rules[3]!.capabilities, ['deny']);
  // And both evaluate identically.
  const a = new ACL([fromHCL]);
  const b = new ACL([fromJSON]);
  for (const path of ['secret/data/app/x', 'sys/audit', 'auth/approle/role/r/secret-id', 'secret/forbidden', 'other']) {
    assert.deepEqual(a.capabilities(path), b.capabilities(path), path);
  }
});

test('HCL variants Vault accepts: block-form parameter maps, heredoc-free one-liners, path attribute form', () => {
  const blockForm = parsePolicy('p', `path "secret/x" {
    capabilities = ["update"]
    allowed_parameters {
      "a" = []
    }
  }`);
  assert.deepEqual(blockForm.rules[0]!.allowedParameters, { a: [] });
  const oneLine = parsePolicy('p', 'path "a" { capabilities = ["read"] } path "b" { capabilities = ["list"] }');
  assert.deepEqual(oneLine.rules.map((r) => r.pattern), ['a', 'b']);
  const attrForm = parsePolicy('p', 'path = { "a/*" = { capabilities = ["read"] } }');
  assert.deepEqual(attrForm.rules[0]!.capabilities, ['read']);
  // HCL1 JSON's list form
  const listForm = parsePolicy('p', '{"path": [{"a": {"capabilities": ["read"]}}, {"b": {"capabilities": ["list"]}}]}');
  assert.deepEqual(listForm.rules.map((r) => r.pattern), ['a', 'b']);
  // Empty policies are valid and grant nothing.
  assert.deepEqual(parsePolicy('p', '').rules, []);
  assert.deepEqual(parsePolicy('p', '{}').rules, []);
  assert.deepEqual(parsePolicy('p', '# just a comment').rules, []);
});

test('durations: integer seconds, numeric strings and Go durations', () => {
  const ttl = (v: string): [number, number] => {
    const rule = parsePolicy('p', `path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = ${v}\n max_wrapping_ttl = "100h"\n}`).rules[0]!;
    return [rule.minWrappingTTL, rule.maxWrappingTTL];
  };
  assert.deepEqual(ttl('5'), [5, 360000]);
  assert.deepEqual(ttl('"300"'), [300, 360000]);
  assert.deepEqual(ttl('"1h30m"'), [5400, 360000]);
  assert.deepEqual(ttl('"1s"'), [1, 360000]);
  assert.deepEqual(ttl('"2d"'), [172800, 360000]);
  parseError('path "x" {\n min_wrapping_ttl = "soon"\n}', /path "x": invalid min_wrapping_ttl/);
  parseError('path "x" {\n max_wrapping_ttl = "-5s"\n}', /negative/);
  parseError('path "x" {\n max_wrapping_ttl = -5\n}', /max_wrapping_ttl/);
  parseError('path "x" {\n max_wrapping_ttl = true\n}', /max_wrapping_ttl/);
  parseError('path "x" {\n min_wrapping_ttl = "1h"\n max_wrapping_ttl = "1m"\n}', /max_wrapping_ttl cannot be less than min_wrapping_ttl/);
});

test('templated patterns are validated', () => {
  const p = parsePolicy('p', 'path "secret/{{identity.entity.id}}/*" { capabilities = ["read"] }');
  assert.equal(p.templated, true);
  assert.equal(p.rules[0]!.templated, true);
  parseError('path "secret/{{identity.entity.bogus}}" { capabilities = ["read"] }', /unknown template placeholder "\{\{identity.entity.bogus\}\}"/);
  parseError('path "secret/{{time.now}}" { capabilities = ["read"] }', /unknown template placeholder/);
  parseError('path "secret/{{identity.entity.id" { capabilities = ["read"] }', /unbalanced template braces/);
});

test('malformed policies: clear 400s', () => {
  parseError('path "secret/*" {\n  capabilities = ["read", "rwx"]\n}', /path "secret\/\*": invalid capability "rwx"/);
  parseError('path "secret/*" {\n  capabilities = "read"\n}', /"capabilities" must be a list of strings, got string/);
  parseError('path "secret/*" {\n  capabilities = [1]\n}', /"capabilities" must be a list of strings, found number/);
  parseError('path "secret/*" {\n  capabilities = ["read"]\n  capabilites = ["list"]\n}', /path "secret\/\*": invalid key "capabilites" on line 3/);
  parseError('path "secret/*" {\n  nested { a = 1 }\n}', /invalid key "nested" on line 2/);
  parseError('{"path": {"secret/*": {"capabilities": ["read"], "bogus": 1}}}', /path "secret\/\*": invalid key "bogus"$/);
  parseError('\n\npaths "secret/*" { capabilities = ["read"] }', /^failed to parse policy: invalid key "paths" on line 3$/);
  parseError('{"paths": {}}', /invalid key "paths"/);
  parseError('foo = 1', /invalid key "foo" on line 1/);
  parseError('path "secret/*" {\n  policy = "admin"\n}', /invalid policy "admin"/);
  parseError('path "secret/+*" { capabilities = ["read"] }', /invalid use of wildcards \('\+\*' is forbidden\)/);
  parseError('path { capabilities = ["read"] }', /exactly one pattern/);
  parseError('path "a" "b" { capabilities = ["read"] }', /exactly one pattern/);
  parseError('path "a" {\n allowed_parameters = ["x"]\n}', /"allowed_parameters" must be a map/);
  parseError('path "a" {\n allowed_parameters = { "x" = "y" }\n}', /the value for parameter "x" must be a list, got string/);
  parseError('path "a" {\n denied_parameters = 5\n}', /"denied_parameters" must be a map/);
  parseError('path "a" {\n required_parameters = "x"\n}', /"required_parameters" must be a list of strings/);
  parseError('path "a" {\n comment = 5\n}', /"comment" must be a string/);
  parseError('path "a" {\n expiration = "tomorrow"\n}', /"expiration" must be an RFC 3339 timestamp/);
  parseError('path "a" = { capabilities = ["read"] }', /after block labels/);
  parseError('path "a" {\n capabilities = ["read"]\n capabilities = ["list"]\n}', /defined more than once/);
  parseError('{"path": {"a": "read"}}', /path "a": expected an object of settings, got string/);
  parseError('{"path": "x"}', /"path" must be an object/);
  parseError('{"path": {"a": {"capabilities": ["read"]}}', /invalid JSON/);
  parseError('{"name": 5}', /"name" must be a string/);
  parseError('path "secret/*" {\n  capabilities = ["read"\n}', /expected ',' or '\]' at line 3, column 1/);
  parseError('path "secret/*" {\n  capabilities = [read]\n}', /strings must be quoted/);
  parseError('path "secret/*" {', /expected '}'/);
});

test('hostile policies: huge, deeply nested, binary garbage', () => {
  parseError('#'.repeat(MAX_POLICY_LENGTH + 1), /larger than/);
  parseError(`path "a" {\n allowed_parameters = { "x" = ${'['.repeat(100_000)} }\n}`, /nesting deeper/);
  parseError(`{"path": {"a": {"allowed_parameters": {"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}}}`, /JSON nesting deeper than 64/);
  parseError(`${'path "a" {'.repeat(50_000)}`, /nesting deeper/);
  parseError('\u0000\u0001\u0002', /unexpected character/);
  // A large but legal policy parses quickly.
  const parts: string[] = [];
  for (let i = 0; i < 8000; i++) parts.push(`path "secret/app${i}/*" { capabilities = ["read", "list"] }\n`);
  const text = parts.join('');
  assert.ok(text.length < MAX_POLICY_LENGTH);
  const start = performance.now();
  assert.equal(parsePolicy('big', text).rules.length, 8000);
  assert.ok(performance.now() - start < 3000);
  // __proto__ as a parameter name is plain data.
  const proto = parsePolicy('p', 'path "a" {\n capabilities = ["update"]\n allowed_parameters = { "__proto__" = ["x"] }\n}');
  assert.deepEqual(Object.keys(proto.rules[0]!.allowedParameters!), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('parameter names are lower-cased and same-name entries merge', () => {
  const p = parsePolicy('p', '{"path": {"a": {"capabilities": ["update"], "allowed_parameters": {"Env": ["a"], "ENV": ["b"], "X": [], "x": ["c"]}}}}');
  assert.deepEqual(p.rules[0]!.allowedParameters, { env: ['a', 'b'], x: [] });
});

test('deny rules drop their parameter constraints', () => {
  const p = parsePolicy('p', 'path "a" {\n capabilities = ["deny"]\n allowed_parameters = { "x" = [] }\n}');
  assert.deepEqual(p.rules[0]!.capabilities, ['deny']);
  assert.equal(p.rules[0]!.allowedParameters, undefined);
});

test('decodePolicyText: base64 bodies as Vault accepts them', () => {
  const text = 'path "secret/*" { capabilities = ["read"] }';
  assert.equal(decodePolicyText(Buffer.from(text).toString('base64')), text);
  assert.equal(decodePolicyText(text), text);
  assert.equal(decodePolicyText('{}'), '{}');
  assert.equal(decodePolicyText(''), '');
  assert.equal(decodePolicyText(Buffer.from([0xff, 0xfe, 0xfd]).toString('base64')), '//79', 'binary is not text: kept as is');
});

test('fuzz: mutated policies only ever raise InvalidRequestError', () => {
  let seed = 0x5eed;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const pieces = ['{', '}', '[', ']', '"', '=', ',', ':', '\n', '*', '+', '/', 'deny', 'path', '{{', '}}', '"*"', '[]', '1', 'null', '\\', '<<EOF\n', 'capabilities', 'policy', '__proto__'];
  for (const seedText of [HCL, JSON_FORM]) {
    for (let i = 0; i < 1500; i++) {
      const chars = [...seedText];
      const edits = 1 + Math.floor(rand() * 5);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(rand() * (chars.length + 1));
        if (rand() < 0.5) chars.splice(at, 1 + Math.floor(rand() * 3));
        else chars.splice(at, 0, pieces[Math.floor(rand() * pieces.length)]!);
      }
      const text = chars.join('');
      try {
        const policy = parsePolicy('f', text);
        const acl = new ACL([policy]);
        acl.capabilities('secret/data/app/x');
        acl.allowOperation({ path: 'secret/data/app/x', operation: 'update', data: { env: 'dev', owner: 'x' } });
      } catch (err) {
        if (!(err instanceof InvalidRequestError)) assert.fail(`${String(err)} for ${JSON.stringify(text)}`);
        assert.match(err.message, /^failed to parse policy: /);
      }
    }
  }
});
