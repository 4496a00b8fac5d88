// Typed access to a request's fields. Every declared field that was supplied is coerced up front
// (so a bad value fails the request before the handler runs); getters return the coerced value,
// the schema default, or the type's zero value.
import { InvalidRequestError } from '../core/errors.js';
import { coerceField, zeroValue, type FieldSchema } from './field-types.js';

export class FieldData {
  readonly raw: Record<string, unknown>;
  readonly schema: Record<string, FieldSchema>;
  private readonly values = new Map<string, unknown>();

  constructor(raw: Record<string, unknown>, schema: Record<string, FieldSchema>) {
    this.raw = raw;
    this.schema = schema;
    for (const [name, s] of Object.entries(schema)) {
      const v = raw[name];
      if (v === undefined || v === null) {
        if (s.required) throw new InvalidRequestError(`missing required field "${name}"`);
        continue;
      }
      this.values.set(name, coerceField(s, v, name));
    }
  }

  /** True when the client supplied the field (JSON null counts as not supplied). */
  has(name: string): boolean {
    return this.values.has(name);
  }

  private value(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    const s = this.schema[name];
    if (!s) throw new Error(`field "${name}" is not declared on this path`);
    return s.default !== undefined ? s.default : zeroValue(s.type);
  }

  string(name: string): string { return this.value(name) as string; }
  int(name: string): number { return this.value(name) as number; }
  bool(name: string): boolean { return this.value(name) as boolean; }
  /** Seconds. */
  duration(name: string): number { return this.value(name) as number; }
  strings(name: string): string[] { return [...(this.value(name) as string[])]; }
  map(name: string): Record<string, unknown> { return this.value(name) as Record<string, unknown>; }
  pairs(name: string): Record<string, string> { return this.value(name) as Record<string, string>; }
  rawValue(name: string): unknown { return this.value(name); }

  /** Supplied keys that no field declares (reported back as a warning, never an error). */
  unknownKeys(): string[] {
    return Object.keys(this.raw).filter((k) => !(k in this.schema));
  }
}
