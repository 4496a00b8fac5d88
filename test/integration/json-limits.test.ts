// Vault's listener JSON limits: bodies nested too deep, with too long a string, too big an array
// or too many keys are refused with 400 in the Vault error envelope before anything parses them —
// with or without a token — the audit devices never see them (no audit failure), and the server
// stays healthy. Limits set in the listener stanza of the config file are the ones applied.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseConfig } from '../../src/server/config.js';
import { checkJsonLimits, DEFAULT_JSON_LIMITS } from '../../src/http/json-limits.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

function nested(depth: number, inner = '1'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/** A KV v2 write body whose whole JSON nests `depth` deep ({"data":{"v": …}} is two levels). */
function deepWrite(depth: number): string {
  return `{"data":{"v":${nested(depth - 2)}}}`;
}

async function auditFailures(srv: TestServer): Promise<number> {
  const r = await srv.request('GET', 'sys/metrics?format=prometheus', { token: srv.rootToken });
  assert.equal(r.status, 200);
  let total = 0;
  for (const line of String(r.body).split('\n')) {
    const m = /^coffer_audit_failures_total(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}

function assertRefused(r: { status: number; body: any }, pattern: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
  assert.ok(Array.isArray(r.body.errors), 'Vault error envelope');
  assert.match(r.body.errors[0], pattern);
}

describe('listener JSON limits: Vault defaults', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    const a = await srv.request('PUT', 'sys/audit/file', { token: srv.rootToken, body: { type: 'file', options: { file_path: join(srv.dir, 'audit.log') } } });
    assert.equal(a.status, 204);
  });
  after(async () => { await srv.stop(); });

  it('refuses a small body nested 2,000 deep with 400, with or without a token, and the audit does not fail', async () => {
    const before = await auditFailures(srv);
    const body = deepWrite(2000);
    assert.ok(body.length < 5000);
    assertRefused(await srv.request('POST', 'secret/data/deep', { token: srv.rootToken, body }), /nesting depth of 500/);
    assertRefused(await srv.request('POST', 'secret/data/deep', { body }), /nesting depth/);
    assertRefused(await srv.request('POST', 'sys/wrapping/unwrap', { body }), /nesting depth/);
    assert.equal((await srv.request('GET', 'sys/health')).status, 200);
    assert.equal((await srv.request('GET', 'secret/data/deep', { token: srv.rootToken })).status, 404, 'nothing was stored');
    assert.equal(await auditFailures(srv), before);
  });

  it('accepts the default depth of 500 exactly, and audits it', async () => {
    const before = await auditFailures(srv);
    const r = await srv.request('POST', 'secret/data/deep500', { token: srv.rootToken, body: deepWrite(500) });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assertRefused(await srv.request('POST', 'secret/data/deep501', { token: srv.rootToken, body: deepWrite(501) }), /nesting depth of 500/);
    assert.equal(await auditFailures(srv), before);
  });

  it('refuses a string over 1 MiB, an array over 10,000 elements and an object over 10,000 keys', async () => {
    const before = await auditFailures(srv);
    const long = 'x'.repeat(DEFAULT_JSON_LIMITS.maxStringValueLength + 1);
    assertRefused(await srv.request('POST', 'secret/data/long', { token: srv.rootToken, body: { data: { v: long } } }), /maximum length of 1048576 bytes/);
    assertRefused(await srv.request('POST', 'secret/data/long', { token: srv.rootToken, body: { data: { [long]: 'v' } } }), /maximum length/);
    const big = Array.from({ length: 10_001 }, (_, i) => i);
    assertRefused(await srv.request('POST', 'secret/data/big', { token: srv.rootToken, body: { data: { v: big } } }), /maximum of 10000 elements/);
    const keys = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 1]));
    assertRefused(await srv.request('POST', 'secret/data/keys', { token: srv.rootToken, body: { data: keys } }), /maximum of 10000 entries/);
    // At the limits they pass.
    const ok = await srv.request('POST', 'secret/data/limits', { token: srv.rootToken, body: { data: { a: big.slice(1), s: 'é'.repeat(1000) } } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body).slice(0, 300));
    assert.equal(await auditFailures(srv), before);
    assert.equal((await srv.request('GET', 'sys/health')).status, 200);
  });
});

describe('listener JSON limits from the config file', () => {
  let srv: TestServer;
  before(async () => {
    const cfg = parseConfig(`
      storage "memory" {}
      listener "tcp" {
        address = "127.0.0.1:0"
        tls_disable = true
        max_json_depth = 5
        max_json_string_value_length = 100
        max_json_array_element_count = 3
        max_json_object_entry_count = 3
      }
    `);
    assert.deepEqual(cfg.listeners[0]!.jsonLimits, { maxDepth: 5, maxStringValueLength: 100, maxArrayElementCount: 3, maxObjectEntryCount: 3 });
    srv = await startTestServer({ kv2At: 'secret', listener: cfg.listeners[0] });
  });
  after(async () => { await srv?.stop(); });

  it('applies the configured limits, at and just past each one', async () => {
    const write = (body: string) => srv.request('POST', 'secret/data/x', { token: srv.rootToken, body });
    assert.equal((await write(deepWrite(5))).status, 200);
    assertRefused(await write(deepWrite(6)), /nesting depth of 5/);
    // (100 bytes still lets the 64-hex-digit unseal key through.)
    assert.equal((await write(`{"data":{"v":"${'x'.repeat(100)}"}}`)).status, 200);
    assertRefused(await write(`{"data":{"v":"${'x'.repeat(101)}"}}`), /maximum length of 100 bytes/);
    // Bytes of the decoded UTF-8: 50 × "é" is 100 bytes, 51 is 102; an escape counts what it decodes to.
    assert.equal((await write(`{"data":{"v":"${'é'.repeat(50)}"}}`)).status, 200);
    assertRefused(await write(`{"data":{"v":"${'é'.repeat(51)}"}}`), /maximum length/);
    assert.equal((await write(`{"data":{"v":"${'\\u00e9'.repeat(50)}"}}`)).status, 200);
    assert.equal((await write('{"data":{"v":[1,2,3]}}')).status, 200);
    assertRefused(await write('{"data":{"v":[1,2,3,4]}}'), /maximum of 3 elements/);
    assert.equal((await write('{"data":{"a":1,"b":2,"c":3}}')).status, 200);
    assertRefused(await write('{"data":{"a":1,"b":2,"c":3,"d":4}}'), /maximum of 3 entries/);
    // Commas and brackets inside strings are not structure.
    assert.equal((await write('{"data":{"v":"[[[[,,,,]]]]"}}')).status, 200);
    assert.equal((await srv.request('GET', 'sys/health')).status, 200);
  });

  it('refuses bad values in the config file', () => {
    for (const bad of ['0', '-1', '"x"', '1.5']) {
      assert.throws(() => parseConfig(`listener "tcp" {\n tls_disable = true\n max_json_depth = ${bad}\n}`), /max_json_depth must be a positive integer/);
    }
  });
});

describe('checkJsonLimits', () => {
  it('skips small bodies and counts per container', () => {
    const limits = { maxDepth: 3, maxStringValueLength: 100, maxObjectEntryCount: 2, maxArrayElementCount: 2 };
    checkJsonLimits('[[1,2],[3,4]]', limits);
    checkJsonLimits('{"a":{"b":1,"c":2},"d":[1,{"e":1}]}', limits);
    assert.throws(() => checkJsonLimits('[[[[1]]]]', limits), /depth of 3/);
    assert.throws(() => checkJsonLimits('[1,2,[3]]', limits), /2 elements/);
    assert.throws(() => checkJsonLimits('{"a":1,"b":2,"c\\"":3}', limits), /2 entries/);
    checkJsonLimits('["\\\\",",,,,"]', limits);
  });
});
