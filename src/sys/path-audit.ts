// sys/audit (enable, disable, list), sys/audit-hash and sys/audit-chain-key (spec §2.8; docs/audit.md).
import { definePath, type PathDef } from '../framework/backend.js';
import type { AuditBroker } from '../audit/broker.js';

export function auditPaths(broker: () => AuditBroker): PathDef[] {
  return [
    definePath({
      pattern: 'audit/?',
      operations: { read: async () => ({ data: { ...broker().list() } }) },
      help: 'List the enabled audit devices.',
    }),
    definePath({
      pattern: 'audit/(?<path>.+)',
      fields: { path: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' }, options: { type: 'map' }, local: { type: 'bool' } },
      operations: {
        update: async (_req, d) => {
          await broker().enable(d.string('path'), { type: d.string('type'), description: d.string('description'), options: d.map('options'), local: d.bool('local') });
          return undefined;
        },
        delete: async (_req, d) => {
          await broker().disable(d.string('path'));
          return undefined;
        },
      },
      help: 'Enable or disable an audit device.',
    }),
    definePath({
      pattern: 'audit-hash/(?<path>.+)',
      fields: { path: { type: 'string' }, input: { type: 'string' } },
      operations: { update: async (_req, d) => ({ data: { hash: broker().hash(d.string('path'), d.string('input')) } }) },
      help: "The device's HMAC of a value, as it appears in that device's log.",
    }),
    definePath({
      pattern: 'audit-chain-key/(?<path>.+)',
      fields: { path: { type: 'string' } },
      operations: {
        read: async (_req, d) => ({ data: { key: broker().chainKeyHex(d.string('path')), head: broker().chainHead(d.string('path')) ?? null } }),
      },
      help: "The key that verifies a device's hash chain (coffer audit verify).",
    }),
  ];
}
