// The audit broker: the device table (persisted through the barrier), one chained writer per
// device, and the fail-closed rule. Every request and response entry goes to every enabled device
// at once; the call resolves as soon as one device has written it and rejects — with a constant
// message, no detail — only when every device failed. A device that hangs therefore delays nothing
// while another works, and on its own it fails after its write timeout (socket) instead of freezing.
import { createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { InternalError, InvalidRequestError } from '../core/errors.js';
import type { Storage } from '../storage/backend.js';
import { getJSON, putJSON } from '../storage/json.js';
import { createFileSink } from './devices/file.js';
import { createSocketSink } from './devices/socket.js';
import { formatRequestEntry, formatResponseEntry, hash as hmacValue, type AuditInput, type FormatOptions } from './format.js';
import { codedError, createChainWriter, deriveChainKey, type ChainHead, type ChainWriter, type RecordedHead, type TruncationInfo } from './hash-chain.js';
import { checkFilePathAbsolute, normaliseOptions, parseDeviceConfig, type DeviceConfig } from './options.js';

/** Storage key of the device table (in the barrier-backed system view). */
export const AUDIT_TABLE_KEY = 'core/audit';
/** Storage key of the server's audit chain secret (see loadOrCreateAuditChainSecret). */
export const AUDIT_CHAIN_SECRET_KEY = 'core/audit-chain-secret';
/** Storage keys (barrier-encrypted) of file devices' recorded chain heads: prefix + device path without its slash. */
export const AUDIT_HEAD_PREFIX = 'core/audit-head/';
/** How often a file device's head is recorded while lines are being written (besides checkpoints, rotation, close). */
export const HEAD_RECORD_INTERVAL_MS = 1000;

/** A file device's file that did not end where the server left it, as the broker reports it. */
export type AuditTruncation = TruncationInfo & { target: string };

/** What the server keeps about where it left a file device's chain. */
interface HeadRecord {
  version: 1;
  seq: number;
  hash: string;
  /** Recorded after the closing checkpoint: the file must end exactly here. */
  closed: boolean;
  /** The file it applies to (a record for another path is ignored). */
  file: string;
  time: string;
}

function headKey(devicePath: string): string {
  return AUDIT_HEAD_PREFIX + devicePath.replace(/\/+$/, '');
}

/** The error a request gets when no device could log it (500, message without detail). */
export class AuditFailureError extends InternalError {
  constructor(kind: 'request' | 'response') {
    super(`failed to log ${kind} to any audit device`);
  }
}

/**
 * What the broker's onDeviceFailure observer receives: which device failed, where it writes, and the
 * original error as `cause`. Its message names the device and the error code only, never an entry.
 */
export class AuditDeviceError extends Error {
  readonly device: string;
  readonly deviceType: string;
  /** The file path or socket address. */
  readonly target: string;
  readonly code: string | undefined;
  constructor(device: string, deviceType: string, target: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null | undefined)?.code;
    super(`audit device "${device}" failed${typeof code === 'string' ? `: ${code}` : ''}`, { cause });
    this.name = 'AuditDeviceError';
    this.device = device;
    this.deviceType = deviceType;
    this.target = target;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

interface TableEntry {
  path: string;
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
  uuid: string;
  salt: string;
}

export interface EnableInput {
  type: string;
  description?: string;
  options?: Record<string, unknown>;
  local?: boolean;
}

export interface AuditDeviceInfo {
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
  path: string;
}

export interface AuditBrokerOptions {
  /** Barrier-backed system storage: the device table and salts live here, encrypted. */
  storage: Storage;
  /** The server's audit chain secret (≥ 32 bytes); per-device chain keys are derived from it. */
  chainKey: Uint8Array;
  /** Request headers to audit (lower-case name → HMAC the value?). Called per entry. */
  auditedHeaders?: () => Readonly<Record<string, boolean>>;
  /**
   * Told about every failed device write or open (metrics, server log) with an AuditDeviceError
   * (destination and cause). Never given entry contents.
   */
  onDeviceFailure?: (path: string, err: AuditDeviceError) => void;
  /**
   * Told when a file device's file does not end where the server left it (cut or replaced), with
   * what was expected and found (never entry contents). The next chain-start line records it too.
   */
  onTruncation?: (path: string, info: AuditTruncation) => void;
  /** How often heads are recorded while lines are written (ms); default HEAD_RECORD_INTERVAL_MS. */
  headRecordIntervalMs?: number;
  now?: () => Date;
}

/** Records one file device's chain head in storage: serialised, coalesced, after an fdatasync of the file. */
interface HeadRecorder {
  /** Records the writer's current head unless storage already has it. Never rejects. */
  record(): Promise<void>;
  /** What storage holds now (after loading or recording). */
  recorded: { seq: number; closed: boolean } | undefined;
}

interface Device {
  entry: TableEntry;
  config: DeviceConfig;
  format: Omit<FormatOptions, 'auditedHeaders'>;
  writer: ChainWriter;
  /** The salt imported once as an HMAC key. */
  saltKey: KeyObject;
  /** Token/accessor hashes shared by a request's request and response entries; dropped with the request. */
  memo: WeakMap<object, Map<string, string>>;
  /** Regular-file devices only (not stdout/discard/socket): the recorded head. */
  recorder?: HeadRecorder;
}

/** Returns the stored audit chain secret, creating 32 random bytes on first use. */
export async function loadOrCreateAuditChainSecret(storage: Storage): Promise<Uint8Array> {
  const existing = await storage.get(AUDIT_CHAIN_SECRET_KEY);
  if (existing && existing.length >= 32) return existing;
  const secret = new Uint8Array(randomBytes(32));
  await storage.put(AUDIT_CHAIN_SECRET_KEY, secret);
  return secret;
}

/** "file", "/file/", "file/" → "file/". Refuses empty paths and odd characters. */
export function normaliseAuditPath(path: string): string {
  const p = String(path ?? '').replace(/^\/+|\/+$/g, '');
  if (p === '' || !/^[\w.-]+(\/[\w.-]+)*$/.test(p)) throw new InvalidRequestError(`invalid audit device path "${String(path)}"`);
  return `${p}/`;
}

function targetOf(config: DeviceConfig): string {
  return config.file?.filePath ?? config.socket?.address ?? '';
}

export function createAuditBroker(opts: AuditBrokerOptions) {
  const { storage } = opts;
  const secret = new Uint8Array(opts.chainKey);
  if (secret.length < 32) throw new Error('audit chain key must be at least 32 bytes');
  const now = opts.now ?? (() => new Date());
  const devices = new Map<string, Device>();
  /** Stored entries whose options no longer parse: enabled, but every write to them fails. */
  const brokenEntries = new Map<string, TableEntry>();
  let state: 'new' | 'open' | 'closed' = 'new';
  let tableLock: Promise<unknown> = Promise.resolve();
  let ticker: NodeJS.Timeout | undefined;
  const recordInterval = opts.headRecordIntervalMs ?? HEAD_RECORD_INTERVAL_MS;

  function locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = tableLock.then(fn, fn);
    tableLock = run.catch(() => undefined);
    return run;
  }

  function createHeadRecorder(path: string, file: string, writer: () => ChainWriter): HeadRecorder {
    let running: Promise<void> | undefined;
    let again = false;
    const recorder: HeadRecorder = {
      recorded: undefined,
      record() {
        if (running) {
          again = true;
          return running;
        }
        running = (async () => {
          try {
            do {
              again = false;
              const w = writer();
              const st = w.state();
              if (st.seq === 0 || (recorder.recorded?.seq === st.seq && recorder.recorded.closed === st.closed)) continue;
              await w.sync(); // every line up to this head is on disk before storage says so
              const rec: HeadRecord = { version: 1, seq: st.seq, hash: st.mac, closed: st.closed, file, time: now().toISOString() };
              await putJSON(storage, headKey(path), rec);
              recorder.recorded = { seq: st.seq, closed: st.closed };
            } while (again);
          } catch {
            // Storage unavailable (sealing, a storage hiccup): the next checkpoint or tick records it.
          }
        })().then(() => { running = undefined; }); // (a callback, so it runs after the assignment even when nothing was awaited)
        return running;
      },
    };
    return recorder;
  }

  function buildDevice(entry: TableEntry): Device {
    const config = parseDeviceConfig(entry.type, entry.options);
    const sink = config.file ? createFileSink(config.file) : createSocketSink(config.socket!);
    const file = config.file && config.file.filePath !== 'stdout' && config.file.filePath !== 'discard' ? config.file.filePath : undefined;
    let recorder: HeadRecorder | undefined;
    const writer = createChainWriter({
      key: deriveChainKey(secret, entry.path),
      sink,
      devicePath: entry.path,
      prefix: config.prefix,
      checkpointInterval: config.checkpointInterval,
      appendTimeoutMs: config.appendTimeoutMs,
      now,
      onAnchor: () => void recorder?.record(),
      onTruncation: (info) => {
        try {
          opts.onTruncation?.(entry.path, { ...info, target: targetOf(config) });
        } catch {
          // a broken observer must not change the audit outcome
        }
      },
    });
    if (file) recorder = createHeadRecorder(entry.path, file, () => writer);
    return {
      entry,
      config,
      format: { logRaw: config.logRaw, hmacAccessor: config.hmacAccessor, elideListResponses: config.elideListResponses },
      writer,
      saltKey: createSecretKey(Buffer.from(entry.salt, 'utf8')),
      memo: new WeakMap(),
      recorder,
    };
  }

  /** Where the server recorded that it left this device's file (undefined: nothing recorded for this file). */
  async function loadRecordedHead(device: Device): Promise<RecordedHead | undefined> {
    if (!device.recorder) return undefined;
    const rec = await getJSON<HeadRecord>(storage, headKey(device.entry.path)).catch(() => undefined);
    if (!rec || rec.file !== device.config.file?.filePath || !Number.isSafeInteger(rec.seq) || rec.seq < 1 || typeof rec.hash !== 'string') return undefined;
    device.recorder.recorded = { seq: rec.seq, closed: rec.closed === true };
    return { seq: rec.seq, mac: rec.hash, closed: rec.closed === true };
  }

  /** Closes a device's writer (closing checkpoint) and waits until its closed head is recorded. */
  async function closeDevice(d: Device): Promise<void> {
    await d.writer.close();
    await d.recorder?.record();
  }

  /** While open: record heads that moved (at most once per interval) and check that no open file was cut. */
  function startTicker(): void {
    if (ticker) return;
    ticker = setInterval(() => {
      for (const d of devices.values()) {
        if (!d.recorder) continue;
        void d.recorder.record();
        void d.writer.checkLive();
      }
    }, recordInterval);
    ticker.unref();
  }

  function stopTicker(): void {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
  }

  function tableEntries(): TableEntry[] {
    return [...[...devices.values()].map((d) => d.entry), ...brokenEntries.values()];
  }

  async function saveTable(entries: TableEntry[]): Promise<void> {
    await putJSON(storage, AUDIT_TABLE_KEY, { version: 1, entries });
  }

  function failed(path: string, err: unknown, entry?: TableEntry): void {
    const known = devices.get(path)?.entry ?? brokenEntries.get(path) ?? entry;
    const target = known ? known.options['file_path'] || known.options['path'] || known.options['address'] || '' : '';
    try {
      opts.onDeviceFailure?.(path, err instanceof AuditDeviceError ? err : new AuditDeviceError(path, known?.type ?? '', target, err));
    } catch {
      // a broken observer must not change the audit outcome
    }
  }

  /** Loads the table and opens every device, closing any already open. Caller holds the table lock. */
  async function restoreUnlocked(): Promise<void> {
    const stored = await getJSON<{ version: number; entries: TableEntry[] }>(storage, AUDIT_TABLE_KEY);
    for (const d of devices.values()) await closeDevice(d).catch(() => undefined);
    devices.clear();
    brokenEntries.clear();
    for (const entry of stored?.entries ?? []) {
      let device: Device;
      try {
        device = buildDevice(entry);
      } catch (err) {
        // Stored options no longer valid: the entry stays enabled and can only fail (fail closed).
        failed(entry.path, err, entry);
        brokenEntries.set(entry.path, entry);
        continue;
      }
      devices.set(entry.path, device);
      // The file must end where the server left it (checked by the writer when it opens the file).
      const recorded = await loadRecordedHead(device);
      // A device that cannot open now stays enabled and is retried on every write.
      await device.writer.open(recorded).catch((err: unknown) => failed(entry.path, err));
    }
    state = 'open';
    startTicker();
  }

  async function ready(): Promise<void> {
    if (state === 'new') await locked(async () => { if (state === 'new') await restoreUnlocked(); });
    if (state === 'closed') throw new InternalError('audit broker is closed');
  }

  async function dispatch(kind: 'request' | 'response', input: AuditInput): Promise<void> {
    await ready();
    if (devices.size === 0) {
      if (brokenEntries.size > 0) throw new AuditFailureError(kind);
      return;
    }
    if (brokenEntries.size > 0) for (const p of brokenEntries.keys()) failed(p, codedError('ERR_AUDIT_OPTIONS_INVALID', 'audit device options are invalid'));
    const time = now();
    const headers = opts.auditedHeaders?.();
    const attempts = [...devices.values()].map((d) => ({
      path: d.entry.path,
      done: (async () => {
        const format: FormatOptions = headers ? { ...d.format, auditedHeaders: headers } : d.format;
        let memo = d.memo.get(input.request);
        if (!memo) d.memo.set(input.request, (memo = new Map()));
        const entry = kind === 'request'
          ? formatRequestEntry(input, d.saltKey, format, time, memo)
          : formatResponseEntry(input, d.saltKey, format, time, memo);
        await d.writer.append(JSON.stringify(entry));
      })(),
    }));
    await new Promise<void>((resolve, reject) => {
      let pending = attempts.length;
      for (const { path, done } of attempts) {
        done.then(resolve, (err: unknown) => {
          failed(path, err);
          if (--pending === 0) reject(new AuditFailureError(kind));
        });
      }
    });
  }

  return {
    /** Enables a device: validates, opens it (its chain-start line is the test write), then persists the table. */
    async enable(path: string, input: EnableInput): Promise<void> {
      const p = normaliseAuditPath(path);
      return locked(async () => {
        if (state === 'new') await restoreUnlocked();
        if (state === 'closed') throw new InternalError('audit broker is closed');
        if (devices.has(p) || brokenEntries.has(p)) throw new InvalidRequestError(`path already in use at "${p}"`);
        if (typeof input?.type !== 'string' || input.type === '') throw new InvalidRequestError('missing audit device type');
        const options = normaliseOptions(input.options);
        const config = parseDeviceConfig(input.type, options);
        checkFilePathAbsolute(config);
        const target = targetOf(config);
        for (const d of devices.values()) {
          if (target !== 'stdout' && target !== 'discard' && d.config.type === config.type && targetOf(d.config) === target) {
            throw new InvalidRequestError(`audit device at "${d.entry.path}" already writes to "${target}"`);
          }
        }
        const entry: TableEntry = {
          path: p,
          type: input.type,
          description: typeof input.description === 'string' ? input.description : '',
          options,
          local: input.local === true,
          uuid: randomUUID(),
          salt: randomUUID(),
        };
        const device = buildDevice(entry);
        // A head recorded for an earlier device at this path says nothing about this one.
        if (device.recorder) await storage.delete(headKey(p));
        try {
          await device.writer.open();
        } catch (err) {
          if (!config.skipTest) {
            await device.writer.close().catch(() => undefined);
            const code = (err as NodeJS.ErrnoException | undefined)?.code;
            throw new InvalidRequestError(`sanity check failed; unable to open "${target}" for writing${code ? `: ${code}` : ''}`);
          }
          failed(p, err, entry);
        }
        try {
          await saveTable([...tableEntries(), entry]);
        } catch (err) {
          await device.writer.close().catch(() => undefined);
          throw err;
        }
        devices.set(p, device);
      });
    },

    /** Disables a device (a closing checkpoint is written first). Unknown paths are not an error. */
    async disable(path: string): Promise<void> {
      const p = normaliseAuditPath(path);
      return locked(async () => {
        if (state === 'new') await restoreUnlocked();
        const device = devices.get(p);
        if (!device && !brokenEntries.has(p)) return;
        await saveTable(tableEntries().filter((e) => e.path !== p));
        devices.delete(p);
        brokenEntries.delete(p);
        if (device) {
          await closeDevice(device).catch((err: unknown) => failed(p, err, device.entry));
          await storage.delete(headKey(p)).catch(() => undefined);
        }
      });
    },

    /** The table as `sys/audit` lists it: `"path/" → {type, description, options, local, path}`. */
    list(): Record<string, AuditDeviceInfo> {
      const out: Record<string, AuditDeviceInfo> = {};
      const entries = tableEntries().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      for (const e of entries) out[e.path] = { type: e.type, description: e.description, options: { ...e.options }, local: e.local, path: e.path };
      return out;
    },

    /** Loads the table and opens every device; call after each unseal. Devices that cannot open fail their writes. */
    restore(): Promise<void> {
      return locked(restoreUnlocked);
    },

    /** Writes closing checkpoints and closes every device (seal, shutdown). Logging fails until restore(). */
    close(): Promise<void> {
      return locked(async () => {
        stopTicker();
        for (const d of devices.values()) await closeDevice(d).catch((err: unknown) => failed(d.entry.path, err));
        devices.clear();
        brokenEntries.clear();
        state = 'closed';
      });
    },

    /** Log rotation (SIGHUP): every device writes a rotate checkpoint, reopens its file, continues the chain. */
    reopen(): Promise<void> {
      return locked(async () => {
        await Promise.all([...devices.values()].map((d) => d.writer.rotate().catch((err: unknown) => failed(d.entry.path, err))));
      });
    },

    logRequest(input: AuditInput): Promise<void> {
      return dispatch('request', input);
    },

    logResponse(input: AuditInput): Promise<void> {
      return dispatch('response', input);
    },

    /** sys/audit-hash: the device's HMAC of `input`, as it appears in that device's log. */
    hash(path: string, input: string): string {
      const p = normaliseAuditPath(path);
      const entry = devices.get(p)?.entry ?? brokenEntries.get(p);
      if (!entry) throw new InvalidRequestError('unknown audit backend');
      return hmacValue(entry.salt, String(input));
    },

    /**
     * The chain key (hex) that verifies logs written by the device at `path`, for the privileged
     * sys/audit-chain-key endpoint (docs/audit.md). Derivable for any path, so logs of a disabled
     * device stay verifiable.
     */
    chainKeyHex(path: string): string {
      return Buffer.from(deriveChainKey(secret, normaliseAuditPath(path))).toString('hex');
    },

    /** The device's current chain head: an anchor an operator can record elsewhere. */
    chainHead(path: string): ChainHead | undefined {
      return devices.get(normaliseAuditPath(path))?.writer.head();
    },

    /** True when at least one device is enabled (requests then need an audit success). */
    enabled(): boolean {
      return devices.size + brokenEntries.size > 0;
    },
  };
}

export type AuditBroker = ReturnType<typeof createAuditBroker>;
