// Metrics for one server: `withMetrics` adds the pipeline hook and the sys/metrics path to a
// server's core extensions (keeping any the caller already set).
import type { CoreExtensions } from '../server/core.js';
import { metricsPaths } from './path-metrics.js';
import type { Metrics } from './metrics.js';

export { createMetrics, PROMETHEUS_CONTENT_TYPE, EXPIRY_WINDOWS, type Metrics, type MetricsOptions, type MetricsSource, type ExpiryWindow } from './metrics.js';
export { metricsPaths } from './path-metrics.js';

export function withMetrics(metrics: Metrics, ext: CoreExtensions = {}): CoreExtensions {
  const other = ext.observe;
  return {
    ...ext,
    sysPaths: [...(ext.sysPaths ?? []), ...metricsPaths(metrics)],
    observe: other
      ? (info) => {
        metrics.observe(info);
        other(info);
      }
      : metrics.observe,
  };
}
