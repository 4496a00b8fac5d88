// KEY=VALUE arguments as the Vault CLI reads them (its kvbuilder): `k=v`; `k=@file` (file contents);
// `k=\@x` (a literal "@x"); `k=-` (all of stdin, verbatim); a lone `-` (a JSON object on stdin) or
// `@file.json` (a JSON object from a file) merged in; a repeated key becomes a list. Stdin can be
// used once.
import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';

export interface KvSources {
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
}

export const fileSources = (readStdin: () => Promise<string>): KvSources => ({
  readStdin,
  readFile: (path) => readFile(path, 'utf8'),
});

export async function parseKvArgs(args: readonly string[], sources: KvSources): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  let stdinUsed = false;
  const stdinOnce = async (): Promise<string> => {
    if (stdinUsed) throw new UsageError('stdin can only be read once ("-" given twice)');
    stdinUsed = true;
    return sources.readStdin();
  };
  const mergeJson = (text: string, from: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${from} is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${from} must hold a JSON object`);
    Object.assign(result, parsed);
  };
  for (const raw of args) {
    if (raw === '') continue;
    if (raw === '-') {
      mergeJson(await stdinOnce(), 'stdin');
      continue;
    }
    if (raw.startsWith('@')) {
      mergeJson(await sources.readFile(raw.slice(1)), raw.slice(1));
      continue;
    }
    const eq = raw.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid argument ${JSON.stringify(raw)}: expected KEY=VALUE`, ['values from a file: KEY=@FILE; from stdin: KEY=-; a JSON object on stdin: -']);
    if (eq === 0) throw new UsageError(`invalid argument ${JSON.stringify(raw)}: the key is empty`);
    const key = raw.slice(0, eq);
    let value = raw.slice(eq + 1);
    if (value.startsWith('@')) value = await sources.readFile(value.slice(1));
    else if (value.startsWith('\\@')) value = value.slice(1);
    else if (value === '-') value = await stdinOnce();
    if (Object.prototype.hasOwnProperty.call(result, key)) {
      const prev = result[key];
      result[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** Every string value (deeply), for redaction from error messages. */
export function stringValues(data: unknown, out: string[] = []): string[] {
  if (typeof data === 'string') out.push(data);
  else if (Array.isArray(data)) for (const v of data) stringValues(v, out);
  else if (data && typeof data === 'object') for (const v of Object.values(data)) stringValues(v, out);
  return out;
}

/** A duration flag as the server accepts it: integer seconds as a number, anything else verbatim. */
export function durationValue(raw: string): string | number {
  const t = raw.trim();
  return /^\d+$/.test(t) ? Number.parseInt(t, 10) : t;
}
