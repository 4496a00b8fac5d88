// Server configuration files, HCL or JSON, in the shape Vault operators already write:
//   storage "sqlite" { path = "/var/lib/coffer/coffer.db" }   (or storage "memory" {})
//   listener "tcp" { address = "127.0.0.1:8200" tls_disable = true }
//   api_addr = "…"  default_lease_ttl = "768h"  max_lease_ttl = "768h"  ui = true
import { readFileSync } from 'node:fs';
import { InvalidRequestError } from '../core/errors.js';
import { parseDurationSeconds } from '../lib/duration.js';
import { hclBodyToObject, parseHCL } from '../lib/hcl.js';
import { parseBool } from '../framework/field-types.js';
import type { ListenerConfig, ListenerTimeouts } from '../http/server.js';
import type { JsonLimits } from '../http/json-limits.js';

export type StorageConfig = { type: 'sqlite'; path: string } | { type: 'memory' };

export interface ServerConfig {
  storage: StorageConfig;
  listeners: ListenerConfig[];
  apiAddr?: string;
  defaultLeaseTTL?: number;
  maxLeaseTTL?: number;
  ui: boolean;
  clusterName?: string;
  logLevel: string;
  /** First retry delay of a failed lease revocation, ms (tests and benchmarks; not a config file setting). */
  leaseRetryBaseMs?: number;
}

const KNOWN_TOP = new Set([
  'storage', 'backend', 'listener', 'api_addr', 'cluster_addr', 'default_lease_ttl', 'max_lease_ttl', 'ui', 'cluster_name',
  'log_level', 'disable_mlock', 'pid_file', 'log_format', 'telemetry',
]);

function configError(message: string): InvalidRequestError {
  return new InvalidRequestError(`config: ${message}`);
}

/** `storage "x" {…}` decodes to {x: {…}}; a repeated block type decodes to an array of those. */
function blocks(value: unknown, name: string): Array<[string, Record<string, unknown>]> {
  const items = Array.isArray(value) ? value : [value];
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw configError(`${name} must be a block`);
    for (const [label, body] of Object.entries(item as Record<string, unknown>)) {
      const bodies = Array.isArray(body) ? body : [body];
      for (const b of bodies) {
        if (b === null || typeof b !== 'object' || Array.isArray(b)) throw configError(`${name} "${label}" must be a block`);
        out.push([label, b as Record<string, unknown>]);
      }
    }
  }
  return out;
}

function positiveInt(v: unknown, name: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw configError(`${name} must be a positive integer`);
  return n;
}

/** Vault's listener JSON limits (see http/json-limits.ts). */
const JSON_LIMIT_SETTINGS: Array<[string, keyof JsonLimits]> = [
  ['max_json_depth', 'maxDepth'],
  ['max_json_string_value_length', 'maxStringValueLength'],
  ['max_json_object_entry_count', 'maxObjectEntryCount'],
  ['max_json_array_element_count', 'maxArrayElementCount'],
];

/** Vault's listener timeouts (see http/server.ts nodeTimeouts). */
const TIMEOUT_SETTINGS: Array<[string, keyof ListenerTimeouts]> = [
  ['http_read_header_timeout', 'readHeaderMs'],
  ['http_read_timeout', 'readMs'],
  ['http_idle_timeout', 'idleMs'],
];

/** A duration ("10s", "5m", or whole seconds) in ms; 0 is allowed (no timeout, or Vault's fallback). */
function durationMs(v: unknown, name: string): number {
  try {
    return parseDurationSeconds(v, name) * 1000;
  } catch {
    throw configError(`${name} is not a valid duration`);
  }
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw configError(`${name} must be a non-empty string`);
  return v;
}

function bool(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  try {
    return parseBool(v, name);
  } catch {
    throw configError(`${name} must be a boolean`);
  }
}

export function parseConfig(text: string, fileName = 'config'): ServerConfig {
  let raw: Record<string, unknown>;
  const trimmed = text.trimStart();
  if (fileName.endsWith('.json') || trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      raw = parsed as Record<string, unknown>;
    } catch (err) {
      throw configError(`${fileName} is not valid JSON (${(err as Error).message})`);
    }
  } else {
    raw = hclBodyToObject(parseHCL(text));
  }
  for (const key of Object.keys(raw)) if (!KNOWN_TOP.has(key)) throw configError(`unknown setting "${key}"`);

  const storageBlocks = blocks(raw['storage'] ?? raw['backend'] ?? { memory: {} }, 'storage');
  if (storageBlocks.length !== 1) throw configError('exactly one storage block is required');
  const [stype, sbody] = storageBlocks[0]!;
  let storage: StorageConfig;
  if (stype === 'sqlite') storage = { type: 'sqlite', path: str(sbody['path'], 'storage "sqlite" path') };
  else if (stype === 'memory' || stype === 'inmem') storage = { type: 'memory' };
  else throw configError(`unsupported storage type "${stype}" (supported: sqlite, memory)`);

  const listeners: ListenerConfig[] = [];
  for (const [ltype, lbody] of raw['listener'] === undefined ? [] : blocks(raw['listener'], 'listener')) {
    if (ltype !== 'tcp') throw configError(`unsupported listener type "${ltype}"`);
    const tlsDisable = bool(lbody['tls_disable'], 'tls_disable');
    const l: ListenerConfig = { address: typeof lbody['address'] === 'string' ? lbody['address'] : '127.0.0.1:8200', tlsDisable };
    if (!tlsDisable) {
      l.tlsCertFile = str(lbody['tls_cert_file'], 'listener tls_cert_file');
      l.tlsKeyFile = str(lbody['tls_key_file'], 'listener tls_key_file');
    }
    if (lbody['max_request_size'] !== undefined) l.maxRequestSize = positiveInt(lbody['max_request_size'], 'max_request_size');
    const jsonLimits: Partial<JsonLimits> = {};
    for (const [key, field] of JSON_LIMIT_SETTINGS) {
      if (lbody[key] !== undefined) jsonLimits[field] = positiveInt(lbody[key], key);
    }
    if (Object.keys(jsonLimits).length > 0) l.jsonLimits = jsonLimits;
    const timeouts: Partial<ListenerTimeouts> = {};
    for (const [key, field] of TIMEOUT_SETTINGS) {
      if (lbody[key] !== undefined) timeouts[field] = durationMs(lbody[key], key);
    }
    if (Object.keys(timeouts).length > 0) l.timeouts = timeouts;
    listeners.push(l);
  }
  if (listeners.length === 0) throw configError('at least one listener "tcp" block is required');

  const ttl = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    try {
      return parseDurationSeconds(v, k);
    } catch {
      throw configError(`${k} is not a valid duration`);
    }
  };
  const defaultLeaseTTL = ttl('default_lease_ttl');
  const maxLeaseTTL = ttl('max_lease_ttl');
  if (defaultLeaseTTL && maxLeaseTTL && defaultLeaseTTL > maxLeaseTTL) throw configError('default_lease_ttl cannot exceed max_lease_ttl');
  return {
    storage, listeners, defaultLeaseTTL, maxLeaseTTL,
    apiAddr: typeof raw['api_addr'] === 'string' ? raw['api_addr'] : undefined,
    ui: bool(raw['ui'], 'ui'),
    clusterName: typeof raw['cluster_name'] === 'string' ? raw['cluster_name'] : undefined,
    logLevel: typeof raw['log_level'] === 'string' ? raw['log_level'] : 'info',
  };
}

export function loadConfigFile(path: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseConfig(text, path);
}
