// Vault's listener JSON limits (max_json_depth, max_json_string_value_length,
// max_json_object_entry_count, max_json_array_element_count), checked on the raw request body
// before it is parsed: a hostile body is refused with 400 before anything — JSON.parse, the field
// decoder, the audit formatter — walks a structure built from it.

export interface JsonLimits {
  /** Deepest nesting of objects and arrays (`{}` is depth 1). */
  maxDepth: number;
  /** Longest string, object keys included, in bytes of its decoded UTF-8. */
  maxStringValueLength: number;
  /** Most entries in one object. */
  maxObjectEntryCount: number;
  /** Most elements in one array. */
  maxArrayElementCount: number;
}

/** Vault's defaults. */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = {
  maxDepth: 500,
  maxStringValueLength: 1_048_576,
  maxObjectEntryCount: 10_000,
  maxArrayElementCount: 10_000,
};

export class JsonLimitError extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** UTF-8 length of one UTF-16 code unit (a surrogate pair counts 2 + 2). */
function utf8Units(c: number): number {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
}

function hexValue(text: string, at: number): number {
  const v = Number.parseInt(text.slice(at, at + 4), 16);
  return Number.isNaN(v) ? 0 : v;
}

/**
 * Throws JsonLimitError when `text` exceeds a limit. It does not validate the syntax (JSON.parse
 * does that next); on malformed input it may report a limit where the parser would report the
 * syntax error, which is a 400 either way. One pass, no allocation per value.
 */
export function checkJsonLimits(text: string, limits: JsonLimits): void {
  const n = text.length;
  // Below these sizes no limit can be exceeded: skip the scan (most API bodies are small).
  // A code unit is at most 3 UTF-8 bytes; each extra element or entry costs at least one comma.
  if (n <= limits.maxDepth && n <= limits.maxArrayElementCount && n <= limits.maxObjectEntryCount && 3 * n <= limits.maxStringValueLength) return;
  // Per open container: its kind (true = array) and the commas seen directly in it.
  const isArray: boolean[] = [];
  const commas: number[] = [];
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let bytes = 0;
      i++;
      for (; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === QUOTE) break;
        if (s === BACKSLASH) {
          i++;
          if (text.charCodeAt(i) === 0x75 /* u */) {
            bytes += utf8Units(hexValue(text, i + 1));
            i += 4;
          } else {
            bytes += 1;
          }
        } else {
          bytes += utf8Units(s);
        }
        if (bytes > limits.maxStringValueLength) {
          throw new JsonLimitError(`JSON string exceeds the maximum length of ${limits.maxStringValueLength} bytes`);
        }
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth >= limits.maxDepth) throw new JsonLimitError(`JSON input exceeds the maximum nesting depth of ${limits.maxDepth}`);
      isArray[depth] = c === OPEN_ARRAY;
      commas[depth] = 0;
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
    } else if (c === COMMA && depth > 0) {
      const d = depth - 1;
      const count = ++commas[d]! + 1;
      if (isArray[d]) {
        if (count > limits.maxArrayElementCount) throw new JsonLimitError(`JSON array exceeds the maximum of ${limits.maxArrayElementCount} elements`);
      } else if (count > limits.maxObjectEntryCount) {
        throw new JsonLimitError(`JSON object exceeds the maximum of ${limits.maxObjectEntryCount} entries`);
      }
    }
  }
}
