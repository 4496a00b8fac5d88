import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACL } from './acl.js';
import type { Operation } from './acl.js';
import { parsePolicy } from './parse.js';
import { DEFAULT_POLICY, RESPONSE_WRAPPING_POLICY } from './builtin.js';

/** One `path` block. */
function r(pattern: string, ...caps: string[]): string {
  return `path "${pattern}" {\n  capabilities = [${caps.map((c) => JSON.stringify(c)).join(', ')}]\n}\n`;
}

function aclOf(...texts: string[]): ACL {
  return new ACL(texts.map((t, i) => parsePolicy(`p${i}`, t)));
}

interface Case {
  name: string;
  /** Each string is one policy. */
  policies: string[];
  path: string;
  op: Operation;
  allowed: boolean;
  /** What sys/capabilities reports for the path (optional). */
  caps?: string[];
}

const cases: Case[] = [
  // Exact and prefix matching (§5.2)
  { name: 'exact rule grants its capability', policies: [r('secret/foo', 'read') + r('secret/*', 'list')], path: 'secret/foo', op: 'read', allowed: true, caps: ['read'] },
  { name: 'exact rule wins over a glob: glob capabilities do not add', policies: [r('secret/foo', 'read') + r('secret/*', 'list')], path: 'secret/foo', op: 'list', allowed: false },
  { name: 'glob covers other paths under the prefix', policies: [r('secret/foo', 'read') + r('secret/*', 'list')], path: 'secret/foobar', op: 'read', allowed: false, caps: ['list'] },
  { name: 'glob secret/* grants listing the mount root secret/', policies: [r('secret/*', 'list')], path: 'secret/', op: 'list', allowed: true, caps: ['list'] },
  { name: 'glob secret/* does not match secret itself', policies: [r('secret/*', 'read')], path: 'secret', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'prefix glob without slash matches the bare name', policies: [r('secret/foo*', 'read')], path: 'secret/foo', op: 'read', allowed: true },
  { name: 'prefix glob matches a longer segment', policies: [r('secret/foo*', 'read')], path: 'secret/food', op: 'read', allowed: true },
  { name: 'prefix glob matches deeper paths', policies: [r('secret/foo*', 'read')], path: 'secret/foo/bar/baz', op: 'read', allowed: true },
  { name: 'a lone * matches everything', policies: [r('*', 'read')], path: 'anything/at/all', op: 'read', allowed: true, caps: ['read'] },
  { name: '* not at the end is a literal character (no match)', policies: [r('secret/*/bar', 'read')], path: 'secret/x/bar', op: 'read', allowed: false },
  { name: '* not at the end is a literal character (literal match)', policies: [r('secret/*/bar', 'read')], path: 'secret/*/bar', op: 'read', allowed: true },
  { name: 'longest prefix wins and capabilities are not unioned', policies: [r('secret/*', 'read', 'list'), r('secret/foo/*', 'update')], path: 'secret/foo/bar', op: 'read', allowed: false, caps: ['update'] },
  { name: 'shorter prefix still applies elsewhere', policies: [r('secret/*', 'read', 'list'), r('secret/foo/*', 'update')], path: 'secret/other', op: 'read', allowed: true, caps: ['list', 'read'] },
  { name: 'no matching rule denies by default', policies: [r('secret/*', 'read')], path: 'kv/foo', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'leading / on the pattern is stripped', policies: [r('/secret/x', 'read')], path: 'secret/x', op: 'read', allowed: true },
  { name: 'leading / on the request path is ignored', policies: [r('secret/x', 'read')], path: '/secret/x', op: 'read', allowed: true },

  // Segment wildcards (+)
  { name: '+ matches exactly one segment', policies: [r('secret/+/teamb', 'read')], path: 'secret/a/teamb', op: 'read', allowed: true },
  { name: '+ does not match two segments', policies: [r('secret/+/teamb', 'read')], path: 'secret/a/b/teamb', op: 'read', allowed: false },
  { name: '+ does not match zero segments', policies: [r('secret/+/teamb', 'read')], path: 'secret/teamb', op: 'read', allowed: false },
  { name: 'several + segments', policies: [r('secret/+/+/teamb', 'read')], path: 'secret/a/b/teamb', op: 'read', allowed: true },
  { name: '+ in the middle of a KV v2 path', policies: [r('kv/data/+/config', 'read')], path: 'kv/data/app1/config', op: 'read', allowed: true },
  { name: '+ pattern without * needs the same number of segments', policies: [r('kv/data/+/config', 'read')], path: 'kv/data/app1/config/x', op: 'read', allowed: false },
  { name: '+ pattern ending in * is a prefix on its last segment', policies: [r('secret/+/foo*', 'read')], path: 'secret/a/foobar/x', op: 'read', allowed: true },
  { name: '+ pattern ending in /* needs at least the pattern segments', policies: [r('secret/+/*', 'read')], path: 'secret/a', op: 'read', allowed: false },
  { name: '+ pattern ending in /* matches below', policies: [r('secret/+/*', 'read')], path: 'secret/a/b/c', op: 'read', allowed: true },
  { name: 'leading + segment', policies: [r('+/config', 'read')], path: 'kv/config', op: 'read', allowed: true },
  { name: 'a lone + matches one segment', policies: [r('+', 'read')], path: 'sys', op: 'read', allowed: true },
  { name: 'a lone + does not match two segments', policies: [r('+', 'read')], path: 'sys/mounts', op: 'read', allowed: false },
  { name: 'a list path with a trailing slash has an extra empty segment', policies: [r('secret/+', 'list')], path: 'secret/a/', op: 'list', allowed: false },
  { name: '+ matches the empty trailing segment of a list path', policies: [r('secret/+/+', 'list')], path: 'secret/a/', op: 'list', allowed: true },
  { name: 'an exact rule beats a + rule', policies: [r('secret/a/teamb', 'read'), r('secret/+/teamb', 'update')], path: 'secret/a/teamb', op: 'update', allowed: false, caps: ['read'] },

  // Priority among wildcard candidates (§5.3 step 4)
  { name: 'spec example: secret/* beats secret/+/+/foo/* (more + loses)', policies: [r('secret/*', 'read'), r('secret/+/+/foo/*', 'update')], path: 'secret/a/b/foo/x', op: 'read', allowed: true, caps: ['read'] },
  { name: 'same first wildcard: a pattern not ending in * beats one that does', policies: [r('secret/*', 'read'), r('secret/+/bar', 'update')], path: 'secret/foo/bar', op: 'update', allowed: true, caps: ['update'] },
  { name: 'later first wildcard wins over earlier +', policies: [r('secret/foo/*', 'read'), r('secret/+/bar', 'update')], path: 'secret/foo/bar', op: 'read', allowed: true, caps: ['read'] },
  { name: 'later + wins over earlier *', policies: [r('secret/*', 'read'), r('secret/foo/+', 'update')], path: 'secret/foo/bar', op: 'update', allowed: true, caps: ['update'] },
  { name: 'fewer + segments win', policies: [r('secret/+/+', 'read'), r('secret/+/b', 'update')], path: 'secret/a/b', op: 'update', allowed: true, caps: ['update'] },
  { name: 'non-glob + pattern beats glob + pattern', policies: [r('secret/+/bc', 'read'), r('secret/+/b*', 'update')], path: 'secret/a/bc', op: 'read', allowed: true, caps: ['read'] },
  { name: 'longer pattern wins', policies: [r('secret/+/abc*', 'read'), r('secret/+/a*', 'update')], path: 'secret/x/abcd', op: 'read', allowed: true, caps: ['read'] },
  { name: 'lexicographically larger pattern wins the final tie', policies: [r('a/+/x/+', 'read'), r('a/+/+/y', 'update')], path: 'a/1/x/y', op: 'read', allowed: true, caps: ['read'] },
  { name: 'only the winning wildcard rule applies (no union)', policies: [r('secret/*', 'read'), r('secret/+/bar', 'update')], path: 'secret/foo/bar', op: 'read', allowed: false },

  // Merging identical patterns (§5.3 step 1) and deny
  { name: 'identical patterns merge: capabilities are OR-ed', policies: [r('secret/*', 'read'), r('secret/*', 'list')], path: 'secret/x', op: 'list', allowed: true, caps: ['list', 'read'] },
  { name: 'identical patterns in one policy merge too', policies: [r('secret/x', 'read') + r('secret/x', 'update')], path: 'secret/x', op: 'update', allowed: true, caps: ['read', 'update'] },
  { name: 'identical + patterns merge', policies: [r('secret/+/x', 'read'), r('secret/+/x', 'delete')], path: 'secret/a/x', op: 'delete', allowed: true, caps: ['delete', 'read'] },
  { name: 'deny in any policy for the same pattern wins', policies: [r('secret/*', 'read', 'list'), r('secret/*', 'deny')], path: 'secret/x', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'deny first, grant later: still deny', policies: [r('secret/*', 'deny'), r('secret/*', 'read')], path: 'secret/x', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'deny in a capability list discards the others', policies: [r('secret/x', 'read', 'sudo', 'deny')], path: 'secret/x', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'exact deny beats a glob grant', policies: [r('secret/*', 'read'), r('secret/private', 'deny')], path: 'secret/private', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'exact deny leaves siblings alone', policies: [r('secret/*', 'read'), r('secret/private', 'deny')], path: 'secret/public', op: 'read', allowed: true },
  { name: 'longer deny prefix beats a shorter grant', policies: [r('secret/*', 'read'), r('secret/private/*', 'deny')], path: 'secret/private/key', op: 'read', allowed: false },
  { name: 'exact grant beats a glob deny (deny is per matched rule)', policies: [r('secret/*', 'deny'), r('secret/pub', 'read')], path: 'secret/pub', op: 'read', allowed: true },
  { name: 'exact and prefix forms of one name are different patterns', policies: [r('secret/foo', 'read'), r('secret/foo*', 'list')], path: 'secret/foo', op: 'list', allowed: false, caps: ['read'] },
  { name: 'a rule with no capabilities denies', policies: [r('secret/x')], path: 'secret/x', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'no policies at all', policies: [], path: 'secret/x', op: 'read', allowed: false, caps: ['deny'] },

  // Operations and LIST trailing slashes
  { name: 'LIST on an exact rule also matches its path with a trailing /', policies: [r('secret/metadata/foo', 'list')], path: 'secret/metadata/foo/', op: 'list', allowed: true, caps: ['list'] },
  { name: 'an exact rule on the list path with its slash', policies: [r('secret/metadata/', 'list')], path: 'secret/metadata/', op: 'list', allowed: true },
  { name: 'a read with a trailing slash does not fall back to the bare exact rule', policies: [r('secret/foo', 'read')], path: 'secret/foo/', op: 'read', allowed: false },
  { name: 'patch needs patch; update does not grant it', policies: [r('secret/x', 'update')], path: 'secret/x', op: 'patch', allowed: false },
  { name: 'patch is granted by patch', policies: [r('secret/x', 'patch')], path: 'secret/x', op: 'patch', allowed: true },
  { name: 'create and update are distinct', policies: [r('secret/x', 'update')], path: 'secret/x', op: 'create', allowed: false },
  { name: 'delete needs delete', policies: [r('secret/x', 'delete')], path: 'secret/x', op: 'delete', allowed: true },
  { name: 'sudo alone grants no operation', policies: [r('sys/audit', 'sudo')], path: 'sys/audit', op: 'read', allowed: false, caps: ['sudo'] },

  // Legacy policy = "…"
  { name: 'legacy write', policies: ['path "secret/*" { policy = "write" }'], path: 'secret/x', op: 'delete', allowed: true, caps: ['create', 'delete', 'list', 'read', 'update'] },
  { name: 'legacy read', policies: ['path "secret/*" { policy = "read" }'], path: 'secret/x', op: 'update', allowed: false, caps: ['list', 'read'] },
  { name: 'legacy sudo', policies: ['path "sys/*" { policy = "sudo" }'], path: 'sys/audit', op: 'read', allowed: true, caps: ['create', 'delete', 'list', 'read', 'sudo', 'update'] },
  { name: 'legacy deny', policies: ['path "secret/*" { policy = "deny" }', r('secret/*', 'read')], path: 'secret/x', op: 'read', allowed: false, caps: ['deny'] },
  { name: 'legacy policy and capabilities are unioned', policies: ['path "secret/*" {\n policy = "read"\n capabilities = ["patch"]\n}'], path: 'secret/x', op: 'patch', allowed: true, caps: ['list', 'patch', 'read'] },
];

test(`precedence table (${cases.length} cases)`, async (t) => {
  assert.ok(cases.length >= 40);
  for (const c of cases) {
    await t.test(c.name, () => {
      const acl = aclOf(...c.policies);
      const res = acl.allowOperation({ path: c.path, operation: c.op });
      assert.equal(res.allowed, c.allowed, `${c.op} ${c.path}: ${res.deniedReason ?? 'allowed'}`);
      assert.equal(res.root, false);
      if (!c.allowed) assert.equal(typeof res.deniedReason, 'string');
      if (c.caps) assert.deepEqual(acl.capabilities(c.path), c.caps);
    });
  }
});

test('root ACL allows everything with sudo and reports ["root"]', () => {
  const root = ACL.root();
  assert.equal(root.isRoot, true);
  for (const operation of ['create', 'read', 'update', 'delete', 'list', 'patch'] as const) {
    assert.deepEqual(root.allowOperation({ path: 'sys/raw/anything', operation, data: { x: 1 } }), { allowed: true, sudo: true, root: true });
  }
  assert.deepEqual(root.capabilities('secret/x'), ['root']);
  assert.equal(aclOf(r('*', 'read')).isRoot, false);
});

test('sudo flag follows the matched rule', () => {
  const acl = aclOf(r('sys/audit', 'read', 'sudo'), r('sys/mounts', 'read'));
  assert.equal(acl.allowOperation({ path: 'sys/audit', operation: 'read' }).sudo, true);
  assert.equal(acl.allowOperation({ path: 'sys/mounts', operation: 'read' }).sudo, false);
  assert.deepEqual(acl.capabilities('sys/audit'), ['read', 'sudo']);
});

test('capabilities lists every granted capability sorted, including Vault-only ones', () => {
  const acl = aclOf(r('secret/*', 'update', 'create', 'read', 'list', 'delete', 'patch', 'sudo', 'subscribe'));
  assert.deepEqual(acl.capabilities('secret/x'), ['create', 'delete', 'list', 'patch', 'read', 'subscribe', 'sudo', 'update']);
});

function allowed(acl: ACL, data: Record<string, unknown> | undefined, operation: Operation = 'update', path = 'secret/x'): boolean {
  return acl.allowOperation({ path, operation, ...(data === undefined ? {} : { data }) }).allowed;
}

test('parameters: allowed_parameters restricts keys and values', () => {
  const acl = aclOf(`path "secret/x" {
    capabilities = ["create", "update", "read", "list"]
    allowed_parameters = {
      "name" = []
      "env" = ["dev", "stage-*", "*-prod"]
      "count" = [1, 2]
      "flag" = [true]
      "tags" = [["a", "b"]]
      "opts" = [{ k = "v" }]
    }
  }`);
  assert.equal(allowed(acl, { name: 'anything at all' }), true);
  assert.equal(allowed(acl, { env: 'dev' }), true);
  assert.equal(allowed(acl, { env: 'stage-3' }), true);
  assert.equal(allowed(acl, { env: 'eu-prod' }), true);
  assert.equal(allowed(acl, { env: 'qa' }), false);
  assert.equal(allowed(acl, { env: 'dev ' }), false);
  assert.equal(allowed(acl, { count: 2 }), true);
  assert.equal(allowed(acl, { count: '2' }), false); // non-strings compare by deep equality
  assert.equal(allowed(acl, { count: 3 }), false);
  assert.equal(allowed(acl, { flag: true }), true);
  assert.equal(allowed(acl, { flag: false }), false);
  assert.equal(allowed(acl, { tags: ['a', 'b'] }), true);
  assert.equal(allowed(acl, { tags: ['b', 'a'] }), false);
  assert.equal(allowed(acl, { opts: { k: 'v' } }), true);
  assert.equal(allowed(acl, { opts: { k: 'v', x: 1 } }), false);
  assert.equal(allowed(acl, { other: 'x' }), false, 'unlisted key');
  assert.equal(allowed(acl, { NAME: 'x' }), true, 'request keys are lower-cased');
  assert.equal(allowed(acl, {}), true, 'no data passes');
  assert.equal(allowed(acl, undefined), true, 'no data passes');
  assert.equal(allowed(acl, { other: 'x' }, 'list'), true, 'not checked for list');
  assert.equal(allowed(acl, { other: 'x' }, 'read'), false, 'checked for read, as Vault does');
  assert.equal(allowed(acl, { other: 'x' }, 'create'), false);
});

test('parameters: "*" in allowed_parameters lets unlisted keys through but listed keys keep their values', () => {
  const acl = aclOf(`path "secret/x" {
    capabilities = ["update", "patch"]
    allowed_parameters = { "*" = [], "env" = ["dev"] }
  }`);
  assert.equal(allowed(acl, { anything: 1 }), true);
  assert.equal(allowed(acl, { env: 'dev', other: 2 }), true);
  assert.equal(allowed(acl, { env: 'prod' }), false);
  assert.equal(allowed(acl, { env: 'prod' }, 'patch'), false);
  assert.equal(allowed(aclOf('path "secret/x" {\n capabilities = ["update"]\n allowed_parameters = { "*" = [] }\n}'), { a: 1, b: 2 }), true);
});

test('parameters: denied_parameters', () => {
  const acl = aclOf(`path "secret/x" {
    capabilities = ["update"]
    denied_parameters = { "admin" = [], "env" = ["prod", "prod-*"], "n" = [null] }
  }`);
  assert.equal(allowed(acl, { admin: false }), false, 'key denied with any value');
  assert.equal(allowed(acl, { env: 'prod' }), false);
  assert.equal(allowed(acl, { env: 'prod-eu' }), false);
  assert.equal(allowed(acl, { env: 'dev' }), true);
  assert.equal(allowed(acl, { n: null }), false, 'null matches only null');
  assert.equal(allowed(acl, { n: 'null' }), true);
  assert.equal(allowed(acl, { Admin: 1 }), false, 'case-insensitive keys');
  assert.equal(allowed(acl, { other: 1 }), true);
  const all = aclOf('path "secret/x" {\n capabilities = ["update"]\n denied_parameters = { "*" = [] }\n}');
  assert.equal(allowed(all, { anything: 1 }), false);
  assert.equal(allowed(all, {}), true, 'no data: nothing to deny');
});

test('parameters: denied beats allowed', () => {
  const acl = aclOf(`path "secret/x" {
    capabilities = ["update"]
    allowed_parameters = { "env" = [] }
    denied_parameters = { "env" = ["prod"] }
  }`);
  assert.equal(allowed(acl, { env: 'dev' }), true);
  assert.equal(allowed(acl, { env: 'prod' }), false);
});

test('parameters: required_parameters', () => {
  const acl = aclOf(`path "secret/x" {
    capabilities = ["create", "update"]
    required_parameters = ["owner", "Team"]
  }`);
  assert.equal(allowed(acl, { owner: 'a', team: 'b' }), true);
  assert.equal(allowed(acl, { owner: 'a' }), false);
  assert.equal(allowed(acl, {}), false, 'required is checked before the no-data shortcut');
  assert.equal(allowed(acl, undefined, 'create'), false);
  assert.equal(acl.allowOperation({ path: 'secret/x', operation: 'update', data: { owner: 1 } }).deniedReason, 'required parameter "Team" is missing');
});

test('parameters: glob values are only leading/trailing, and a lone "*" is literal', () => {
  const acl = aclOf(`path "secret/x" {
    capabilities = ["update"]
    allowed_parameters = { "a" = ["*mid*"], "b" = ["*"], "c" = ["x*y"] }
  }`);
  assert.equal(allowed(acl, { a: 'has mid inside' }), true);
  assert.equal(allowed(acl, { a: 'nothing' }), false);
  assert.equal(allowed(acl, { b: '*' }), true);
  assert.equal(allowed(acl, { b: 'anything' }), false);
  assert.equal(allowed(acl, { c: 'x*y' }), true);
  assert.equal(allowed(acl, { c: 'xzy' }), false);
});

test('parameters merge across policies for the same pattern', () => {
  const p1 = `path "secret/x" {
    capabilities = ["update"]
    allowed_parameters = { "env" = ["dev"], "size" = ["s"], "owner" = [] }
    required_parameters = ["owner"]
  }`;
  const p2 = `path "secret/x" {
    capabilities = ["create"]
    allowed_parameters = { "env" = ["stage"], "size" = [], "owner" = ["bob"], "extra" = ["1"] }
    required_parameters = ["env", "owner"]
  }`;
  const acl = aclOf(p1, p2);
  const ok = (data: Record<string, unknown>, op: Operation = 'update'): boolean => allowed(acl, data, op);
  assert.equal(ok({ owner: 'x', env: 'dev' }), true, 'values concatenated');
  assert.equal(ok({ owner: 'x', env: 'stage' }, 'create'), true, 'capabilities OR-ed');
  assert.equal(ok({ owner: 'x', env: 'prod' }), false);
  assert.equal(ok({ owner: 'x', env: 'dev', size: 'xxl' }), true, 'an empty list in either policy wins');
  assert.equal(ok({ owner: 'anyone', env: 'dev' }), true, 'an empty list in the earlier policy wins too');
  assert.equal(ok({ owner: 'x', env: 'dev', extra: '1' }), true);
  assert.equal(ok({ owner: 'x' }), false, 'required parameters are unioned');
  assert.equal(ok({ env: 'dev' }), false);
});

test('a deny merged into a rule drops its parameter maps and wins', () => {
  const acl = aclOf(
    'path "secret/x" {\n capabilities = ["update"]\n allowed_parameters = { "a" = [] }\n}',
    r('secret/x', 'deny'),
  );
  assert.equal(allowed(acl, { a: 1 }), false);
  assert.deepEqual(acl.capabilities('secret/x'), ['deny']);
});

test('wrapping TTL bounds', () => {
  const acl = aclOf(`path "auth/approle/role/+/secret-id" {
    capabilities = ["update"]
    min_wrapping_ttl = "1s"
    max_wrapping_ttl = "90s"
  }`);
  const check = (wrapTTL?: number): ReturnType<ACL['allowOperation']> =>
    acl.allowOperation({ path: 'auth/approle/role/web/secret-id', operation: 'update', ...(wrapTTL === undefined ? {} : { wrapTTL }) });
  assert.equal(check().allowed, false, 'wrapping is mandatory');
  assert.equal(check().deniedReason, 'response wrapping is required');
  assert.equal(check(60).allowed, true);
  assert.equal(check(1).allowed, true);
  assert.equal(check(90).allowed, true);
  assert.equal(check(91).allowed, false);
  assert.equal(check(0.5).allowed, false);
  assert.equal(check(60).minWrappingTTL, 1);
  assert.equal(check(60).maxWrappingTTL, 90);
  // Merging keeps the lower of each bound, and contradictory merged bounds deny.
  const merged = aclOf(
    'path "secret/x" {\n capabilities = ["read"]\n min_wrapping_ttl = "30s"\n max_wrapping_ttl = "1h"\n}',
    'path "secret/x" {\n capabilities = ["read"]\n min_wrapping_ttl = 10\n max_wrapping_ttl = "20s"\n}',
  );
  const res = merged.allowOperation({ path: 'secret/x', operation: 'read', wrapTTL: 15 });
  assert.equal(res.allowed, true);
  assert.equal(res.minWrappingTTL, 10);
  assert.equal(res.maxWrappingTTL, 20);
  const conflicting = aclOf(
    'path "secret/x" {\n capabilities = ["read"]\n min_wrapping_ttl = "30s"\n}',
    'path "secret/x" {\n capabilities = ["read"]\n max_wrapping_ttl = "20s"\n}',
  );
  assert.equal(conflicting.allowOperation({ path: 'secret/x', operation: 'read', wrapTTL: 25 }).allowed, false);
  // No bounds: wrapping is optional.
  assert.equal(aclOf(r('secret/x', 'read')).allowOperation({ path: 'secret/x', operation: 'read', wrapTTL: 5 }).allowed, true);
});

test('templated paths resolve from the token identity, and drop when they cannot', () => {
  const policy = parsePolicy('t', `
    path "secret/data/{{identity.entity.name}}/*" { capabilities = ["read"] }
    path "secret/data/team/{{identity.entity.metadata.team}}" { capabilities = ["read"] }
    path "kv/{{identity.entity.aliases.auth_userpass_1.name}}/*" { capabilities = ["list"] }
    path "kv/ns/{{ identity.entity.aliases.auth_userpass_1.metadata.ns }}" { capabilities = ["read"] }
    path "groups/{{identity.groups.names.ops.id}}" { capabilities = ["read"] }
    path "groups/meta/{{identity.groups.ids.g1.metadata.region}}" { capabilities = ["read"] }
    path "static/path" { capabilities = ["read"] }
  `);
  assert.equal(policy.templated, true);
  const identity = {
    entity: {
      id: 'e-1', name: 'alice', metadata: { team: 'blue' },
      aliases: [{ mountAccessor: 'auth_userpass_1', id: 'a-1', name: 'alice-login', metadata: { ns: 'prod' } }],
    },
    groups: [{ id: 'g1', name: 'ops', metadata: { region: 'eu' } }],
  };
  const acl = new ACL([policy], { identity });
  assert.deepEqual(acl.capabilities('secret/data/alice/app'), ['read']);
  assert.deepEqual(acl.capabilities('secret/data/bob/app'), ['deny']);
  assert.deepEqual(acl.capabilities('secret/data/team/blue'), ['read']);
  assert.deepEqual(acl.capabilities('kv/alice-login/'), ['list']);
  assert.deepEqual(acl.capabilities('kv/ns/prod'), ['read']);
  assert.deepEqual(acl.capabilities('groups/g1'), ['read']);
  assert.deepEqual(acl.capabilities('groups/meta/eu'), ['read']);
  assert.equal(acl.hasTemplates, true);

  // No identity: templated rules are dropped, the others stay.
  const anonymous = new ACL([policy]);
  assert.deepEqual(anonymous.capabilities('secret/data/alice/app'), ['deny']);
  assert.deepEqual(anonymous.capabilities('static/path'), ['read']);
  // Missing values drop only the rules that need them.
  const partial = new ACL([policy], { identity: { entity: { id: 'e', name: 'carol' } } });
  assert.deepEqual(partial.capabilities('secret/data/carol/x'), ['read']);
  assert.deepEqual(partial.capabilities('secret/data/team/'), ['deny']);
  // Values that would widen the pattern drop the rule.
  for (const name of ['*', 'a/b', '+', '']) {
    const hostile = new ACL([policy], { identity: { entity: { id: 'e', name } } });
    assert.deepEqual(hostile.capabilities('secret/data/x/y'), ['deny'], `entity name ${JSON.stringify(name)}`);
  }
});

test('default policy grants what §5.4 lists and nothing more', () => {
  const policy = parsePolicy('default', DEFAULT_POLICY);
  const acl = new ACL([policy], { identity: { entity: { id: 'ent-1', name: 'alice' } } });
  const expect: Array<[string, string[]]> = [
    ['auth/token/lookup-self', ['read']],
    ['auth/token/renew-self', ['update']],
    ['auth/token/revoke-self', ['update']],
    ['sys/capabilities-self', ['update']],
    ['identity/entity/id/ent-1', ['read']],
    ['identity/entity/name/alice', ['read']],
    ['identity/entity/id/someone-else', ['deny']],
    ['sys/internal/ui/resultant-acl', ['read']],
    ['sys/renew', ['update']],
    ['sys/leases/renew', ['update']],
    ['sys/leases/lookup', ['update']],
    ['cubbyhole/anything', ['create', 'delete', 'list', 'read', 'update']],
    ['cubbyhole/', ['create', 'delete', 'list', 'read', 'update']],
    ['sys/wrapping/wrap', ['update']],
    ['sys/wrapping/lookup', ['update']],
    ['sys/wrapping/unwrap', ['update']],
    ['sys/tools/hash', ['update']],
    ['sys/tools/hash/sha2-512', ['update']],
    ['sys/control-group/request', ['update']],
    ['identity/mfa/method/totp/generate', ['read', 'update']],
    ['identity/oidc/provider/my-provider/authorize', ['read', 'update']],
    ['secret/data/x', ['deny']],
    ['sys/policy', ['deny']],
    ['auth/token/create', ['deny']],
  ];
  for (const [path, caps] of expect) assert.deepEqual(acl.capabilities(path), caps, path);
});

test('response-wrapping policy', () => {
  const acl = new ACL([parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY)]);
  assert.deepEqual(acl.capabilities('cubbyhole/response'), ['create', 'read']);
  assert.deepEqual(acl.capabilities('sys/wrapping/unwrap'), ['update']);
  assert.deepEqual(acl.capabilities('cubbyhole/other'), ['deny']);
});

test('expired rules (OpenBao expiration) are dropped and validUntil reports the next expiry', () => {
  const policy = parsePolicy('e', `
    path "secret/old" {
      capabilities = ["read"]
      expiration = "2020-01-01T00:00:00Z"
    }
    path "secret/soon" {
      capabilities = ["read"]
      expiration = "2030-01-01T00:00:00Z"
    }
  `);
  const now = Date.parse('2025-06-01T00:00:00Z');
  const acl = new ACL([policy], { now });
  assert.deepEqual(acl.capabilities('secret/old'), ['deny']);
  assert.deepEqual(acl.capabilities('secret/soon'), ['read']);
  assert.equal(acl.validUntil, Date.parse('2030-01-01T00:00:00Z'));
  assert.deepEqual(new ACL([policy], { now: Date.parse('2031-01-01T00:00:00Z') }).capabilities('secret/soon'), ['deny']);
});

test('many rules: evaluation stays fast', () => {
  const parts: string[] = [];
  for (let i = 0; i < 2000; i++) parts.push(r(`secret/app${i}/*`, 'read'), r(`kv/+/app${i}`, 'read'));
  const acl = aclOf(parts.join(''));
  const start = performance.now();
  for (let i = 0; i < 500; i++) {
    assert.equal(acl.allowOperation({ path: `secret/app${i}/x`, operation: 'read' }).allowed, true);
    assert.equal(acl.allowOperation({ path: `kv/a/app${i}`, operation: 'read' }).allowed, true);
  }
  assert.ok(performance.now() - start < 3000);
});

test('hasMountAccess: some capability at, below or above the mount path; deny grants nothing', () => {
  const has = (mount: string, ...policies: string[]) => aclOf(...policies).hasMountAccess(mount);
  assert.equal(ACL.root().hasMountAccess('secret/'), true);
  // One exact path deep inside the mount is enough (the least-privilege KV preflight).
  assert.equal(has('secret/', r('secret/data/app', 'read')), true);
  assert.equal(has('secret', r('secret/data/app', 'read')), true);
  assert.equal(has('secret/', r('secret/metadata/*', 'list')), true);
  assert.equal(has('secret/', r('secret/', 'read')), true);
  // Globs covering the mount from above, and '+' rules that can reach it.
  assert.equal(has('secret/', r('sec*', 'read')), true);
  assert.equal(has('secret/', r('*', 'read')), true);
  assert.equal(has('secret/', r('+/data/app', 'read')), true);
  assert.equal(has('secret/', r('secret/+/app', 'read')), true);
  assert.equal(has('team/a/', r('team/+/x', 'read')), true);
  // Nothing under the mount: other mounts, a look-alike name, the path without its slash.
  assert.equal(has('secret/', r('kv/data/app', 'read')), false);
  assert.equal(has('secret/', r('secretive/x', 'read')), false);
  assert.equal(has('secret/', r('kv/+/app', 'read')), false);
  assert.equal(has('secret/', r('secret', 'read')), false);
  assert.equal(has('secret/'), false);
  // Deny grants nothing, and does not cancel another rule's grant elsewhere in the mount.
  assert.equal(has('secret/', r('secret/*', 'deny')), false);
  assert.equal(has('secret/', r('secret/*', 'deny') + r('secret/data/app', 'read')), true);
  assert.equal(has('secret/', r('secret/data/app', 'read'), r('secret/data/app', 'deny')), false);
});
