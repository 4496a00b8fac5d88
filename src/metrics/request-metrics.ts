// Request counter and latency histogram. `observe` runs once per API request, so it only bumps
// plain numbers on a series object found through nested Maps (no string key is built, nothing is
// allocated once a label tuple has been seen). prom-client sees the totals at scrape time: the
// counter through its collect hook, the histogram through a subclass whose get() reads the
// accumulated buckets. (prom-client's own labelled children hash their labels into a string on
// every call: about 1 µs per request for the pair here, against about 55 ns; see observe.bench.ts.)
import { Counter, Histogram, type Registry } from 'prom-client';

/** 0.1 ms … 10 s, roughly 1-2.5-5 per decade. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Distinct mount (path, type) pairs with their own series; later mounts share mount="_other". */
export const MAX_MOUNT_LABELS = 500;
export const OVERFLOW_LABEL = '_other';
/** Label value for requests that matched no mount (sealed, unknown path, bad request). */
export const NO_MOUNT_LABEL = 'none';

/** What the pipeline reports for every finished request. */
export interface ObservedRequest {
  mountType: string;
  mountPath: string;
  operation: string;
  status: number;
  seconds: number;
}

// Operations the pipeline reports: parsed operations, or the lower-cased HTTP method when the
// request never got that far (bare sys endpoints, malformed requests). Anything else is "other".
const KNOWN_OPERATIONS = new Set([
  'create', 'read', 'update', 'delete', 'list', 'patch', 'get', 'put', 'post', 'head', 'options',
]);

type DurationLabel = 'mount_type' | 'operation';

interface DurationSeries {
  labels: { mount_type: string; operation: string };
  /** Non-cumulative: counts[i] observations fell in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface RequestSeries {
  labels: { mount_type: string; mount: string; operation: string; status: string };
  count: number;
  /** How much of `count` the prom-client counter has already been given. */
  reported: number;
  duration: DurationSeries;
}

type HistogramValues = Awaited<ReturnType<Histogram<DurationLabel>['get']>>;

/** A prom-client Histogram whose observations are accumulated elsewhere and read at scrape time. */
class AccumulatedHistogram extends Histogram<DurationLabel> {
  readonly #series: () => Iterable<DurationSeries>;
  readonly #bounds: readonly number[];
  readonly #header: Omit<HistogramValues, 'values'>;

  constructor(config: { name: string; help: string; registers: Registry[] }, bounds: readonly number[], series: () => Iterable<DurationSeries>) {
    super({ ...config, labelNames: ['mount_type', 'operation'], buckets: [...bounds] });
    this.#bounds = bounds;
    this.#series = series;
    // prom-client's runtime `type` is the exposition string (its .d.ts calls it an enum).
    this.#header = { name: config.name, help: config.help, type: 'histogram' as unknown as HistogramValues['type'], aggregator: 'sum', collect: () => undefined };
  }

  override async get(): Promise<HistogramValues> {
    const name = this.#header.name;
    const values: HistogramValues['values'] = [];
    for (const s of this.#series()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: this.#bounds[i]! } as HistogramValues['values'][number]['labels'], value: cumulative });
      }
      values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' } as HistogramValues['values'][number]['labels'], value: s.count });
      values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
    }
    return { ...this.#header, values };
  }

  /** The registry formats text from this when a metric has it (prom-client's own reads its internal map). */
  getForPromString(): Promise<HistogramValues> {
    return this.get();
  }
}

export function createRequestMetrics(registry: Registry) {
  const bounds = DURATION_BUCKETS;
  const allRequests: RequestSeries[] = [];
  const durations = new Map<string, DurationSeries>();

  new Counter({
    name: 'coffer_http_requests_total',
    help: 'API requests finished, by mount type, mount path (from the mount table), operation and HTTP status.',
    labelNames: ['mount_type', 'mount', 'operation', 'status'] as const,
    registers: [registry],
    collect() {
      for (const s of allRequests) {
        // Zero-valued series are created too, so a tuple appears from the first scrape after it was seen.
        this.inc(s.labels, s.count - s.reported);
        s.reported = s.count;
      }
    },
  });
  new AccumulatedHistogram({
    name: 'coffer_http_request_duration_seconds',
    help: 'API request latency in seconds (pipeline entry to response), by mount type and operation.',
    registers: [registry],
  }, bounds, () => durations.values());

  // mount path → mount type → operation → status → series.
  const byMount = new Map<string, Map<string, Map<string, Map<number, RequestSeries>>>>();
  let mountPairs = 0;

  function durationSeries(mountType: string, operation: string): DurationSeries {
    const key = `${mountType}\u0000${operation}`;
    let d = durations.get(key);
    if (!d) durations.set(key, (d = { labels: { mount_type: mountType, operation }, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 }));
    return d;
  }

  function newSeries(mountPath: string, mountType: string, operation: string, status: number): RequestSeries {
    // Labels are normalised once, when the tuple is first seen.
    const op = KNOWN_OPERATIONS.has(operation) ? operation : 'other';
    const type = mountType === '' ? NO_MOUNT_LABEL : mountType;
    const mount = mountPath === '' ? NO_MOUNT_LABEL : mountPath;
    const code = Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
    const s: RequestSeries = { labels: { mount_type: type, mount, operation: op, status: code }, count: 0, reported: 0, duration: durationSeries(type, op) };
    allRequests.push(s);
    return s;
  }

  function lookup(mountPath: string, mountType: string, operation: string, status: number): RequestSeries {
    let byType = byMount.get(mountPath);
    let byOp = byType?.get(mountType);
    if (!byOp) {
      if (mountPairs >= MAX_MOUNT_LABELS && mountPath !== OVERFLOW_LABEL) return lookup(OVERFLOW_LABEL, OVERFLOW_LABEL, operation, status);
      if (!byType) byMount.set(mountPath, (byType = new Map()));
      byType.set(mountType, (byOp = new Map()));
      mountPairs++;
    }
    let byStatus = byOp.get(operation);
    if (!byStatus) byOp.set(operation, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) byStatus.set(status, (s = newSeries(mountPath, mountType, operation, status)));
    return s;
  }

  /** The pipeline's `observe` hook: one call per finished request. */
  function observe(info: ObservedRequest): void {
    const s = lookup(info.mountPath, info.mountType, info.operation, info.status);
    s.count++;
    const d = s.duration;
    const seconds = info.seconds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    d.counts[i] += 1;
    d.sum += seconds;
    d.count++;
  }

  return { observe };
}
