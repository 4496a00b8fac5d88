// Vault's weak typing of request fields: clients send "3600" for ints, "a,b" for lists,
// "1h" for durations, and null to mean "not supplied". These coercions are part of the API.
import { InvalidRequestError } from '../core/errors.js';
import { parseDurationSeconds } from '../lib/duration.js';

export type FieldType =
  | 'string'
  | 'lowercase-string'
  | 'name'
  | 'int'
  | 'bool'
  | 'duration'
  | 'comma-string-slice'
  | 'string-slice'
  | 'map'
  | 'kv-pairs'
  | 'raw';

export interface FieldSchema {
  type: FieldType;
  default?: unknown;
  description?: string;
  required?: boolean;
  allowedValues?: readonly string[];
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parseBool(v: unknown, field: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  throw new InvalidRequestError(`error converting input for field "${field}": value is not a valid bool`);
}

export function parseInt64(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v.trim())) {
    const n = Number.parseInt(v.trim(), 10);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new InvalidRequestError(`error converting input for field "${field}": value is not a valid integer`);
}

function parseStringSlice(v: unknown, field: string, splitCommas: boolean): string[] {
  if (Array.isArray(v)) {
    return v.map((x) => {
      if (typeof x === 'string') return x.trim();
      if (typeof x === 'number' || typeof x === 'boolean') return String(x);
      throw new InvalidRequestError(`error converting input for field "${field}": expected a list of strings`);
    }).filter((x) => x !== '');
  }
  if (typeof v === 'string') {
    if (v.trim() === '') return [];
    return splitCommas ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : [v];
  }
  if (typeof v === 'number') return [String(v)];
  throw new InvalidRequestError(`error converting input for field "${field}": expected a list of strings`);
}

function parseMap(v: unknown, field: string): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch { /* fall through to the error below */ }
  }
  throw new InvalidRequestError(`error converting input for field "${field}": expected a map`);
}

function parseKVPairs(v: unknown, field: string): Record<string, string> {
  // Accepts {"k":"v"} or ["k=v", ...] or "k=v,k2=v2".
  if (Array.isArray(v) || typeof v === 'string') {
    const out: Record<string, string> = {};
    for (const item of parseStringSlice(v, field, true)) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new InvalidRequestError(`error converting input for field "${field}": expected key=value pairs`);
      out[item.slice(0, eq)] = item.slice(eq + 1);
    }
    return out;
  }
  const m = parseMap(v, field);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(m)) {
    if (typeof val !== 'string') throw new InvalidRequestError(`error converting input for field "${field}": values must be strings`);
    out[k] = val;
  }
  return out;
}

function parseString(v: unknown, field: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new InvalidRequestError(`error converting input for field "${field}": expected a string`);
}

/** Coerces one supplied value to its schema type; throws InvalidRequestError with the field name. */
export function coerceField(schema: FieldSchema, v: unknown, field: string): unknown {
  let out: unknown;
  switch (schema.type) {
    case 'string': out = parseString(v, field); break;
    case 'lowercase-string': out = parseString(v, field).toLowerCase(); break;
    case 'name': {
      const s = parseString(v, field);
      if (!/^\w(([\w-.]+)?\w)?$/.test(s)) throw new InvalidRequestError(`invalid ${field}: only letters, digits, '-', '_' and '.' are allowed`);
      out = s;
      break;
    }
    case 'int': out = parseInt64(v, field); break;
    case 'bool': out = parseBool(v, field); break;
    case 'duration': out = parseDurationSeconds(v, field); break;
    case 'comma-string-slice': out = parseStringSlice(v, field, true); break;
    case 'string-slice': out = parseStringSlice(v, field, false); break;
    case 'map': out = parseMap(v, field); break;
    case 'kv-pairs': out = parseKVPairs(v, field); break;
    case 'raw': out = v; break;
  }
  if (schema.allowedValues && typeof out === 'string' && !schema.allowedValues.includes(out)) {
    throw new InvalidRequestError(`invalid value for "${field}": must be one of ${schema.allowedValues.join(', ')}`);
  }
  return out;
}

/** The zero value Vault uses when a field is neither supplied nor defaulted. */
export function zeroValue(type: FieldType): unknown {
  switch (type) {
    case 'string': case 'lowercase-string': case 'name': return '';
    case 'int': case 'duration': return 0;
    case 'bool': return false;
    case 'comma-string-slice': case 'string-slice': return [];
    case 'map': case 'kv-pairs': return {};
    case 'raw': return undefined;
  }
}
