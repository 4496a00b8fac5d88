// sys/metrics: GET ?format=prometheus → the text exposition format (a raw body); no format or
// format=json → prom-client's JSON under data.metrics in the usual envelope. Like Vault, the path is
// authenticated and goes through the normal ACL (a scraper needs `read` on sys/metrics).
import { definePath, type PathDef } from '../framework/backend.js';
import { InvalidRequestError } from '../core/errors.js';
import { PROMETHEUS_CONTENT_TYPE, type Metrics } from './metrics.js';

export function metricsPaths(metrics: Pick<Metrics, 'prometheus' | 'json'>): PathDef[] {
  return [
    definePath({
      pattern: 'metrics',
      fields: { format: { type: 'string' } },
      operations: {
        read: async (_req, d) => {
          const format = d.string('format');
          if (format === 'prometheus') {
            return { raw: { status: 200, contentType: PROMETHEUS_CONTENT_TYPE, body: await metrics.prometheus() } };
          }
          if (format === '' || format === 'json') return { data: { metrics: await metrics.json() } };
          // Vault's wording for an unknown format.
          throw new InvalidRequestError(`metric response format "${format}" unknown`);
        },
      },
      help: 'Server and process metrics (format=prometheus for the Prometheus text format).',
    }),
  ];
}
