import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, MAX_DEVICE_LABELS, MAX_MOUNT_LABELS, type MetricsSource } from './metrics.js';
import { withMetrics } from './index.js';

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

async function values(m: ReturnType<typeof createMetrics>, name: string): Promise<Values> {
  const metric = m.registry.getSingleMetric(name);
  assert.ok(metric, `${name} registered`);
  return (await metric.get()).values as Values;
}

function find(v: Values, labels: Record<string, string | number>, metricName?: string): number | undefined {
  return v.find((s) => (metricName === undefined || s.metricName === metricName) && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
}

function fakeSource(opts: { sealed?: boolean; accessors?: number; initialized?: boolean; devices?: number } = {}) {
  const state = { sealed: opts.sealed ?? false, listCalls: 0, statusCalls: 0, failList: false, accessors: opts.accessors ?? 2 };
  const source: MetricsSource = {
    isSealed: () => state.sealed,
    seal: {
      status: async () => {
        state.statusCalls++;
        return { initialized: opts.initialized ?? true };
      },
    },
    unsealed: () => {
      if (state.sealed) throw new Error('sealed');
      return {
        tokens: {
          listAccessors: async () => {
            state.listCalls++;
            await new Promise((r) => setImmediate(r));
            if (state.failList) throw new Error('storage down');
            return Array.from({ length: state.accessors }, (_, i) => `acc${i}`);
          },
        },
      };
    },
    unsealedAudit: () => (state.sealed ? undefined : { list: () => Object.fromEntries(Array.from({ length: opts.devices ?? 0 }, (_, i) => [`d${i}/`, {}])) }),
  };
  return { source, state };
}

describe('request metrics', () => {
  it('counts and times by label tuple, normalising empty and unknown labels once', async () => {
    const m = createMetrics();
    for (let i = 0; i < 3; i++) m.observe({ mountType: 'kv', mountPath: 'secret/', operation: 'read', status: 200, seconds: 0.002 });
    m.observe({ mountType: 'kv', mountPath: 'secret/', operation: 'read', status: 404, seconds: 0.001 });
    m.observe({ mountType: '', mountPath: '', operation: 'read', status: 503, seconds: 0.0001 });
    m.observe({ mountType: 'system', mountPath: 'sys/', operation: 'propfind', status: 405, seconds: 0.0001 });
    const req = await values(m, 'coffer_http_requests_total');
    assert.equal(find(req, { mount_type: 'kv', mount: 'secret/', operation: 'read', status: '200' }), 3);
    assert.equal(find(req, { mount: 'secret/', status: '404' }), 1);
    assert.equal(find(req, { mount_type: 'none', mount: 'none', status: '503' }), 1);
    assert.equal(find(req, { mount: 'sys/', operation: 'other', status: '405' }), 1);
    const dur = await values(m, 'coffer_http_request_duration_seconds');
    assert.equal(find(dur, { mount_type: 'kv', operation: 'read' }, 'coffer_http_request_duration_seconds_count'), 4);
    assert.equal(find(dur, { mount_type: 'kv', operation: 'read', le: 0.001 }, 'coffer_http_request_duration_seconds_bucket'), 1);
    assert.equal(find(dur, { mount_type: 'kv', operation: 'read', le: 0.0025 }, 'coffer_http_request_duration_seconds_bucket'), 4);
    assert.equal(find(dur, { mount_type: 'kv', operation: 'read', le: '+Inf' }, 'coffer_http_request_duration_seconds_bucket'), 4);
    assert.ok(Math.abs(find(dur, { mount_type: 'kv', operation: 'read' }, 'coffer_http_request_duration_seconds_sum')! - 0.007) < 1e-12);
  });

  it('keeps accumulating across scrapes', async () => {
    const m = createMetrics();
    const req = { mountType: 'kv', mountPath: 'secret/', operation: 'read', status: 200, seconds: 20 };
    m.observe(req);
    await m.prometheus();
    m.observe(req);
    m.observe({ ...req, mountType: 'token', mountPath: 'auth/token/' });
    assert.equal(find(await values(m, 'coffer_http_requests_total'), { mount: 'secret/' }), 2);
    assert.equal(find(await values(m, 'coffer_http_requests_total'), { mount: 'secret/' }), 2, 'a scrape does not count twice');
    const dur = await values(m, 'coffer_http_request_duration_seconds');
    assert.equal(find(dur, { mount_type: 'kv', le: 10 }, 'coffer_http_request_duration_seconds_bucket'), 0);
    assert.equal(find(dur, { mount_type: 'kv', le: '+Inf' }, 'coffer_http_request_duration_seconds_bucket'), 2);
    assert.equal(find(dur, { mount_type: 'token' }, 'coffer_http_request_duration_seconds_count'), 1);
  });

  it('keeps the number of mount series bounded', async () => {
    const m = createMetrics();
    for (let i = 0; i < MAX_MOUNT_LABELS + 50; i++) m.observe({ mountType: 'kv', mountPath: `m${i}/`, operation: 'read', status: 200, seconds: 0.001 });
    m.observe({ mountType: 'kv', mountPath: 'm0/', operation: 'read', status: 200, seconds: 0.001 });
    const req = await values(m, 'coffer_http_requests_total');
    assert.equal(req.length, MAX_MOUNT_LABELS + 1);
    assert.equal(find(req, { mount: '_other', mount_type: '_other' }), 50);
    assert.equal(find(req, { mount: 'm0/' }), 2, 'mounts seen before the cap keep their own series');
  });

  it('withMetrics keeps the caller’s observe hook and sys paths', () => {
    const m = createMetrics();
    const seen: string[] = [];
    const ext = withMetrics(m, { observe: (i) => seen.push(i.mountPath), sysPaths: [{ pattern: 'x', operations: {} }] });
    ext.observe?.({ mountType: 'kv', mountPath: 'a/', operation: 'read', status: 200, seconds: 0 });
    assert.deepEqual(seen, ['a/']);
    assert.deepEqual(ext.sysPaths?.map((p) => p.pattern), ['x', 'metrics']);
    assert.equal(withMetrics(m).observe, m.observe);
  });
});

describe('scrape-time gauges', () => {
  it('reads nothing from a core before bind', async () => {
    const m = createMetrics();
    assert.deepEqual(await values(m, 'coffer_tokens'), []);
    assert.equal(find(await values(m, 'coffer_initialized'), {}), 0);
  });

  it('reads seal state and initialisation (storage read once initialised)', async () => {
    const m = createMetrics();
    const { source, state } = fakeSource({ devices: 2 });
    m.bind(source);
    assert.equal(find(await values(m, 'coffer_sealed'), {}), 0);
    assert.equal(find(await values(m, 'coffer_initialized'), {}), 1);
    assert.equal(find(await values(m, 'coffer_initialized'), {}), 1);
    assert.equal(state.statusCalls, 1);
    assert.equal(find(await values(m, 'coffer_audit_devices'), {}), 2);
    state.sealed = true;
    assert.equal(find(await values(m, 'coffer_sealed'), {}), 1);
    assert.equal(find(await values(m, 'coffer_audit_devices'), {}), 0, 'sealing closes every device');
  });

  it('counts stored tokens at most once per TTL, shares concurrent walks, and skips while sealed', async () => {
    let t = 1_000_000;
    const m = createMetrics({ now: () => t, tokenCountTtlMs: 10_000 });
    const { source, state } = fakeSource({ accessors: 5 });
    m.bind(source);
    const [a, b] = await Promise.all([values(m, 'coffer_tokens'), values(m, 'coffer_tokens')]);
    assert.equal(find(a, { type: 'service' }), 5);
    assert.equal(find(b, { type: 'service' }), 5);
    assert.equal(state.listCalls, 1, 'concurrent scrapes share one walk');
    state.accessors = 7;
    t += 9_000;
    assert.equal(find(await values(m, 'coffer_tokens'), { type: 'service' }), 5, 'cached within the TTL');
    assert.equal(state.listCalls, 1);
    t += 2_000;
    assert.equal(find(await values(m, 'coffer_tokens'), { type: 'service' }), 7);
    assert.equal(state.listCalls, 2);
    state.sealed = true;
    assert.deepEqual(await values(m, 'coffer_tokens'), []);
    assert.equal(state.listCalls, 2);
  });

  it('leaves the token series out and reports when the walk fails', async () => {
    const errors: string[] = [];
    const m = createMetrics({ onCollectError: (err, metric) => errors.push(`${metric}: ${(err as Error).message}`) });
    const { source, state } = fakeSource();
    m.bind(source);
    state.failList = true;
    assert.deepEqual(await values(m, 'coffer_tokens'), []);
    assert.deepEqual(errors, ['coffer_tokens: storage down']);
    state.failList = false;
    assert.equal(find(await values(m, 'coffer_tokens'), { type: 'service' }), 2, 'a failure is not cached');
  });
});

describe('audit, lease and rotation metrics', () => {
  it('counts audit failures per device with a bounded label set', async () => {
    const m = createMetrics();
    m.auditFailed('file/');
    m.auditFailed('file/');
    for (let i = 0; i < MAX_DEVICE_LABELS + 5; i++) m.auditFailed(`d${i}/`);
    const v = await values(m, 'coffer_audit_failures_total');
    assert.equal(find(v, { device: 'file/' }), 2);
    assert.equal(find(v, { device: '_other' }), 6);
    assert.equal(v.length, MAX_DEVICE_LABELS + 1);
  });

  it('counts audit log truncations per device with a bounded label set', async () => {
    const m = createMetrics();
    assert.deepEqual(await values(m, 'coffer_audit_truncations_total'), []);
    m.auditTruncated('file/');
    for (let i = 0; i < MAX_DEVICE_LABELS + 2; i++) m.auditTruncated(`d${i}/`);
    const v = await values(m, 'coffer_audit_truncations_total');
    assert.equal(find(v, { device: 'file/' }), 1);
    assert.equal(find(v, { device: '_other' }), 3);
  });

  it('starts lease windows at 0 and replaces lease counts wholesale', async () => {
    const m = createMetrics();
    assert.deepEqual((await values(m, 'coffer_leases_expiring')).map((s) => [s.labels['window'], s.value]), [['1h', 0], ['24h', 0], ['7d', 0]]);
    assert.deepEqual(await values(m, 'coffer_leases'), []);
    m.setLeaseCounts(new Map([['db/', 4], ['aws/', 1]]));
    m.setLeaseCounts({ 'db/': 3 });
    assert.deepEqual((await values(m, 'coffer_leases')).map((s) => [s.labels['mount'], s.value]), [['db/', 3]]);
    m.setLeasesExpiring({ '1h': 1, '24h': 2, '7d': 3 });
    assert.equal(find(await values(m, 'coffer_leases_expiring'), { window: '7d' }), 3);
    m.rotationFailed('db/', 'ro');
    m.rotationFailed('db/', 'ro');
    m.rotationFailed('db/', 'rw');
    const r = await values(m, 'coffer_rotation_failures_total');
    assert.equal(find(r, { mount: 'db/', role: 'ro' }), 2);
    assert.equal(find(r, { mount: 'db/', role: 'rw' }), 1);
  });

  it('exposes its own and the process metrics in text and JSON', async () => {
    const m = createMetrics();
    const text = await m.prometheus();
    assert.match(text, /^# HELP coffer_http_requests_total /m);
    assert.match(text, /^# TYPE coffer_nodejs_eventloop_lag_p99_seconds gauge$/m);
    assert.match(text, /^coffer_process_resident_memory_bytes \d+/m);
    const names = (await m.json()).map((x) => (x as { name: string }).name);
    assert.ok(names.includes('coffer_sealed') && names.includes('coffer_nodejs_eventloop_lag_seconds'));
    // Two servers in one process share the process metrics without a duplicate-registration error.
    assert.match(await createMetrics().prometheus(), /coffer_process_cpu_seconds_total/);
  });
});
