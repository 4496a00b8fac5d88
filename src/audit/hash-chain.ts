// Tamper evidence for audit logs (beyond Vault). Every line a device writes ends with
//   "chain":{"seq":<n>,"prev":"<hex>","mac":"<hex>"}}
// where `mac` is HMAC-SHA256 (keyed with the device's chain key) of the line's exact bytes with the
// `,"mac":"…"` member removed, and `prev` is the `mac` of the line written before it. Editing a line
// breaks its own MAC, deleting/inserting/reordering breaks `seq`/`prev`, and without the key nobody can
// compute a valid MAC for a forged or re-linked line. Checkpoint lines (every N entries, and at
// rotation/close) mark where a file may legitimately end, so a truncated file is detected too.
// The exact format is documented in docs/audit.md; verify.ts walks it.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const CHAIN_FORMAT_VERSION = 1;
const MAC_HEX_LEN = 64;
/** `,"mac":"` + 64 hex + `"}}` — the fixed tail of every chained line. */
export const MAC_SUFFIX_LEN = 8 + MAC_HEX_LEN + 3;
const MAC_SUFFIX = /^,"mac":"([0-9a-f]{64})"\}\}$/;
const CHAIN_TAIL = /"chain":\{"seq":([1-9][0-9]{0,15}),"prev":"((?:[0-9a-f]{64})?)"\}\}$/;

/** Why a chain segment starts: a brand-new chain, or a continuation of an earlier one. */
export type StartReason = 'new' | 'reopen' | 'rotate' | 'recover';
export type CheckpointReason = 'interval' | 'rotate' | 'close';

/** Where a chain stands: the last line's sequence number and MAC ('' before the first line). */
export interface ChainHead {
  seq: number;
  mac: string;
}

/**
 * The per-device chain key: HKDF-SHA256 of the server's audit chain secret, bound to the device
 * path. Deterministic, so an operator can obtain the key for a path again after a restart (or after
 * the device was disabled) to verify old files, and one device's key says nothing about another's.
 */
export function deriveChainKey(secret: Uint8Array, devicePath: string): Uint8Array {
  if (secret.length < 32) throw new Error('audit chain secret must be at least 32 bytes');
  return new Uint8Array(hkdfSync('sha256', secret, 'coffer-audit-chain', `v${CHAIN_FORMAT_VERSION}:${devicePath}`, 32));
}

function macHex(key: Uint8Array, data: Uint8Array | string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/**
 * Seals one JSON object (its serialised text, which must be a non-empty object) into a chained line,
 * without the trailing newline. `prefix` (the device's `prefix` option) is part of the MAC'd bytes.
 */
export function sealLine(key: Uint8Array, prefix: string, objectJson: string, seq: number, prev: string): { line: string; mac: string } {
  if (objectJson.length < 3 || objectJson[0] !== '{' || objectJson[objectJson.length - 1] !== '}') {
    throw new Error('audit entry must be a non-empty JSON object');
  }
  const unsealed = `${prefix}${objectJson.slice(0, -1)},"chain":{"seq":${seq},"prev":"${prev}"}}`;
  const mac = macHex(key, unsealed);
  return { line: `${unsealed.slice(0, -2)},"mac":"${mac}"}}`, mac };
}

export type OpenedLine =
  | { ok: true; seq: number; prev: string; mac: string; macValid: boolean }
  | { ok: false; reason: string };

const SUFFIX_TAIL = Buffer.from('}}');

/**
 * Checks one line (exact bytes, without its newline) against the key: its own MAC and the chain
 * member. Does not parse the rest of the JSON.
 */
export function openLine(key: Uint8Array, line: Uint8Array): OpenedLine {
  const buf = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (buf.length <= MAC_SUFFIX_LEN) return { ok: false, reason: 'not a chained audit line' };
  const suffix = MAC_SUFFIX.exec(buf.subarray(buf.length - MAC_SUFFIX_LEN).toString('latin1'));
  if (!suffix) return { ok: false, reason: 'not a chained audit line (no chain MAC)' };
  const unsealed = Buffer.concat([buf.subarray(0, buf.length - MAC_SUFFIX_LEN), SUFFIX_TAIL]);
  const tail = CHAIN_TAIL.exec(unsealed.subarray(Math.max(0, unsealed.length - 120)).toString('latin1'));
  if (!tail) return { ok: false, reason: 'not a chained audit line (no chain member)' };
  const mac = suffix[1]!;
  const expected = createHmac('sha256', key).update(unsealed).digest();
  const macValid = timingSafeEqual(expected, Buffer.from(mac, 'hex'));
  return { ok: true, seq: Number(tail[1]), prev: tail[2]!, mac, macValid };
}

/** Parses the JSON object of a line whose MAC has been checked, skipping the device prefix. */
export function parseLineObject(line: Uint8Array): Record<string, unknown> | undefined {
  const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
    try {
      const v: unknown = JSON.parse(text.slice(i));
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // the prefix contained '{': try the next one
    }
  }
  return undefined;
}

/** The end of a file a sink writes to (see readTail in devices/file.ts). */
export interface SinkTail {
  /** File size when it was read. */
  size: number;
  endsWithNewline: boolean;
  /** The last complete line, without its newline (undefined: none, or too long to read back). */
  lastLine: Uint8Array | undefined;
  /** Bytes after the last newline: an incomplete line (a write cut short by a crash). */
  tornBytes: number;
}

/** Where chained lines go. A sink writes whole lines; it knows nothing about the chain. */
export interface LineSink {
  /** Opens (or creates) the destination. */
  open(): Promise<void>;
  /**
   * Writes one or more complete lines (each with its '\n'). Rejects when they could not be written;
   * a sink that can, leaves nothing of a failed write behind.
   */
  write(line: string): Promise<void>;
  /** Closes and opens again (log rotation: the path may now name a new file). */
  reopen(): Promise<void>;
  close(): Promise<void>;
  /**
   * For sinks backed by a file that survives restarts: how the file ends (its last complete line and
   * any incomplete one after it). undefined when there is nothing to resume (missing or empty).
   */
  readTail?(): Promise<SinkTail | undefined>;
  /** Cuts the file from `fromSize` bytes (its size now, or it refuses) back to `toSize`. */
  dropTail?(fromSize: number, toSize: number): Promise<void>;
  /**
   * Whether the open file shrank below the bytes this sink wrote to it (someone cut it while it was
   * open): the sizes when it did (reported once; later checks compare with the new size).
   */
  checkShrunk?(): Promise<{ expectedSize: number; actualSize: number } | undefined>;
  /** Flushes what was written to stable storage (fdatasync), so a recorded head is never ahead of the disk. */
  sync?(): Promise<void>;
  /** Most bytes one write() may carry (several whole lines are batched up to this); default 1 MiB. */
  readonly maxWriteBytes?: number;
}

/** The chain head the server last recorded for a device (kept in barrier storage; see broker.ts). */
export interface RecordedHead {
  seq: number;
  mac: string;
  /** Recorded right after a closing checkpoint (seal, shutdown, disable): the file must end exactly there. */
  closed: boolean;
}

/** A file that does not end where the server left it. */
export interface TruncationInfo {
  /**
   * 'open': found when the server opened the file again (unseal, restart, a retried open);
   * 'live': the open file shrank below what the server wrote to it (seen at SIGHUP or by the periodic check).
   */
  when: 'open' | 'live';
  /** Where the server left the chain. */
  expectedSeq: number;
  expectedHash: string;
  /** The last chained line at the end of the file (0 and '' when there is none). */
  foundSeq: number;
  foundHash: string;
  /** For 'live': the bytes the server had written and the size it found. */
  expectedSize?: number;
  actualSize?: number;
}

/** The member a chain-start line carries after a truncation was found. */
function truncationRecord(t: TruncationInfo): Record<string, unknown> {
  return {
    when: t.when, expected_seq: t.expectedSeq, expected_hash: t.expectedHash, found_seq: t.foundSeq, found_hash: t.foundHash,
    ...(t.expectedSize !== undefined && { expected_size: t.expectedSize, actual_size: t.actualSize }),
  };
}

export interface ChainWriterOptions {
  key: Uint8Array;
  sink: LineSink;
  /** Device path, written into chain-start lines so an operator knows which key verifies a file. */
  devicePath: string;
  prefix?: string;
  /** A checkpoint line after this many entries (default 1000). */
  checkpointInterval?: number;
  /**
   * An append not written within this many ms is rejected (the server answers, failing closed,
   * instead of hanging on a stuck device). 0 = wait forever. Default 10 s.
   */
  appendTimeoutMs?: number;
  now?: () => Date;
  /**
   * Told after a chain-start or checkpoint line was written, and after close (then `closed` is true
   * when the closing checkpoint was written): the moments the broker records the head.
   */
  onAnchor?: (head: ChainHead, closed: boolean) => void;
  /** Told when the file does not end where the server left it (also recorded in the next chain-start line). */
  onTruncation?: (info: TruncationInfo) => void;
}

/** Entries waiting behind a stuck write beyond this are refused at once. */
export const MAX_PENDING_ENTRIES = 10_000;

/** An Error with an errno-style `code` (the server log shows the code and message of these). */
export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

export class AuditWriteTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`audit device did not complete the write within ${ms} ms`);
    this.name = 'AuditWriteTimeoutError';
  }
}

/**
 * Serialises writes to one sink and links them. All operations are queued in call order; entries
 * appended while a write is in flight are batched into the next write (group commit). The head only
 * advances when a write succeeded, so a failed write leaves no gap in the chain.
 */
export function createChainWriter(opts: ChainWriterOptions) {
  const { key, sink, devicePath } = opts;
  const prefix = opts.prefix ?? '';
  const interval = opts.checkpointInterval ?? 1000;
  const now = opts.now ?? (() => new Date());
  let head: ChainHead = { seq: 0, mac: '' };
  /** The last line written is a closing (close/rotate) checkpoint. */
  let headClosed = false;
  /** Where the server recorded that it left this device's file; checked when the file is opened. */
  let expected: RecordedHead | undefined;
  let liveCheckRunning = false;
  const maxWrite = sink.maxWriteBytes ?? 1024 * 1024;
  const appendTimeout = opts.appendTimeoutMs ?? 10_000;
  let sinceCheckpoint = 0;
  let opened = false;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  /** Entries waiting for the next flush: appends made while a write is in flight share one write. */
  /** `abandoned`: the caller timed out before the flush took the entry; it is not written. */
  let pending: Array<{ json: string; resolve: () => void; reject: (err: unknown) => void; abandoned?: boolean }> = [];
  let flushQueued = false;

  function enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  async function writeObject(obj: Record<string, unknown> | string): Promise<void> {
    const json = typeof obj === 'string' ? obj : JSON.stringify(obj);
    const seq = head.seq + 1;
    const sealed = sealLine(key, prefix, json, seq, head.mac);
    await sink.write(`${sealed.line}\n`);
    head = { seq, mac: sealed.mac };
    headClosed = false;
  }

  async function writeCheckpoint(reason: CheckpointReason): Promise<void> {
    await writeObject({ time: now().toISOString(), type: 'checkpoint', reason, seq: head.seq, hash: head.mac });
    sinceCheckpoint = 0;
    headClosed = reason === 'close' || reason === 'rotate';
  }

  function tell<A extends unknown[]>(fn: ((...args: A) => void) | undefined, ...args: A): void {
    try {
      fn?.(...args);
    } catch {
      // an observer's failure must not change the audit outcome
    }
  }

  /** The open file shrank below what we wrote (cut while open)? Reads its last line for the record. */
  async function checkShrunk(): Promise<TruncationInfo | undefined> {
    const shrunk = await sink.checkShrunk?.();
    if (!shrunk) return undefined;
    const tail = await sink.readTail?.().catch(() => undefined);
    const last = tail?.lastLine ? openLine(key, tail.lastLine) : undefined;
    const found = last?.ok && last.macValid ? last : undefined;
    return {
      when: 'live', expectedSeq: head.seq, expectedHash: head.mac, foundSeq: found?.seq ?? 0, foundHash: found?.mac ?? '',
      expectedSize: shrunk.expectedSize, actualSize: shrunk.actualSize,
    };
  }

  async function writeStart(reason: StartReason, extra: Record<string, unknown> = {}): Promise<void> {
    await writeObject({ time: now().toISOString(), type: 'chain-start', reason, device: devicePath, version: CHAIN_FORMAT_VERSION, ...extra });
  }

  /**
   * Opens the sink and writes a chain-start line, continuing the chain already in the file if any.
   * With a recorded head, the file must end there (or, after an unclean stop, beyond it): a file
   * that ends earlier or differently was cut or replaced. The chain then continues from the
   * recorded head — so the missing lines show as a gap in the chain — and the chain-start line says
   * what was expected and found. A missing or empty file is a new file (rotated away while the
   * server was stopped): after a clean close the chain continues in it from the recorded head.
   */
  async function doOpen(): Promise<void> {
    await sink.open();
    let reason: StartReason = head.seq > 0 ? 'reopen' : 'new';
    let torn = 0;
    let truncation: TruncationInfo | undefined;
    if (head.seq === 0 && sink.readTail) {
      const tail = await sink.readTail();
      let found: (ChainHead & { closed: boolean }) | undefined;
      if (tail) {
        const last = tail.lastLine ? openLine(key, tail.lastLine) : undefined;
        const ours = last?.ok === true && last.macValid;
        if (!tail.endsWithNewline) {
          if (ours && sink.dropTail) {
            // Half a line after our last complete one: a write cut short (crash, full disk). It was
            // never acknowledged; cut it off so the chain goes on from the last whole line.
            await sink.dropTail(tail.size, tail.size - tail.tornBytes);
            torn = tail.tornBytes;
          } else {
            await sink.write('\n'); // not our chain: keep it, but isolate it from our first line
          }
        }
        if (ours && last.ok) {
          const obj = parseLineObject(tail.lastLine!);
          const closed = obj?.['type'] === 'checkpoint' && (obj['reason'] === 'close' || obj['reason'] === 'rotate');
          found = { seq: last.seq, mac: last.mac, closed: closed && torn === 0 };
        }
      }
      const exp = expected && expected.seq > 0 ? expected : undefined;
      if (exp && !tail) {
        // A new file. After a clean close the previous file ends at the recorded head: link to it.
        if (exp.closed) {
          head = { seq: exp.seq, mac: exp.mac };
          reason = 'rotate';
        }
      } else if (exp && (!found || found.seq < exp.seq || (found.seq === exp.seq && found.mac !== exp.mac))) {
        truncation = { when: 'open', expectedSeq: exp.seq, expectedHash: exp.mac, foundSeq: found?.seq ?? 0, foundHash: found?.mac ?? '' };
        head = { seq: exp.seq, mac: exp.mac };
        reason = exp.closed ? 'reopen' : 'recover';
      } else if (found) {
        head = { seq: found.seq, mac: found.mac };
        reason = found.closed ? 'reopen' : 'recover';
      }
    }
    await writeStart(reason, { ...(torn > 0 && { torn_bytes: torn }), ...(truncation && { truncation: truncationRecord(truncation) }) });
    expected = undefined;
    opened = true;
    if (truncation) tell(opts.onTruncation, truncation);
    tell(opts.onAnchor, { ...head }, false);
  }

  /**
   * Seals every waiting entry (plus a checkpoint where one falls due) and writes them with one
   * write call: whole lines only, so the file never holds half a line from us. The head advances
   * only if the write succeeded; otherwise every entry in the batch is rejected.
   */
  async function flush(): Promise<void> {
    flushQueued = false;
    const batch = pending.filter((p) => !p.abandoned);
    pending = [];
    try {
      if (!opened) await doOpen();
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    let i = 0;
    while (i < batch.length) {
      let h = head;
      let since = sinceCheckpoint;
      const lines: string[] = [];
      let bytes = 0;
      const start = i;
      let checkpointed = false;
      while (i < batch.length && (i === start || bytes + batch[i]!.json.length < maxWrite)) {
        const sealed = sealLine(key, prefix, batch[i]!.json, h.seq + 1, h.mac);
        lines.push(sealed.line);
        bytes += sealed.line.length + 1;
        h = { seq: h.seq + 1, mac: sealed.mac };
        i++;
        if (++since >= interval) {
          const cp = sealLine(key, prefix, JSON.stringify({ time: now().toISOString(), type: 'checkpoint', reason: 'interval', seq: h.seq, hash: h.mac }), h.seq + 1, h.mac);
          lines.push(cp.line);
          bytes += cp.line.length + 1;
          h = { seq: h.seq + 1, mac: cp.mac };
          since = 0;
          checkpointed = true;
        }
      }
      try {
        await sink.write(`${lines.join('\n')}\n`);
      } catch (err) {
        for (const b of batch.slice(start)) b.reject(err);
        return;
      }
      head = h;
      headClosed = false;
      sinceCheckpoint = since;
      for (const b of batch.slice(start, i)) b.resolve();
      if (checkpointed) tell(opts.onAnchor, { ...head }, false);
    }
  }

  return {
    /**
     * Opens the sink (reading back the file's chain head when it has one) and writes a chain-start
     * line. `recorded`: where the server recorded that it left this file (checked against its end).
     */
    open(recorded?: RecordedHead): Promise<void> {
      closed = false;
      expected = recorded;
      return enqueue(doOpen);
    },
    /**
     * Appends one entry (a serialised JSON object). Opens the sink first if an earlier open failed.
     * Resolves once the line is written (possibly in one write with other entries queued meanwhile).
     */
    append(entryJson: string): Promise<void> {
      if (closed) return Promise.reject(codedError('ERR_AUDIT_DEVICE_CLOSED', 'audit device is closed'));
      if (pending.length >= MAX_PENDING_ENTRIES) return Promise.reject(codedError('ERR_AUDIT_BACKLOG_FULL', 'audit device backlog is full'));
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const item = {
          json: entryJson,
          resolve: () => { clearTimeout(timer); resolve(); },
          reject: (err: unknown) => { clearTimeout(timer); reject(err); },
          abandoned: false,
        };
        if (appendTimeout > 0) {
          timer = setTimeout(() => {
            item.abandoned = true; // still waiting in `pending`: dropped; already in a write: may still land
            reject(new AuditWriteTimeoutError(appendTimeout));
          }, appendTimeout);
        }
        pending.push(item);
        if (!flushQueued) {
          flushQueued = true;
          void enqueue(flush);
        }
      });
    },
    /** Log rotation: a checkpoint closes the old file, the sink reopens, a chain-start line continues the chain. */
    rotate(): Promise<void> {
      return enqueue(async () => {
        // The old file must still end where we left it; the new file's first line records it if not.
        let truncation: TruncationInfo | undefined;
        if (opened) {
          truncation = await checkShrunk().catch(() => undefined);
          await writeCheckpoint('rotate').catch(() => undefined);
        }
        opened = false;
        if (head.seq === 0) {
          // Never opened (it failed at start): open the path as at start, resuming what it holds.
          await sink.close();
          await doOpen();
          return;
        }
        await sink.reopen();
        await writeStart('rotate', truncation ? { truncation: truncationRecord(truncation) } : {});
        opened = true;
        if (truncation) tell(opts.onTruncation, truncation);
        tell(opts.onAnchor, { ...head }, false);
      });
    },
    /**
     * Checks (outside the write queue; only a shrinking file counts, which our own writes never
     * cause) that the open file was not cut since the last check. Reports through onTruncation.
     */
    async checkLive(): Promise<void> {
      if (!opened || liveCheckRunning) return;
      liveCheckRunning = true;
      try {
        const t = await checkShrunk();
        if (t) tell(opts.onTruncation, t);
      } catch {
        // the file went away or cannot be read: the next write reports the device failure
      } finally {
        liveCheckRunning = false;
      }
    },
    /** Flushes the file to stable storage (before the head is recorded). */
    async sync(): Promise<void> {
      await sink.sync?.();
    },
    /**
     * Writes a closing checkpoint (best effort) and closes the sink. Gives up after the append
     * timeout if the device is stuck, so sealing or shutting down never hangs on it.
     */
    close(): Promise<void> {
      closed = true;
      const done = enqueue(async () => {
        if (opened) await writeCheckpoint('close').catch(() => undefined);
        opened = false;
        await sink.close();
        if (headClosed) tell(opts.onAnchor, { ...head }, true);
      });
      if (appendTimeout <= 0) return done;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new AuditWriteTimeoutError(appendTimeout)), appendTimeout);
        done.then(() => { clearTimeout(timer); resolve(); }, (err: unknown) => { clearTimeout(timer); reject(err); });
      });
    },
    head(): ChainHead {
      return { ...head };
    },
    /** The head and whether it is a closing checkpoint (what the broker records). */
    state(): RecordedHead {
      return { ...head, closed: headClosed };
    },
    isOpen(): boolean {
      return opened;
    },
  };
}

export type ChainWriter = ReturnType<typeof createChainWriter>;
