// Validation of `sys/audit/:path` options. Vault stores device options as a string map, so that is
// what we keep and list; this module turns them into a typed device configuration and refuses
// anything malformed or unknown with InvalidRequestError (a 400, nothing stored).
import { isAbsolute } from 'node:path';
import { InvalidRequestError } from '../core/errors.js';
import { parseDurationSeconds } from '../lib/duration.js';
import type { SocketType } from './devices/socket.js';

export const DEVICE_TYPES = ['file', 'socket'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface DeviceConfig {
  type: DeviceType;
  prefix: string;
  logRaw: boolean;
  hmacAccessor: boolean;
  elideListResponses: boolean;
  /** Entries between two checkpoint lines. */
  checkpointInterval: number;
  /** Enable even when the first write fails (Vault's skip_test). */
  skipTest: boolean;
  /** How long an entry may wait to be written before the device counts as failed for it. */
  appendTimeoutMs: number;
  file?: { filePath: string; mode: number };
  socket?: { address: string; socketType: SocketType; writeTimeoutMs: number };
}

const COMMON_KEYS = ['format', 'prefix', 'log_raw', 'hmac_accessor', 'elide_list_responses', 'skip_test', 'checkpoint_interval'];
const TYPE_KEYS: Record<DeviceType, string[]> = {
  file: ['file_path', 'path', 'mode', 'write_timeout'],
  socket: ['address', 'socket_type', 'write_timeout'],
};
export const DEFAULT_CHECKPOINT_INTERVAL = 1000;

/** Vault keeps options as strings: booleans and numbers are stringified, anything else refused. */
export function normaliseOptions(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequestError('options must be a map of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === null) continue; // JSON null: not set
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = String(v);
    else throw new InvalidRequestError(`option "${k}" must be a string`);
  }
  return out;
}

function parseBool(options: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = options[key];
  if (v === undefined || v === '') return dflt;
  switch (v.toLowerCase()) {
    case 'true': case '1': case 't': return true;
    case 'false': case '0': case 'f': return false;
    default: throw new InvalidRequestError(`unable to parse "${key}": "${v}" is not a boolean`);
  }
}

export function parseDeviceConfig(type: unknown, options: Record<string, string>): DeviceConfig {
  if (typeof type !== 'string' || type === '') throw new InvalidRequestError('missing audit device type');
  if (!(DEVICE_TYPES as readonly string[]).includes(type)) throw new InvalidRequestError(`unknown backend type: "${type}"`);
  const t = type as DeviceType;
  const allowed = new Set([...COMMON_KEYS, ...TYPE_KEYS[t]]);
  for (const k of Object.keys(options)) {
    if (!allowed.has(k)) throw new InvalidRequestError(`unknown option "${k}" for audit device type "${t}"`);
  }
  const format = options['format'] || 'json';
  if (format === 'jsonx') throw new InvalidRequestError('format "jsonx" is not supported (OpenBao removed it); use "json"');
  if (format !== 'json') throw new InvalidRequestError(`unknown format "${format}"; must be "json"`);
  const ci = options['checkpoint_interval'];
  const checkpointInterval = ci === undefined || ci === '' ? DEFAULT_CHECKPOINT_INTERVAL : Number(ci);
  if (!Number.isInteger(checkpointInterval) || checkpointInterval < 1 || checkpointInterval > 1_000_000) {
    throw new InvalidRequestError('checkpoint_interval must be an integer from 1 to 1000000');
  }
  const prefix = options['prefix'] ?? '';
  if (/[\r\n]/.test(prefix)) throw new InvalidRequestError('prefix must not contain a line break');
  const config: DeviceConfig = {
    type: t,
    prefix,
    logRaw: parseBool(options, 'log_raw', false),
    hmacAccessor: parseBool(options, 'hmac_accessor', true),
    elideListResponses: parseBool(options, 'elide_list_responses', false),
    checkpointInterval,
    skipTest: parseBool(options, 'skip_test', false),
    appendTimeoutMs: 10_000,
  };
  if (t === 'file') {
    const filePath = options['file_path'] || options['path'] || '';
    if (filePath === '') throw new InvalidRequestError('file_path is required');
    if (filePath.includes('\0')) throw new InvalidRequestError('file_path must not contain NUL');
    const modeText = options['mode'] || '0600';
    if (!/^0?[0-7]{3,4}$/.test(modeText)) throw new InvalidRequestError(`invalid mode "${modeText}": expected an octal number such as "0600"`);
    config.file = { filePath, mode: Number.parseInt(modeText, 8) };
    const wt = options['write_timeout'];
    if (wt !== undefined && wt !== '') config.appendTimeoutMs = writeTimeoutMs(wt);
  } else {
    const address = options['address'] ?? '';
    if (address === '') throw new InvalidRequestError('address is required');
    const socketType = (options['socket_type'] || 'tcp') as SocketType;
    if (!['tcp', 'udp', 'unix'].includes(socketType)) throw new InvalidRequestError(`unknown socket_type "${socketType}"; must be tcp, udp or unix`);
    if (socketType !== 'unix' && !/^(\[[^\]]+\]|[^:[\]]+):\d{1,5}$/.test(address)) {
      throw new InvalidRequestError(`invalid address "${address}": expected host:port`);
    }
    const wt = options['write_timeout'];
    const ms = wt === undefined || wt === '' ? 2000 : writeTimeoutMs(wt);
    config.socket = { address, socketType, writeTimeoutMs: ms };
    // A write may take a connect, a write and one retry, each bounded by write_timeout.
    config.appendTimeoutMs = Math.max(10_000, 3 * ms + 1000);
  }
  return config;
}

/**
 * Checked when a device is enabled: a file device writes to an absolute path, or to Vault's special
 * "stdout" or "discard". A relative path would depend on the directory the server happened to be
 * started from. (Devices already stored with one keep opening as before, so an upgrade never turns
 * them into failing devices that refuse every request.)
 */
export function checkFilePathAbsolute(config: DeviceConfig): void {
  const p = config.file?.filePath;
  if (p === undefined || p === 'stdout' || p === 'discard' || isAbsolute(p)) return;
  throw new InvalidRequestError(`file_path must be an absolute path (or "stdout" or "discard"), not "${p.slice(0, 200)}"`);
}

/** write_timeout in ms; accepts sub-second Go durations ("500ms"), which parseDurationSeconds would floor. */
function writeTimeoutMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)ms$/.exec(text.trim());
  const seconds = m ? Number(m[1]) / 1000 : parseDurationSeconds(text, 'write_timeout');
  if (seconds <= 0 || seconds > 300) throw new InvalidRequestError('write_timeout must be more than 0 and at most 5m');
  return Math.round(seconds * 1000);
}
