// Shared pieces of the database engine tests: a harness with an injectable clock and a known
// password source, and LeaseRequests as the core would build them.
import { createDatabaseBackend } from '../../src/engines/database/index.js';
import type { LeaseRequest, Response } from '../../src/framework/types.js';
import { createHarness, testMount, type Harness } from '../helpers/backend.js';

export interface DbHarness extends Harness {
  clock: { now: number };
  /** Passwords handed out by the fake password generator, in order. */
  issued: string[];
  lease(resp: Response | undefined, extra?: Partial<LeaseRequest>): LeaseRequest;
}

export async function dbHarness(ttl = { def: 3600, max: 86400 }): Promise<DbHarness> {
  const clock = { now: Date.now() };
  const issued: string[] = [];
  let n = 0;
  const h = await createHarness((c) => createDatabaseBackend(c, { now: () => clock.now }), testMount('database/', 'database'), ttl, {
    async generatePassword(policy: string) {
      if (policy === 'broken') throw new Error('no such policy');
      const pw = `Pw-${policy || 'default'}-${++n}-${Math.random().toString(36).slice(2, 10)}A9`;
      issued.push(pw);
      return pw;
    },
  });
  return {
    ...h, clock, issued,
    lease(resp, extra = {}) {
      if (!resp?.secret) throw new Error('response has no secret');
      return {
        leaseId: `database/creds/x/${Math.random()}`, internal: resp.secret.internal, issueTime: clock.now, expireTime: 0, ttl: 0, increment: 0,
        storage: h.storage, ...extra,
      };
    },
  };
}

/** Runs `fn` and returns the error it throws (fails if it does not throw). */
export async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
