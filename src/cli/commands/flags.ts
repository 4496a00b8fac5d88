// Go-style flag parsing as the Vault CLI accepts it: `-name=value`, `-name value`, `--name=value`,
// boolean `-name` / `-name=false`, repeatable list flags (comma-split) and `k=v` map flags. Unlike Go's
// flag package, flags may also follow positional arguments; `--` ends flag parsing and a lone `-`
// is a positional argument (stdin). Each command declares its flags; unknown flags are usage errors.
import { UsageError } from './errors.js';

export type FlagKind = 'string' | 'bool' | 'int' | 'list' | 'map';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  usage: string;
  aliases?: string[];
  /** Placeholder shown in help (`-format=FORMAT`). */
  value?: string;
  /** List flags: split each value on commas (Vault does for most, e.g. -policy=a,b). Default true. */
  split?: boolean;
}

export interface CommandDef {
  /** Words after `coffer`, e.g. `kv put`. */
  name: string;
  /** Argument part of the usage line, e.g. `PATH KEY=VALUE...`. */
  args: string;
  summary: string;
  /** Optional longer text shown by -help. */
  description?: string;
  flags: readonly FlagSpec[];
  minArgs?: number;
  maxArgs?: number;
}

/** Thrown when -h/-help/--help is given; the caller prints the help text and exits 0. */
export class HelpRequested extends Error {
  readonly def: CommandDef;
  constructor(def: CommandDef) {
    super('help requested');
    this.name = 'HelpRequested';
    this.def = def;
  }
}

type FlagValue = string | boolean | number | string[] | Record<string, string>;

export interface Parsed {
  args: string[];
  /** True when the flag appeared on the command line (even as -x=false). */
  has(name: string): boolean;
  str(name: string): string | undefined;
  bool(name: string): boolean;
  int(name: string): number | undefined;
  list(name: string): string[];
  map(name: string): Record<string, string>;
}

const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parseBool(value: string): boolean | undefined {
  if (BOOL_TRUE.has(value)) return true;
  if (BOOL_FALSE.has(value)) return false;
  return undefined;
}

export function parseArgv(def: CommandDef, argv: readonly string[]): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const f of def.flags) {
    byName.set(f.name, f);
    for (const a of f.aliases ?? []) byName.set(a, f);
  }
  const values = new Map<string, FlagValue>();
  const args: string[] = [];
  const usage = `usage: ${usageLine(def)}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!/^--?[A-Za-z]/.test(arg)) {
      args.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    let inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === 'h' || name === 'help') throw new HelpRequested(def);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`, [usage, `run "coffer ${def.name} -help" for the list of flags`]);
    if (spec.kind === 'bool') {
      if (inline === undefined) {
        values.set(spec.name, true);
        continue;
      }
      const b = parseBool(inline);
      if (b === undefined) throw new UsageError(`invalid boolean value ${JSON.stringify(inline)} for -${name}`, ['use -' + name + '=true or -' + name + '=false']);
      values.set(spec.name, b);
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`, [usage]);
      inline = argv[++i]!;
    }
    switch (spec.kind) {
      case 'string':
        values.set(spec.name, inline);
        break;
      case 'int': {
        if (!/^-?\d+$/.test(inline.trim())) throw new UsageError(`invalid value ${JSON.stringify(inline)} for -${name}: expected an integer`);
        values.set(spec.name, Number.parseInt(inline.trim(), 10));
        break;
      }
      case 'list': {
        const prev = (values.get(spec.name) as string[] | undefined) ?? [];
        const parts = spec.split === false ? [inline] : inline.split(',').map((s) => s.trim()).filter((s) => s !== '');
        values.set(spec.name, [...prev, ...parts]);
        break;
      }
      case 'map': {
        const e = inline.indexOf('=');
        if (e <= 0) throw new UsageError(`invalid value for -${name}: expected KEY=VALUE, got ${JSON.stringify(inline)}`);
        const prev = (values.get(spec.name) as Record<string, string> | undefined) ?? {};
        values.set(spec.name, { ...prev, [inline.slice(0, e)]: inline.slice(e + 1) });
        break;
      }
    }
  }
  if (def.minArgs !== undefined && args.length < def.minArgs) {
    throw new UsageError(`not enough arguments (expected ${def.minArgs}${def.maxArgs === def.minArgs ? '' : ' or more'}, got ${args.length})`, [usage]);
  }
  if (def.maxArgs !== undefined && args.length > def.maxArgs) {
    throw new UsageError(`too many arguments (expected at most ${def.maxArgs}, got ${args.length})`, [usage]);
  }
  return {
    args,
    has: (n) => values.has(n),
    str: (n) => values.get(n) as string | undefined,
    bool: (n) => values.get(n) === true,
    int: (n) => values.get(n) as number | undefined,
    list: (n) => (values.get(n) as string[] | undefined) ?? [],
    map: (n) => (values.get(n) as Record<string, string> | undefined) ?? {},
  };
}

export function usageLine(def: CommandDef): string {
  return `coffer ${def.name}${def.flags.length > 0 ? ' [flags]' : ''}${def.args ? ` ${def.args}` : ''}`;
}

export function formatHelp(def: CommandDef): string {
  const lines = [`Usage: ${usageLine(def)}`, '', `  ${def.summary}`];
  if (def.description) lines.push('', ...def.description.split('\n').map((l) => (l ? `  ${l}` : '')));
  if (def.flags.length > 0) {
    lines.push('', 'Flags:');
    for (const f of def.flags) {
      const names = [f.name, ...(f.aliases ?? [])].map((n) => `-${n}`).join(', ');
      const placeholder = f.kind === 'bool' ? '' : `=${f.value ?? (f.kind === 'map' ? 'KEY=VALUE' : f.kind === 'int' ? 'N' : 'VALUE')}`;
      lines.push(`  ${names}${placeholder}`, `      ${f.usage}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
