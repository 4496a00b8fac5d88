// Audit device failures in the server log. The broker tells its observer about every failed device
// write (and open); the metric counts them all, and this turns them into log lines an operator can
// act on — which device, which destination, which error code (EACCES, ENOSPC, EISDIR, ETIMEDOUT…) —
// at most one line per device per interval (default 10 s), with the number of failures that were
// not logged individually. Only the error's code, system call and message reach the log: never the
// entry being written (messages of errors without an errno-style code are left out, as they could
// quote the data that failed to serialise).
import { AuditDeviceError } from './broker.js';

/** What is known about a failed device write, without anything from the entry. */
export interface DeviceFailureFields {
  device: string;
  type?: string;
  /** The file path or socket address the device writes to. */
  target?: string;
  code?: string;
  syscall?: string;
  error: string;
}

export interface DeviceFailureLogOptions {
  /** Writes one server-log line (level error). */
  log: (fields: Record<string, unknown>, msg: string) => void;
  /** At most one line per device per this many ms. Default 10 s. */
  intervalMs?: number;
}

export const DEVICE_FAILURE_LOG_INTERVAL_MS = 10_000;

/** The loggable parts of an error: code, syscall, and the message only when it is a system-style error. */
export function describeDeviceError(device: string, err: unknown): DeviceFailureFields {
  const fields: DeviceFailureFields = { device, error: 'unknown error' };
  let inner: unknown = err;
  if (err instanceof AuditDeviceError) {
    fields.type = err.deviceType;
    fields.target = err.target;
    inner = err.cause;
  }
  const e = inner as { code?: unknown; syscall?: unknown; message?: unknown; name?: unknown } | null | undefined;
  if (e && typeof e === 'object') {
    if (typeof e.code === 'string') fields.code = e.code;
    if (typeof e.syscall === 'string') fields.syscall = e.syscall;
    const name = typeof e.name === 'string' ? e.name : 'Error';
    fields.error = typeof e.code === 'string' && typeof e.message === 'string' ? e.message.slice(0, 300) : name;
  } else if (inner !== undefined) {
    fields.error = 'non-Error value thrown';
  }
  // Log order: device, destination, code, message.
  const { device: d, type, target, code, syscall, error } = fields;
  return { device: d, ...(type !== undefined && { type }), ...(target !== undefined && { target }), ...(code !== undefined && { code }), ...(syscall !== undefined && { syscall }), error };
}

interface DeviceState {
  suppressed: number;
  /** Suppressed failures by code ('' when the error had none). */
  codes: Map<string, number>;
  last: DeviceFailureFields;
  timer: NodeJS.Timeout;
}

export function createDeviceFailureLog(opts: DeviceFailureLogOptions) {
  const interval = opts.intervalMs ?? DEVICE_FAILURE_LOG_INTERVAL_MS;
  const states = new Map<string, DeviceState>();

  function write(fields: Record<string, unknown>, msg: string): void {
    try {
      opts.log(fields, msg);
    } catch {
      // a broken logger must not change the audit outcome
    }
  }

  function summary(s: DeviceState): Record<string, unknown> {
    return { ...s.last, suppressed: s.suppressed, suppressed_codes: Object.fromEntries(s.codes), interval_ms: interval };
  }

  function arm(device: string): NodeJS.Timeout {
    const timer = setTimeout(() => windowEnd(device), interval);
    timer.unref();
    return timer;
  }

  /** A window ended: report what was suppressed in it (which opens the next window), or forget the device. */
  function windowEnd(device: string): void {
    const s = states.get(device);
    if (!s) return;
    if (s.suppressed === 0) {
      states.delete(device);
      return;
    }
    write(summary(s), `audit device still failing: ${s.suppressed} more failure(s) not logged individually`);
    s.suppressed = 0;
    s.codes.clear();
    s.timer = arm(device);
  }

  return {
    /** One failed write or open of the device at `device` (its mount path, e.g. "file/"). */
    report(device: string, err: unknown): void {
      const fields = describeDeviceError(device, err);
      const s = states.get(device);
      if (!s) {
        write({ ...fields }, 'audit device failed');
        states.set(device, { suppressed: 0, codes: new Map(), last: fields, timer: arm(device) });
        return;
      }
      s.suppressed++;
      s.last = fields;
      const code = fields.code ?? '';
      s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    },
    /** Logs what is still suppressed and stops the timers (server stop). */
    close(): void {
      for (const [device, s] of states) {
        clearTimeout(s.timer);
        if (s.suppressed > 0) write(summary(s), `audit device still failing: ${s.suppressed} more failure(s) not logged individually`);
        states.delete(device);
      }
    },
  };
}

export type DeviceFailureLog = ReturnType<typeof createDeviceFailureLog>;
