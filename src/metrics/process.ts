// Process-wide metrics (prom-client's default set with the coffer_ prefix: event-loop lag and its
// percentiles, CPU, memory, heap, GC, open handles). They describe the Node.js process, not one
// server, so they live on a single registry created on first use and shared by every server in the
// process (tests start many): collecting them per server would add a GC observer and an
// event-loop-delay monitor per server that can never be removed.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const PROCESS_METRICS_PREFIX = 'coffer_';

let shared: Registry | undefined;

export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: PROCESS_METRICS_PREFIX });
  }
  return shared;
}
