// One server's Prometheus metrics (prom-client, on a registry of its own; the process-wide
// default metrics — event-loop lag, memory, GC, handles — come from process.ts and are appended
// at scrape time). Request metrics are fed by the pipeline's `observe` hook; seal state, tokens and
// audit devices are read from the core lazily at scrape time; lease and rotation metrics have a
// small typed API for the subsystems that will own those numbers.
import { Counter, Gauge, Registry } from 'prom-client';
import { processRegistry } from './process.js';
import { createRequestMetrics, MAX_MOUNT_LABELS, OVERFLOW_LABEL } from './request-metrics.js';

export { DURATION_BUCKETS, MAX_MOUNT_LABELS, NO_MOUNT_LABEL, OVERFLOW_LABEL, type ObservedRequest } from './request-metrics.js';

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Windows of `coffer_leases_expiring`. */
export const EXPIRY_WINDOWS = ['1h', '24h', '7d'] as const;
export type ExpiryWindow = (typeof EXPIRY_WINDOWS)[number];

/** Distinct audit device labels; later devices share device="_other". */
export const MAX_DEVICE_LABELS = 100;
/** Distinct (mount, role) pairs for rotation failures; later pairs share "_other". */
export const MAX_ROTATION_LABELS = 1000;

/** The parts of the server core the scrape-time gauges read (the Core satisfies it). */
export interface MetricsSource {
  isSealed(): boolean;
  seal: { status(): Promise<{ initialized: boolean }> };
  /** Throws while sealed. */
  unsealed(): { tokens: { listAccessors(): Promise<string[]> } };
  unsealedAudit(): { list(): Record<string, unknown> } | undefined;
}

export interface MetricsOptions {
  /** How long a stored-token count is reused (ms). Default 10 s: a scrape walks token storage at most this often. */
  tokenCountTtlMs?: number;
  /** Clock for the token-count cache (tests). */
  now?: () => number;
  /** Told when a scrape-time read fails; the affected series is left out of that scrape. */
  onCollectError?: (err: unknown, metric: string) => void;
}

export function createMetrics(options: MetricsOptions = {}) {
  const tokenTtl = options.tokenCountTtlMs ?? 10_000;
  const now = options.now ?? Date.now;
  const reportError = (err: unknown, metric: string) => {
    try {
      options.onCollectError?.(err, metric);
    } catch {
      // a broken reporter must not fail the scrape
    }
  };
  const registry = new Registry();
  let source: MetricsSource | undefined;

  const { observe } = createRequestMetrics(registry);

  // --- seal state, tokens, audit devices (read at scrape time) ----------------------------------
  new Gauge({
    name: 'coffer_sealed',
    help: '1 while the server is sealed (or not yet initialised), 0 while unsealed.',
    registers: [registry],
    collect() {
      if (source) this.set(source.isSealed() ? 1 : 0);
    },
  });
  let initializedSeen = false;
  new Gauge({
    name: 'coffer_initialized',
    help: '1 once the server has been initialised (sys/init), else 0.',
    registers: [registry],
    async collect() {
      if (!source) return;
      // Initialisation is never undone: once seen, storage is not read again.
      if (!initializedSeen) {
        try {
          initializedSeen = (await source.seal.status()).initialized;
        } catch (err) {
          // Keep the last value: a storage hiccup does not un-initialise the server.
          reportError(err, 'coffer_initialized');
          return;
        }
      }
      this.set(initializedSeen ? 1 : 0);
    },
  });

  let tokenCount: { value: number; at: number } | undefined;
  let tokenCountPending: Promise<number> | undefined;
  async function storedTokens(s: MetricsSource): Promise<number> {
    if (tokenCount && now() - tokenCount.at < tokenTtl) return tokenCount.value;
    // Concurrent scrapes share one storage walk.
    tokenCountPending ??= (async () => {
      try {
        const value = (await s.unsealed().tokens.listAccessors()).length;
        tokenCount = { value, at: now() };
        return value;
      } finally {
        tokenCountPending = undefined;
      }
    })();
    return tokenCountPending;
  }
  new Gauge({
    name: 'coffer_tokens',
    help: 'Stored tokens by type, counted at most every 10 s; absent while sealed. Batch tokens are not stored and not counted.',
    labelNames: ['type'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!source || source.isSealed()) return;
      try {
        this.set({ type: 'service' }, await storedTokens(source));
      } catch (err) {
        // Sealed mid-scrape, or storage failed: leave the series out rather than report a wrong count.
        if (!source.isSealed()) reportError(err, 'coffer_tokens');
      }
    },
  });

  new Gauge({
    name: 'coffer_audit_devices',
    help: 'Enabled audit devices; 0 while sealed (sealing closes every device).',
    registers: [registry],
    collect() {
      const audit = source?.unsealedAudit();
      this.set(audit ? Object.keys(audit.list()).length : 0);
    },
  });
  const auditFailures = new Counter({
    name: 'coffer_audit_failures_total',
    help: 'Failed audit device writes (and opens), by device path. Any increase means requests are being refused (fail closed) or a device is degraded.',
    labelNames: ['device'] as const,
    registers: [registry],
  });
  const auditChildren = new Map<string, Counter.Internal>();
  let auditOverflow: Counter.Internal | undefined;

  /** CoreOptions.onAuditFailure: one call per failed device write. */
  function auditFailed(device: string): void {
    let child = auditChildren.get(device);
    if (!child) {
      if (auditChildren.size >= MAX_DEVICE_LABELS) child = auditOverflow ??= auditFailures.labels(OVERFLOW_LABEL);
      else auditChildren.set(device, (child = auditFailures.labels(device)));
    }
    child.inc();
  }
  const auditTruncations = new Counter({
    name: 'coffer_audit_truncations_total',
    help: 'Audit files found not ending where the server left them (cut or replaced: at unseal, restart, SIGHUP, or while open), by device path. Any value above 0 means the audit log was tampered with or lost lines.',
    labelNames: ['device'] as const,
    registers: [registry],
  });
  const truncationChildren = new Map<string, Counter.Internal>();
  let truncationOverflow: Counter.Internal | undefined;

  /** CoreOptions.onAuditTruncation: one call per audit file found cut or replaced. */
  function auditTruncated(device: string): void {
    let child = truncationChildren.get(device);
    if (!child) {
      if (truncationChildren.size >= MAX_DEVICE_LABELS) child = truncationOverflow ??= auditTruncations.labels(OVERFLOW_LABEL);
      else truncationChildren.set(device, (child = auditTruncations.labels(device)));
    }
    child.inc();
  }

  // --- leases and rotation (owned by the lease manager / rotation subsystems) -------------------
  const leases = new Gauge({
    name: 'coffer_leases',
    help: 'Outstanding leases by mount path, as last reported by the lease manager.',
    labelNames: ['mount'] as const,
    registers: [registry],
  });
  const leasesExpiring = new Gauge({
    name: 'coffer_leases_expiring',
    help: 'Outstanding leases expiring within the window (1h, 24h, 7d; cumulative), as last reported by the lease manager.',
    labelNames: ['window'] as const,
    registers: [registry],
  });
  for (const w of EXPIRY_WINDOWS) leasesExpiring.set({ window: w }, 0);
  const irrevocableLeases = new Counter({
    name: 'coffer_leases_irrevocable_total',
    help: 'Leases that became irrevocable: revocation failed on every retry; listed by sys/leases?type=irrevocable.',
    registers: [registry],
  });
  const rotationFailures = new Counter({
    name: 'coffer_rotation_failures_total',
    help: 'Failed credential rotations by mount path and role.',
    labelNames: ['mount', 'role'] as const,
    registers: [registry],
  });
  let rotationPairs = 0;
  const rotationSeen = new Map<string, Set<string>>();

  /** Replaces every `coffer_leases` series: mounts missing from `counts` no longer have one. */
  function setLeaseCounts(counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>): void {
    leases.reset();
    const entries = counts instanceof Map ? counts.entries() : Object.entries(counts);
    let n = 0;
    let overflow = 0;
    for (const [mount, count] of entries) {
      if (n++ < MAX_MOUNT_LABELS) leases.set({ mount }, count);
      else overflow += count;
    }
    if (n > MAX_MOUNT_LABELS) leases.set({ mount: OVERFLOW_LABEL }, overflow);
  }

  /** Leases expiring within each window (cumulative: the 24h count includes the 1h count). */
  function setLeasesExpiring(counts: Readonly<Record<ExpiryWindow, number>>): void {
    for (const w of EXPIRY_WINDOWS) leasesExpiring.set({ window: w }, counts[w]);
  }

  function rotationFailed(mount: string, role: string): void {
    let roles = rotationSeen.get(mount);
    if (!roles?.has(role)) {
      if (rotationPairs >= MAX_ROTATION_LABELS) {
        rotationFailures.inc({ mount: OVERFLOW_LABEL, role: OVERFLOW_LABEL });
        return;
      }
      if (!roles) rotationSeen.set(mount, (roles = new Set()));
      roles.add(role);
      rotationPairs++;
    }
    rotationFailures.inc({ mount, role });
  }

  // --- exposition -------------------------------------------------------------------------------
  return {
    registry,
    observe,
    auditFailed,
    auditTruncated,
    setLeaseCounts,
    setLeasesExpiring,
    leaseIrrevocable: () => irrevocableLeases.inc(),
    rotationFailed,
    /** Connects the scrape-time gauges to a core (before that they have no samples). */
    bind(core: MetricsSource): void {
      source = core;
    },
    /** Prometheus text: this server's metrics, then the process-wide ones (coffer_process_*, coffer_nodejs_*). */
    async prometheus(): Promise<string> {
      const [own, proc] = await Promise.all([registry.metrics(), processRegistry().metrics()]);
      return `${own}\n${proc}`;
    },
    /** prom-client's JSON form of the same metrics. */
    async json(): Promise<unknown[]> {
      const [own, proc] = await Promise.all([registry.getMetricsAsJSON(), processRegistry().getMetricsAsJSON()]);
      return [...own, ...proc];
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
