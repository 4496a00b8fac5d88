// JSON null means "not set" on every field of every endpoint (spec §1.1), checked by a test generated
// from the servers' own path tables: for every path of every mounted backend type (and the bare
// sys/init and sys/unseal) and every operation that takes a body, the same request is sent to two
// identical servers, to one with every optional field set to null and to the other with those fields
// left out. The two must answer alike (status and error messages). That is how a null/type error is
// told apart from a legitimate refusal: "missing required field", "no mount at…", "backend type must be
// specified" come back the same whether the field is null or absent, while a 400 caused by the null
// itself shows up only on the null side. And a real client: python3-hvac's sys.initialize(), which
// sends "root_token_pgp_key": null, initialises an uninitialised server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BARE_FIELDS } from '../../src/sys/bare.js';
import type { FieldSchema } from '../../src/framework/field-types.js';
import type { Operation, PathDescription } from '../../src/framework/types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../../..');

/** Types every server mounts itself; the others are mounted by the test, one mount per type. */
const BUILTIN_TYPES = new Set(['system', 'token', 'cubbyhole']);
const SAMPLE = 'nulltest';
/** Capture values that must name something that exists for the handler to get past its first check. */
const CAPTURE_OVERRIDES: Record<string, Record<string, string>> = {
  'sys/mounts/(?<path>.+?)/tune/?': { path: 'kv2' },
  'sys/auth/(?<path>.+?)/tune/?': { path: 'token' },
};
/**
 * Well-formed values for the fields a handler needs before it looks at the others, sent identically to
 * both servers (every other declared field is null on one side): they take the probe past "missing X"
 * into the code that reads the optional fields.
 */
const BASE_BODIES: Record<string, Record<string, unknown>> = {
  'sys/mounts/(?<path>.+)': { type: 'kv' },
  'sys/policy/(?<name>.+)': { policy: 'path "x/*" { capabilities = ["read"] }' },
  'sys/policies/acl/(?<name>.+)': { policy: 'path "x/*" { capabilities = ["read"] }' },
  'sys/policies/password/(?<name>[^/]+)': { policy: 'length = 20\nrule "charset" { charset = "abcdefgh" }' },
  'sys/audit/(?<path>.+)': { type: 'file', options: { file_path: 'discard' } },
  'sys/capabilities-self': { paths: ['kv2/data/x'] },
  'sys/tools/hash(?:/(?<urlalgorithm>[a-z0-9-]+))?': { input: 'aGVsbG8=' },
  'kv2/data/(?<path>.*[^/])': { data: { b: '2' } },
  'kv2/delete/(?<path>.*)': { versions: [1] },
  'kv2/undelete/(?<path>.*)': { versions: [1] },
  'kv2/destroy/(?<path>.*)': { versions: [1] },
  // verify_connection false: the config is stored without a database to talk to.
  't-database/config/(?<name>\\w(([\\w-.]+)?\\w)?)': { plugin_name: 'postgresql-database-plugin', connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/x', verify_connection: false, allowed_roles: ['*'] },
  't-database/roles/(?<name>\\w(([\\w-.]+)?\\w)?)': { db_name: SAMPLE, creation_statements: ['CREATE ROLE "{{name}}"'] },
  't-database/static-roles/(?<name>\\w(([\\w-.]+)?\\w)?)': { db_name: SAMPLE, username: 'app' },
};

/**
 * A concrete path that the pattern matches: optional parts left out, one repetition of '+' parts,
 * named groups replaced by a sample value. Covers the regex forms the path tables use; the caller
 * checks the result against the pattern, so a form it does not know fails loudly.
 */
export function samplePath(pattern: string, value: (name: string) => string): string {
  let i = 0;
  function atom(): string {
    const c = pattern[i]!;
    if (c === '(') {
      i++;
      let name: string | undefined;
      if (pattern.startsWith('?:', i)) i += 2;
      else if (pattern.startsWith('?<', i)) {
        const end = pattern.indexOf('>', i);
        name = pattern.slice(i + 2, end);
        i = end + 1;
      }
      const inner = alternatives();
      if (pattern[i] !== ')') throw new Error(`unbalanced group in ${pattern}`);
      i++;
      return name !== undefined ? value(name) : inner;
    }
    if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      const body = pattern.slice(i + 1, end);
      i = end + 1;
      if (body.startsWith('^')) return 'x';
      if (body.startsWith('\\w')) return 'x';
      if (body.startsWith('\\d')) return '1';
      return body[0]!;
    }
    if (c === '\\') {
      const e = pattern[i + 1]!;
      i += 2;
      return e === 'w' ? 'x' : e === 'd' ? '1' : e;
    }
    i++;
    return c === '.' ? 'x' : c === '^' || c === '$' ? '' : c;
  }
  function sequence(): string {
    let out = '';
    while (i < pattern.length && pattern[i] !== ')' && pattern[i] !== '|') {
      const a = atom();
      const q = pattern[i];
      if (q === '?' || q === '*' || q === '+') {
        i++;
        if (pattern[i] === '?') i++; // lazy
        if (q === '+') out += a;
      } else {
        out += a;
      }
    }
    return out;
  }
  function alternatives(): string {
    const first = sequence();
    while (pattern[i] === '|') {
      i++;
      sequence();
    }
    return first;
  }
  const out = alternatives();
  if (i !== pattern.length) throw new Error(`cannot sample ${pattern}`);
  return out;
}

function captureNames(pattern: string): string[] {
  return [...pattern.matchAll(/\(\?<([a-zA-Z_][a-zA-Z0-9_]*)>/g)].map((m) => m[1]!);
}

/** A well-formed value for a field the path requires (sent identically to both servers). */
function requiredSample(s: FieldSchema): unknown {
  switch (s.type) {
    case 'int': return 1;
    case 'bool': return true;
    case 'duration': return '1h';
    case 'comma-string-slice': case 'string-slice': return [SAMPLE];
    case 'map': case 'kv-pairs': return {};
    default: return s.allowedValues?.[0] ?? SAMPLE;
  }
}

interface Probe {
  label: string;
  method: string;
  path: string;
  nulls: Record<string, unknown>;
  absent: Record<string, unknown>;
  headers?: Record<string, string>;
}

const BODY_OPS: Array<{ ops: Operation[]; method: string }> = [
  { ops: ['create', 'update'], method: 'POST' },
  { ops: ['patch'], method: 'PATCH' },
  { ops: ['delete'], method: 'DELETE' },
];

/** The probes for one mounted backend, generated from its path table. */
function probesFor(mountPath: string, paths: PathDescription[]): { probes: Probe[]; unsampled: string[] } {
  const probes: Probe[] = [];
  const unsampled: string[] = [];
  for (const p of paths) {
    const captures = new Set(captureNames(p.pattern));
    const key = `${mountPath}${p.pattern}`;
    const overrides = CAPTURE_OVERRIDES[key] ?? {};
    const base = BASE_BODIES[key] ?? {};
    const rel = samplePath(p.pattern, (name) => overrides[name] ?? SAMPLE);
    if (!new RegExp(`^${p.pattern}$`).test(rel)) {
      unsampled.push(`${mountPath}${p.pattern}`);
      continue;
    }
    const nulls: Record<string, unknown> = { ...base };
    const absent: Record<string, unknown> = { ...base };
    let optional = 0;
    for (const [name, schema] of Object.entries(p.fields)) {
      if (captures.has(name) || name in base) continue;
      if (schema.required) {
        nulls[name] = absent[name] = requiredSample(schema);
      } else {
        nulls[name] = null;
        optional++;
      }
    }
    if (optional === 0) continue;
    for (const { ops, method } of BODY_OPS) {
      if (!ops.some((op) => p.operations.includes(op))) continue;
      probes.push({
        label: `${method} ${mountPath}${p.pattern}`, method, path: `${mountPath}${rel}`, nulls, absent,
        headers: method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : undefined,
      });
    }
  }
  return { probes, unsampled };
}

async function mountOneOfEach(srv: TestServer): Promise<void> {
  const token = srv.rootToken;
  const mounts: Array<[string, unknown]> = [
    ['kv1', { type: 'kv', options: { version: '1' } }],
    ['kv2', { type: 'kv', options: { version: '2' } }],
  ];
  for (const type of srv.server.core.unsealed().mounts.types()) {
    if (!BUILTIN_TYPES.has(type) && type !== 'kv') mounts.push([`t-${type}`, { type }]);
  }
  for (const [path, body] of mounts) {
    const r = await srv.request('POST', `sys/mounts/${path}`, { token, body });
    assert.equal(r.status, 204, `mount ${path}: ${JSON.stringify(r.body)}`);
  }
  // Things the probes' sample paths name, so handlers get past "not found".
  assert.equal((await srv.request('POST', `kv2/data/${SAMPLE}`, { token, body: { data: { a: '1' } } })).status, 200);
  assert.equal((await srv.request('POST', `kv1/${SAMPLE}`, { token, body: { a: '1' } })).status, 204);
  assert.equal((await srv.request('POST', `cubbyhole/${SAMPLE}`, { token, body: { a: '1' } })).status, 204);
}

function summary(r: { status: number; body: any }): string {
  return `${r.status} ${JSON.stringify(r.body?.errors ?? [])}`;
}

describe('JSON null means "not set" (generated from the path tables)', () => {
  let withNulls: TestServer;
  let without: TestServer;
  before(async () => {
    [withNulls, without] = await Promise.all([startTestServer(), startTestServer()]);
    await mountOneOfEach(withNulls);
    await mountOneOfEach(without);
  });
  after(async () => {
    await withNulls?.stop();
    await without?.stop();
  });

  it('every optional field of every path of every mounted backend type accepts null as "not set"', async () => {
    const mounts = withNulls.server.core.unsealed().mounts.all().sort((a, b) => a.info.path.localeCompare(b.info.path));
    const covered = new Map<string, number>();
    const examined = new Set<string>();
    const mismatches: string[] = [];
    const unsampledAll: string[] = [];
    const all: Array<Probe & { type: string }> = [];
    for (const m of mounts) {
      const paths = m.backend.describePaths?.();
      assert.ok(paths && paths.length > 0, `${m.info.type} at ${m.info.path} describes no paths`);
      examined.add(m.info.type);
      const { probes, unsampled } = probesFor(m.info.path, paths);
      unsampledAll.push(...unsampled);
      all.push(...probes.map((p) => ({ ...p, type: m.info.type })));
    }
    // Writes first, deletes last: a probe may need what an earlier write created (a database config for its roles).
    const ordered = [...all.filter((p) => p.method !== 'DELETE'), ...all.filter((p) => p.method === 'DELETE')];
    for (const probe of ordered) {
      const a = await withNulls.request(probe.method, probe.path, { token: withNulls.rootToken, body: probe.nulls, headers: probe.headers });
      const b = await without.request(probe.method, probe.path, { token: without.rootToken, body: probe.absent, headers: probe.headers });
      if (summary(a) !== summary(b) || a.status >= 500) {
        mismatches.push(`${probe.label}: with nulls ${summary(a)}, fields left out ${summary(b)}`);
      }
      for (const e of (a.body?.errors ?? []) as string[]) {
        if (/error converting input|expected a|must be an? (string|integer|bool|list|map|object)/i.test(e)) mismatches.push(`${probe.label}: type error on null: ${e}`);
      }
      covered.set(probe.type, (covered.get(probe.type) ?? 0) + 1);
      if (process.env['NULL_PROBE_DEBUG']) console.log(probe.label, probe.path, summary(a), summary(b));
    }
    assert.deepEqual(unsampledAll, [], 'the generator could not build a path for these patterns');
    assert.deepEqual(mismatches, []);
    // Every backend type the server can mount was mounted and its path table walked (KV v1 and
    // cubbyhole declare no body fields: they store whatever they are given).
    assert.deepEqual([...examined].sort(), [...withNulls.server.core.unsealed().mounts.types()].sort());
    for (const t of ['system', 'token', 'kv', 'database']) assert.ok((covered.get(t) ?? 0) > 0, `no probe reached backend type ${t}`);
  });

  it('a mount\'s config and options and an audit device\'s options take null knobs as "not set"', async () => {
    const token = withNulls.rootToken;
    const knobs = {
      default_lease_ttl: null, max_lease_ttl: null, force_no_cache: null, audit_non_hmac_request_keys: null,
      audit_non_hmac_response_keys: null, listing_visibility: null, passthrough_request_headers: null, allowed_response_headers: null,
    };
    const m = await withNulls.request('POST', 'sys/mounts/nullcfg', { token, body: { type: 'kv', config: knobs, options: { version: null } } });
    assert.equal(m.status, 204, JSON.stringify(m.body));
    const t = await withNulls.request('POST', 'sys/mounts/nullcfg/tune', { token, body: { ...knobs, options: null, description: null } });
    assert.equal(t.status, 204, JSON.stringify(t.body));
    const info = await withNulls.request('GET', 'sys/mounts/nullcfg', { token });
    assert.equal(info.body.data.config.force_no_cache, false);
    assert.equal(info.body.data.config.default_lease_ttl, 0);
    // An audit device's options map, likewise.
    const audit = await withNulls.request('PUT', 'sys/audit/nullopts', { token, body: { type: 'file', options: { file_path: 'discard', prefix: null, log_raw: null, mode: null } } });
    assert.equal(audit.status, 204, JSON.stringify(audit.body));
    assert.equal((await withNulls.request('DELETE', 'sys/audit/nullopts', { token })).status, 204);
  });
});

describe('JSON null on the bare sys/init and sys/unseal (generated from their field tables)', () => {
  it('initialise and unseal alike with optional fields null or left out', async () => {
    const [a, b] = await Promise.all([startTestServer({ uninitialized: true }), startTestServer({ uninitialized: true })]);
    try {
      // secret_shares/secret_threshold are what a Shamir init needs; every other field is null on one side.
      const base: Record<string, Record<string, unknown>> = { 'sys/init': { secret_shares: 1, secret_threshold: 1 }, 'sys/unseal': {} };
      const keys: Record<string, string> = {};
      for (const [path, schema] of Object.entries(BARE_FIELDS)) {
        const nulls: Record<string, unknown> = { ...base[path] };
        for (const name of Object.keys(schema)) if (!(name in nulls)) nulls[name] = null;
        const absent: Record<string, unknown> = { ...base[path] };
        if (path === 'sys/unseal') {
          nulls['key'] = keys['a'];
          absent['key'] = keys['b'];
        }
        const ra = await a.request('PUT', path, { body: nulls });
        const rb = await b.request('PUT', path, { body: absent });
        assert.equal(ra.status, 200, `${path} with nulls: ${JSON.stringify(ra.body)}`);
        assert.equal(rb.status, 200, `${path} without: ${JSON.stringify(rb.body)}`);
        if (path === 'sys/init') {
          keys['a'] = ra.body.keys[0];
          keys['b'] = rb.body.keys[0];
        } else {
          assert.equal(ra.body.sealed, false);
          assert.equal(rb.body.sealed, false);
        }
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('python3-hvac sys.initialize() (sends root_token_pgp_key: null)', () => {
  it('initialises, unseals and uses an uninitialised server', async () => {
    const srv = await startTestServer({ uninitialized: true });
    try {
      const script = join(repoRoot, 'test/integration/apps/init_hvac.py');
      // Asynchronous spawn: the server runs in this process.
      const child = spawn('/usr/bin/python3', [script, srv.address], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += String(d); });
      child.stderr.on('data', (d) => { err += String(d); });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `hvac script failed: ${err}${out}`);
      const result = JSON.parse(out.trim().split('\n').pop()!);
      assert.equal(result.initialized_before, false);
      assert.equal(result.initialized_after, true);
      assert.equal(result.keys, 3);
      assert.equal(result.sealed, false);
      assert.equal(result.secret, 'from-hvac');
      assert.match(result.root_token, /^hvs\./);
    } finally {
      await srv.stop();
    }
  });
});
