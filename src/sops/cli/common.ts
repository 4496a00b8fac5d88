// Plumbing shared by the `coffer sops` commands: the I/O seam (so tests run commands in-process),
// reading inputs, writing outputs atomically, resolving keys from flags or `.sops.yaml`, and the
// `["a"]["b"][0]` tree-path syntax.

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type CreationRule, type SopsConfig, findConfigFile, loadConfig, matchCreationRule } from '../config.js';
import { compileGoRegex } from '../crypt.js';
import { ConfigError, ExitCode, SopsError } from '../errors.js';
import { type Format, formatFromPath, isFormat } from '../formats/index.js';
import type { EmitOptions } from '../formats/store.js';
import { type KeyServices, type KeySpec, ageSpec, createKeyServices, dedupeGroup, parseDecryptionOrder, pgpSpec, vaultSpec } from '../key-groups.js';
import { CRYPT_RULE_KINDS, type CryptRule, DEFAULT_CRYPT_RULE, type KeyType } from '../metadata.js';
import { type Branch, type TreeValue, isBranch, isComment } from '../tree.js';

export interface SopsIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout(bytes: Uint8Array | string): void;
  stderr(text: string): void;
  readStdin(): Promise<Uint8Array>;
  stdinIsTTY: boolean;
  /** Reads one line from an interactive terminal (edit's "press enter" prompt). */
  readLine?: () => Promise<string>;
  /** Key services; tests may inject fakes. */
  services?: KeyServices;
}

export function processIo(): SopsIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (b) => {
      process.stdout.write(b);
    },
    stderr: (t) => {
      process.stderr.write(t);
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    stdinIsTTY: Boolean(process.stdin.isTTY),
    readLine: async () => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question('');
      } finally {
        rl.close();
      }
    },
  };
}

export function servicesOf(io: SopsIo): KeyServices {
  io.services ??= createKeyServices(io.env);
  return io.services;
}

/** Global options every command accepts. */
export interface CommonOptions {
  inputType?: string;
  outputType?: string;
  output?: string;
  inPlace?: boolean;
  ignoreMac?: boolean;
  config?: string;
  indent?: string;
  decryptionOrder?: string;
  filenameOverride?: string;
}

export function resolvePath(io: SopsIo, p: string): string {
  return resolve(io.cwd, p);
}

export function inputFormat(opts: CommonOptions, path: string | undefined): Format {
  if (isFormat(opts.inputType)) return opts.inputType;
  if (opts.inputType) throw new SopsError(ExitCode.generic, `unknown --input-type ${JSON.stringify(opts.inputType)}`, { hints: ['use one of yaml, json, dotenv, ini, binary'] });
  const name = opts.filenameOverride ?? path;
  return name ? formatFromPath(name) : 'binary';
}

export function outputFormat(opts: CommonOptions, path: string | undefined): Format {
  if (isFormat(opts.outputType)) return opts.outputType;
  if (opts.outputType) throw new SopsError(ExitCode.generic, `unknown --output-type ${JSON.stringify(opts.outputType)}`, { hints: ['use one of yaml, json, dotenv, ini, binary'] });
  const name = opts.filenameOverride ?? path;
  if (name) return formatFromPath(name);
  return inputFormat(opts, path);
}

export function decryptionOrder(opts: CommonOptions, io: SopsIo): KeyType[] {
  return parseDecryptionOrder(opts.decryptionOrder ?? io.env.SOPS_DECRYPTION_ORDER);
}

/** Reads the input file (or stdin); a missing file is exit 100 as in sops. */
export async function readInput(io: SopsIo, path: string | undefined): Promise<Uint8Array> {
  if (path === undefined || path === '-') return io.readStdin();
  const abs = resolvePath(io, path);
  if (!existsSync(abs)) throw new SopsError(ExitCode.noFileSpecified, `cannot operate on non-existent file ${JSON.stringify(abs)}`);
  if (statSync(abs).isDirectory()) throw new SopsError(ExitCode.couldNotReadInputFile, `${path} is a directory`, { hints: ["can't operate on a directory"] });
  try {
    return new Uint8Array(readFileSync(abs));
  } catch (err) {
    throw new SopsError(ExitCode.couldNotReadInputFile, `Error reading file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read failed'}`);
  }
}

/**
 * Writes a file atomically: a temporary file in the same directory (mode 0600, or the existing
 * file's mode), fsync, rename. A failure leaves the original untouched.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode?: number): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let finalMode = mode ?? 0o600;
  try {
    finalMode = mode ?? statSync(path).mode & 0o7777;
  } catch {
    // New file.
  }
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    chmodSync(tmp, finalMode);
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean.
    }
    throw new SopsError(ExitCode.couldNotWriteOutputFile, `could not write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Sends command output to --output, back to the input file (-i), or to stdout. */
export function writeOutput(io: SopsIo, opts: CommonOptions, inputPath: string | undefined, bytes: Uint8Array): void {
  if (opts.inPlace && opts.output) throw new SopsError(ExitCode.conflictingParameters, 'Error: cannot use --in-place and --output at the same time');
  if (opts.inPlace) {
    if (!inputPath || inputPath === '-') throw new SopsError(ExitCode.conflictingParameters, 'Error: cannot use --in-place with standard input');
    writeFileAtomic(resolvePath(io, inputPath), bytes);
  } else if (opts.output) {
    writeFileAtomic(resolvePath(io, opts.output), bytes);
  } else {
    io.stdout(bytes);
  }
}

export function emitOptions(format: Format, opts: CommonOptions, config: SopsConfig | null): EmitOptions {
  if (opts.indent !== undefined) {
    const n = Number(opts.indent);
    if (!Number.isInteger(n)) throw new SopsError(ExitCode.generic, `--indent must be an integer, got ${JSON.stringify(opts.indent)}`);
    return { indent: n };
  }
  const s = config?.stores;
  if (format === 'yaml') return { indent: s?.yamlIndent };
  if (format === 'json') return { indent: s?.jsonIndent };
  if (format === 'binary') return { indent: s?.jsonBinaryIndent };
  return {};
}

/** Loads `.sops.yaml` (explicit path, SOPS_CONFIG, or found upward from the working directory). */
export function loadSopsConfig(io: SopsIo, opts: CommonOptions): SopsConfig | null {
  const explicit = opts.config ?? io.env.SOPS_CONFIG;
  if (explicit) return loadConfig(resolvePath(io, explicit), io.env);
  const found = findConfigFile(io.cwd);
  return found ? loadConfig(found, io.env) : null;
}

/** Options that choose keys and crypt rules when encrypting. */
export interface KeyOptions {
  age?: string;
  pgp?: string;
  hcVaultTransit?: string;
  shamirSecretSharingThreshold?: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted?: boolean;
}

const CLI_RULE_FLAGS: Record<string, keyof KeyOptions> = {
  unencrypted_suffix: 'unencryptedSuffix',
  encrypted_suffix: 'encryptedSuffix',
  unencrypted_regex: 'unencryptedRegex',
  encrypted_regex: 'encryptedRegex',
};

export function specsFromFlags(opts: KeyOptions, io: SopsIo): KeySpec[] {
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const specs: KeySpec[] = [];
  const wrap = <T>(fn: () => T, flag: string): T => {
    try {
      return fn();
    } catch (err) {
      throw new SopsError(ExitCode.generic, `${flag}: ${(err as Error).message}`);
    }
  };
  for (const r of list(opts.age ?? io.env.SOPS_AGE_RECIPIENTS)) specs.push(ageSpec(r));
  for (const fp of list(opts.pgp ?? io.env.SOPS_PGP_FP)) specs.push(wrap(() => pgpSpec(fp), '--pgp'));
  for (const uri of list(opts.hcVaultTransit ?? io.env.SOPS_VAULT_URIS)) specs.push(wrap(() => vaultSpec(uri, io.env), '--hc-vault-transit'));
  return dedupeGroup(specs);
}

export interface ResolvedKeys {
  groups: KeySpec[][];
  threshold: number;
  cryptRule: CryptRule;
  macOnlyEncrypted: boolean;
}

/** Keys and crypt rule for encrypting `path`: CLI flags replace the config's keys; rules merge per field. */
export function resolveEncryptionKeys(io: SopsIo, opts: KeyOptions & CommonOptions, path: string | undefined, config: SopsConfig | null): ResolvedKeys {
  const flagSpecs = specsFromFlags(opts, io);
  const target = opts.filenameOverride ?? path;
  let rule: CreationRule | null = null;
  if (config && config.creationRules.length && target) {
    rule = matchCreationRule(config, resolvePath(io, target));
    if (!rule && flagSpecs.length === 0) {
      throw new ConfigError(`error loading config: no matching creation rules found in ${config.path} for ${target}`);
    }
  }
  const groups = flagSpecs.length ? [flagSpecs] : (rule?.keyGroups ?? []);
  if (groups.length === 0) {
    throw new SopsError(ExitCode.generic, 'config file not found, or has no creation rules, and no keys provided through command line options', {
      hints: ['pass --age age1…, --pgp FINGERPRINT or --hc-vault-transit URI', 'or add a creation rule to .sops.yaml'],
    });
  }
  const cliRules: CryptRule[] = [];
  for (const [kind, flag] of Object.entries(CLI_RULE_FLAGS)) {
    const v = opts[flag];
    if (typeof v === 'string' && v !== '') {
      if (kind.endsWith('_regex')) compileGoRegex(v, `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      cliRules.push({ kind: kind as CryptRule['kind'], value: v });
    }
  }
  if (cliRules.length > 1) throw new SopsError(ExitCode.conflictingParameters, 'Cannot use more than one of --encrypted-suffix, --unencrypted-suffix, --encrypted-regex, --unencrypted-regex');
  const ruleRule = rule?.cryptRule ?? null;
  if (cliRules[0] && ruleRule && cliRules[0].kind !== ruleRule.kind) {
    throw new SopsError(ExitCode.conflictingParameters, `--${cliRules[0].kind.replace(/_/g, '-')} conflicts with ${ruleRule.kind} in the creation rule`);
  }
  let threshold = rule?.shamirThreshold ?? 0;
  if (opts.shamirSecretSharingThreshold !== undefined) {
    threshold = Number(opts.shamirSecretSharingThreshold);
    if (!Number.isInteger(threshold) || threshold < 0) throw new SopsError(ExitCode.generic, '--shamir-secret-sharing-threshold must be a non-negative integer');
  }
  return {
    groups,
    threshold,
    cryptRule: cliRules[0] ?? ruleRule ?? DEFAULT_CRYPT_RULE,
    macOnlyEncrypted: Boolean(opts.macOnlyEncrypted) || Boolean(rule?.macOnlyEncrypted),
  };
}

export { CRYPT_RULE_KINDS };

// ---------------------------------------------------------------------------------------------
// Tree paths: ["key"]['key'][0]

export type TreePath = (string | number)[];

export function parseTreePath(s: string): TreePath {
  const out: TreePath = [];
  const re = /\[\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))\s*\]/y;
  let pos = 0;
  const src = s.trim();
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) {
      throw new SopsError(ExitCode.invalidTreePathFormat, `invalid tree path ${JSON.stringify(s)}`, {
        hints: ['use the form ["key"]["nested"][0]: keys in quotes, list indexes as numbers'],
      });
    }
    out.push(m[3] !== undefined ? Number(m[3]) : (m[1] ?? m[2])!);
    pos = re.lastIndex;
  }
  if (out.length === 0) throw new SopsError(ExitCode.invalidTreePathFormat, 'the tree path is empty', { hints: ['use the form ["key"]["nested"][0]'] });
  return out;
}

const fmtComponent = (c: string | number) => (typeof c === 'number' ? `[${c}]` : `['${c}']`);

/** Follows a path into a branch; throws "component … not found" like sops. */
export function getAtPath(root: Branch, path: TreePath): TreeValue {
  let cur: TreeValue = root;
  for (const c of path) {
    if (typeof c === 'string' && isBranch(cur)) {
      const it: { key: unknown; value: TreeValue } | undefined = cur.items.find((i) => i.key === c);
      if (!it) throw new SopsError(ExitCode.generic, `error truncating tree: component ${fmtComponent(c)} not found`);
      cur = it.value;
    } else if (typeof c === 'number' && Array.isArray(cur)) {
      const xs: TreeValue[] = cur.filter((x) => !isComment(x));
      const v = xs[c];
      if (v === undefined) throw new SopsError(ExitCode.generic, `error truncating tree: component ${fmtComponent(c)} not found (index out of bounds)`);
      cur = v;
    } else {
      throw new SopsError(ExitCode.generic, `error truncating tree: component ${fmtComponent(c)} not found`);
    }
  }
  return cur;
}
