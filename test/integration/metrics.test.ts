// sys/metrics end to end: requests move the counter and histogram for their mount's labels, the
// scrape parses as Prometheus text, it needs a token with read on sys/metrics, audit failures are
// counted, and the shipped alert rules only use metrics the registry exports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startTestServer, type TestServer } from '../helpers/server.js';

// parse-prometheus-text-format ships CommonJS without types: this is the shape it returns.
interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family { name: string; help: string; type: string; metrics: Sample[] }
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const ALERTS_FILE = fileURLToPath(new URL('../../../deploy/prometheus/coffer-alerts.yml', import.meta.url));
const ALERTS_TESTS = fileURLToPath(new URL('../../../deploy/prometheus/coffer-alerts.test.yml', import.meta.url));

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string } | undefined> {
  try {
    const r = await promisify(execFile)('promtool', args);
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') return undefined;
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function family(families: Family[], name: string): Family {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `${name} is exported`);
  return f;
}

function sample(f: Family, labels: Record<string, string>): Sample | undefined {
  return f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

/**
 * One labelled series of a histogram. parse-prometheus-text-format 1.1.1 merges every labelled
 * series of a histogram into one and drops their sum and count (its open issue #13), so the
 * series' lines are picked out of the text, their non-`le` labels removed, and that parsed.
 */
function histogram(text: string, name: string, labels: Record<string, string>): Sample | undefined {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = [`# TYPE ${name} histogram`];
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || ![`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(m[1]!)) continue;
    const have = m[2]!.split(',');
    if (!pairs.every((p) => have.includes(p)) || have.length !== pairs.length + (m[1] === `${name}_bucket` ? 1 : 0)) continue;
    const le = have.find((p) => p.startsWith('le='));
    lines.push(`${m[1]}${le ? `{${le}}` : ''} ${m[3]}`);
  }
  // The parser drops a last line that has no newline after it.
  return parsePrometheus(`${lines.join('\n')}\n`)[0]?.metrics[0];
}

function value(f: Family, labels: Record<string, string> = {}): number {
  const s = sample(f, labels);
  return s ? Number(s.value ?? s.count) : 0;
}

describe('sys/metrics', () => {
  let srv: TestServer;
  let root: string;
  const scrapeText = async (token = root) => {
    const r = await srv.request('GET', 'sys/metrics?format=prometheus', { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return r.body as string;
  };
  const scrape = async (token = root) => parsePrometheus(await scrapeText(token));
  before(async () => {
    srv = await startTestServer();
    root = srv.rootToken;
    assert.equal((await srv.request('POST', 'sys/mounts/kvm', { token: root, body: { type: 'kv', options: { version: '2' } } })).status, 204);
  });
  after(async () => { await srv.stop(); });

  it('counts requests by mount, operation and status, and times them', async () => {
    const beforeText = await scrapeText();
    const labels = { mount_type: 'kv', mount: 'kvm/', operation: 'update', status: '200' };
    const hist = { mount_type: 'kv', operation: 'update' };
    const countBefore = value(family(parsePrometheus(beforeText), 'coffer_http_requests_total'), labels);
    const histBefore = Number(histogram(beforeText, 'coffer_http_request_duration_seconds', hist)?.count ?? 0);
    for (let i = 0; i < 3; i++) {
      assert.equal((await srv.request('POST', `kvm/data/app${i}`, { token: root, body: { data: { v: String(i) } } })).status, 200);
    }
    assert.equal((await srv.request('GET', 'kvm/data/missing', { token: root })).status, 404);
    assert.equal((await srv.request('GET', 'kvm/data/app0', { token: '' })).status, 403);

    const afterText = await scrapeText();
    const after = parsePrometheus(afterText);
    const requests = family(after, 'coffer_http_requests_total');
    assert.equal(requests.type, 'COUNTER');
    assert.equal(value(requests, labels), countBefore + 3);
    assert.ok(value(requests, { mount: 'kvm/', operation: 'read', status: '404' }) >= 1);
    assert.ok(value(requests, { mount: 'kvm/', operation: 'read', status: '403' }) >= 1);
    // The mount label is the mount path from the table, never the request path.
    for (const m of requests.metrics) assert.doesNotMatch(m.labels?.['mount'] ?? '', /data|app\d/);

    const duration = family(after, 'coffer_http_request_duration_seconds');
    assert.equal(duration.type, 'HISTOGRAM');
    const h = histogram(afterText, 'coffer_http_request_duration_seconds', hist);
    assert.ok(h?.buckets, 'histogram has buckets for kv/update');
    assert.equal(Number(h.count), histBefore + 3);
    assert.ok(Number(h.sum) > 0);
    assert.deepEqual(Object.keys(h.buckets).sort((a, b) => Number(a) - Number(b)),
      ['0.0001', '0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    assert.equal(Number(h.buckets['+Inf']), Number(h.count));
  });

  it('reports seal state, initialisation, stored tokens, audit devices and zeroed lease series', async () => {
    const child = await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['default'] } });
    assert.equal(child.status, 200);
    srv.server.metrics.setLeasesExpiring({ '1h': 0, '24h': 0, '7d': 0 });
    const m = await scrape();
    assert.equal(value(family(m, 'coffer_sealed')), 0);
    assert.equal(value(family(m, 'coffer_initialized')), 1);
    assert.ok(value(family(m, 'coffer_tokens'), { type: 'service' }) >= 1);
    assert.equal(value(family(m, 'coffer_audit_devices')), 0);
    const expiring = family(m, 'coffer_leases_expiring');
    assert.deepEqual(expiring.metrics.map((s) => [s.labels?.['window'], Number(s.value)]), [['1h', 0], ['24h', 0], ['7d', 0]]);
    family(m, 'coffer_leases');
    family(m, 'coffer_rotation_failures_total');
    family(m, 'coffer_audit_failures_total');
    assert.ok(value(family(m, 'coffer_nodejs_eventloop_lag_p99_seconds')) >= 0);
    family(m, 'coffer_process_resident_memory_bytes');
  });

  it('shows lease and rotation numbers reported through the typed API', async () => {
    const metrics = srv.server.metrics;
    metrics.setLeaseCounts({ 'database/': 12, 'aws/': 3 });
    metrics.setLeasesExpiring({ '1h': 1, '24h': 4, '7d': 9 });
    metrics.rotationFailed('database/', 'readonly');
    const m = await scrape();
    assert.equal(value(family(m, 'coffer_leases'), { mount: 'database/' }), 12);
    assert.equal(value(family(m, 'coffer_leases_expiring'), { window: '24h' }), 4);
    assert.equal(value(family(m, 'coffer_rotation_failures_total'), { mount: 'database/', role: 'readonly' }), 1);
    metrics.setLeaseCounts({});
    metrics.setLeasesExpiring({ '1h': 0, '24h': 0, '7d': 0 });
  });

  it('needs a token, and a policy granting read on sys/metrics', async () => {
    assert.equal((await srv.request('GET', 'sys/metrics?format=prometheus')).status, 403);
    const plain = await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['default'] } });
    assert.equal((await srv.request('GET', 'sys/metrics?format=prometheus', { token: plain.body.auth.client_token })).status, 403);
    const policy = 'path "sys/metrics" {\n  capabilities = ["read"]\n}\n';
    assert.equal((await srv.request('PUT', 'sys/policies/acl/prometheus', { token: root, body: { policy } })).status, 204);
    const scraper = await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['prometheus'] } });
    const m = await scrape(scraper.body.auth.client_token);
    family(m, 'coffer_http_requests_total');
  });

  it('answers JSON in the envelope without a format, and 400 for an unknown format', async () => {
    const j = await srv.request('GET', 'sys/metrics', { token: root });
    assert.equal(j.status, 200);
    const names = (j.body.data.metrics as { name: string }[]).map((x) => x.name);
    assert.ok(names.includes('coffer_http_requests_total'));
    assert.ok(names.includes('coffer_nodejs_eventloop_lag_seconds'));
    assert.equal((await srv.request('GET', 'sys/metrics?format=json', { token: root })).status, 200);
    const bad = await srv.request('GET', 'sys/metrics?format=xml', { token: root });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, ['metric response format "xml" unknown']);
  });

  it('ships alert rules that use only exported metrics', async () => {
    const exported = new Set<string>();
    for (const f of await scrape()) {
      exported.add(f.name);
      if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) exported.add(f.name + s);
    }
    const doc = parseYaml(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0);
    const alerts = new Set<string>();
    for (const g of doc.groups) {
      assert.equal(typeof g.name, 'string');
      for (const r of g.rules) {
        assert.deepEqual(Object.keys(r).filter((k) => !['alert', 'expr', 'for', 'labels', 'annotations'].includes(k)), [], `${String(r['alert'])}: unknown keys`);
        assert.equal(typeof r['alert'], 'string');
        assert.match(r['alert'] as string, /^[A-Za-z_][A-Za-z0-9_]*$/);
        assert.equal(alerts.has(r['alert'] as string), false, `duplicate alert ${String(r['alert'])}`);
        alerts.add(r['alert'] as string);
        assert.equal(typeof r['expr'], 'string');
        assert.match(r['for'] as string, /^\d+[smhd]$/);
        const ann = r['annotations'] as Record<string, unknown>;
        assert.equal(typeof ann['summary'], 'string');
        assert.equal(typeof ann['description'], 'string');
        // Metric names: identifiers followed by {, [, ) or whitespace that are not PromQL keywords
        // or functions. Every coffer_* name must be exported; the only other series is Prometheus's `up`.
        const used = (r['expr'] as string).match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g) ?? [];
        const metrics = used.filter((w) => w.startsWith('coffer_') || w === 'up');
        assert.ok(metrics.some((w) => w.startsWith('coffer_')), `${String(r['alert'])} uses a coffer metric`);
        for (const name of metrics) if (name !== 'up') assert.ok(exported.has(name), `${String(r['alert'])}: ${name} is not exported`);
      }
    }
    for (const a of ['CofferSealedOrDown', 'CofferAuditDeviceFailing', 'CofferLeasesExpiringSoon', 'CofferRotationFailures', 'CofferHigh5xxRate', 'CofferHighP99Latency', 'CofferEventLoopLag']) {
      assert.ok(alerts.has(a), `${a} is defined`);
    }
  });

  it('passes promtool check rules and the rule unit tests (when promtool is installed)', async (t) => {
    const check = await promtool('check', 'rules', ALERTS_FILE);
    if (!check) return t.skip('promtool is not installed');
    assert.ok(check.ok, check.output);
    const tests = await promtool('test', 'rules', ALERTS_TESTS);
    assert.ok(tests?.ok, tests?.output);
  });
});

describe('sys/metrics: audit failures and the sealed state', () => {
  it('counts failed audit writes by device', async () => {
    const srv = await startTestServer();
    const conns: net.Socket[] = [];
    const sink = net.createServer((s) => { conns.push(s); s.on('data', () => undefined); });
    try {
      await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
      const port = (sink.address() as net.AddressInfo).port;
      const enable = await srv.request('PUT', 'sys/audit/sock', { token: srv.rootToken, body: { type: 'socket', options: { address: `127.0.0.1:${port}`, socket_type: 'tcp', write_timeout: '1s' } } });
      assert.equal(enable.status, 204);
      let m = parsePrometheus((await srv.request('GET', 'sys/metrics?format=prometheus', { token: srv.rootToken })).body as string);
      assert.equal(value(family(m, 'coffer_audit_devices')), 1);
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => sink.close(() => r()));
      assert.equal((await srv.request('GET', 'sys/mounts', { token: srv.rootToken })).status, 500);
      // With the device down the scrape itself is refused (fail closed), so read the registry in-process.
      m = parsePrometheus(await srv.server.metrics.prometheus());
      assert.ok(value(family(m, 'coffer_audit_failures_total'), { device: 'sock/' }) >= 1);
      assert.ok(value(family(m, 'coffer_http_requests_total'), { mount: 'sys/', status: '500' }) >= 1);
    } finally {
      for (const c of conns) c.destroy();
      sink.close();
      await srv.stop();
    }
  });

  it('refuses the scrape with 503 while sealed; the in-process registry shows sealed=1', async () => {
    const srv = await startTestServer({ sealed: true });
    try {
      assert.equal((await srv.request('GET', 'sys/metrics?format=prometheus', { token: srv.rootToken })).status, 503);
      const m = parsePrometheus(await srv.server.metrics.prometheus());
      assert.equal(value(family(m, 'coffer_sealed')), 1);
      assert.equal(value(family(m, 'coffer_initialized')), 1);
      assert.equal(family(m, 'coffer_tokens').metrics.length, 0, 'no token count while sealed');
      assert.ok(value(family(m, 'coffer_http_requests_total'), { mount_type: 'none', mount: 'none', operation: 'read', status: '503' }) >= 1);
    } finally {
      await srv.stop();
    }
  });
});
