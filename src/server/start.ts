// Starts a server from a config: storage backend, core, listeners. Used by `coffer server`, the
// dev mode and the integration tests (which start real servers on random loopback ports).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createMemoryBackend } from '../storage/memory.js';
import { createSqliteBackend, storageFileWarnings } from '../storage/sqlite.js';
import type { StorageBackend } from '../storage/backend.js';
import { startHttpServer, type RunningServer } from '../http/server.js';
import { createCore, type Core, type CoreExtensions } from './core.js';
import { createMetrics, withMetrics, type ExpiryWindow, type Metrics } from '../metrics/index.js';
import { createDeviceFailureLog } from '../audit/failure-log.js';

const EXPIRY_SECONDS: Record<ExpiryWindow, number> = { '1h': 3600, '24h': 86_400, '7d': 604_800 };
import type { ServerConfig, StorageConfig } from './config.js';

export interface StartedServer {
  core: Core;
  /** This server's metrics (sys/metrics); lease and rotation subsystems report through it. */
  metrics: Metrics;
  listeners: RunningServer[];
  /** The first listener's base URL, e.g. http://127.0.0.1:8200 */
  address: string;
  stop(): Promise<void>;
}

export function openStorage(cfg: StorageConfig): StorageBackend {
  return cfg.type === 'sqlite' ? createSqliteBackend({ path: cfg.path }) : createMemoryBackend();
}

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}

export async function startServer(config: ServerConfig, logger: Logger, ext: CoreExtensions = {}): Promise<StartedServer> {
  const physical = openStorage(config.storage);
  // Existing files are not chmod-ed (as Vault does not): the operator is told instead.
  if (config.storage.type === 'sqlite') for (const w of storageFileWarnings(config.storage.path)) logger.warn({ path: w.path, mode: w.mode }, w.message);
  const metrics = createMetrics({ onCollectError: (err, metric) => logger.warn({ metric, err: err instanceof Error ? err.message : String(err) }, 'metrics collection failed') });
  // Audit device failures: every one counted, and logged (device, destination, error code) at most
  // once per device per 10 s with the number left out; never the entry.
  const auditFailureLog = createDeviceFailureLog({ log: (fields, msg) => logger.error(fields, msg) });
  const core = createCore({
    physical, defaultLeaseTTL: config.defaultLeaseTTL, maxLeaseTTL: config.maxLeaseTTL, clusterName: config.clusterName,
    // Only the error's class and message are logged: request data never reaches the log.
    logError: (err, context) => logger.error({ context, err: err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : String(err) }, 'request failed'),
    onAuditFailure: (path, err) => { metrics.auditFailed(path); auditFailureLog.report(path, err); },
    onAuditTruncation: (device, t) => {
      metrics.auditTruncated(device);
      logger.error({
        device, target: t.target, when: t.when, expected_seq: t.expectedSeq, expected_hash: t.expectedHash, found_seq: t.foundSeq, found_hash: t.foundHash,
        ...(t.expectedSize !== undefined && { expected_size: t.expectedSize, actual_size: t.actualSize }),
      }, 'audit log truncated: the file does not end where the server left it');
    },
    onIrrevocableLease: metrics.leaseIrrevocable,
    onRotationFailure: metrics.rotationFailed,
    logEvent: (level, msg, fields) => logger[level](fields, msg),
    leaseRetryBaseMs: config.leaseRetryBaseMs,
  }, withMetrics(metrics, ext));
  metrics.bind(core);
  // Lease gauges, reported by the expiration manager's index every 10 s while active.
  const leaseGauges = setInterval(() => {
    if (!core.isActive()) return;
    const snap = core.unsealed().leases.snapshot(EXPIRY_SECONDS);
    metrics.setLeaseCounts(snap.byMount);
    metrics.setLeasesExpiring(snap.expiring as Record<ExpiryWindow, number>);
  }, 10_000);
  leaseGauges.unref();
  const listeners: RunningServer[] = [];
  try {
    for (const l of config.listeners) {
      listeners.push(await startHttpServer(l, core.handle, undefined, (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'http error')));
    }
  } catch (err) {
    for (const l of listeners) await l.close();
    await core.close();
    auditFailureLog.close();
    throw err;
  }
  return {
    core, metrics, listeners, address: listeners[0]!.address,
    async stop() {
      clearInterval(leaseGauges);
      for (const l of listeners) await l.close();
      await core.close();
      auditFailureLog.close();
    },
  };
}

/** Dev mode: SQLite in a fresh private temp directory (removed on stop), initialised and unsealed, kv v2 at secret/. */
export async function startDevServer(opts: { listenAddress?: string; rootTokenId?: string; storage?: 'sqlite' | 'memory'; logger: Logger; ext?: CoreExtensions }) {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-dev-'));
  const storage: StorageConfig = opts.storage === 'memory' ? { type: 'memory' } : { type: 'sqlite', path: join(dir, 'coffer.db') };
  const server = await startServer({
    storage, listeners: [{ address: opts.listenAddress ?? '127.0.0.1:8200', tlsDisable: true }], ui: true, logLevel: 'info',
  }, opts.logger, opts.ext);
  const { rootToken, unsealKey } = await server.core.initializeDev(opts.rootTokenId);
  return {
    ...server, rootToken, unsealKey, storagePath: storage.type === 'sqlite' ? storage.path : ':memory:',
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
