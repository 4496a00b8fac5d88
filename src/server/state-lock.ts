// The request side of Vault's state lock. Every API request holds it, shared, from admission until
// its response entry is audited; going idle (seal, step-down, shutdown) takes it exclusively: from
// that moment new requests are refused (503, sealed) and the teardown waits, for a bounded time,
// until the requests already admitted have finished. So a request either runs to its end against
// live services — its write committed, its response audited — or is refused before it starts.

export interface StateLock {
  /** Admits one request; false when not serving (sealed, standby, or going idle). */
  tryEnter(): boolean;
  /** An admitted request has finished. */
  leave(): void;
  /** Starts admitting requests (the node became active). */
  open(): void;
  /**
   * Stops admitting requests and waits until every admitted one has left, or `timeoutMs` passed.
   * Resolves true when drained, false on timeout (the stragglers then meet torn-down services).
   */
  close(timeoutMs: number): Promise<boolean>;
  /** Requests admitted and not yet finished. */
  inFlight(): number;
}

export function createStateLock(): StateLock {
  let serving = false;
  let active = 0;
  let waiters: Array<() => void> = [];

  function wake(): void {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  }

  return {
    tryEnter() {
      if (!serving) return false;
      active++;
      return true;
    },
    leave() {
      if (active > 0) active--;
      if (active === 0 && waiters.length > 0) wake();
    },
    open() {
      serving = true;
    },
    close(timeoutMs) {
      serving = false;
      if (active === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve(true);
        };
        waiters.push(done);
      });
    },
    inFlight: () => active,
  };
}
