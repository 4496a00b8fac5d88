// sys/seal, sys/step-down, sys/rotate, sys/key-status (spec §2.2, §2.9).
import { definePath, type PathDef } from '../framework/backend.js';
import type { SystemContext } from './context.js';

export function keyPaths(ctx: SystemContext): PathDef[] {
  return [
    definePath({ pattern: 'seal', operations: { update: async (req) => { await ctx.seal(req); return undefined; } }, help: 'Seal the server.' }),
    // A standalone node is always active: stepping down is a no-op.
    definePath({ pattern: 'step-down', operations: { update: async () => undefined }, help: 'Give up active status.' }),
    definePath({
      pattern: 'rotate',
      operations: { update: async () => { await ctx.rotate(); return undefined; } },
      help: 'Add a new barrier encryption key term.',
    }),
    definePath({ pattern: 'key-status', operations: { read: async () => ({ data: { ...ctx.keyStatus() } }) }, help: 'The active barrier key term.' }),
  ];
}
