// `coffer scan …`: find credentials in a directory, git history, staged changes or stdin.
// Exit status: 0 clean, 1 findings left after allowlists and baseline, 2 on errors.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { applyBaseline, readBaseline, writeBaseline } from '../scan/baseline.js';
import { isScanError, ScanError } from '../scan/errors.js';
import { installHook } from '../scan/hook.js';
import { createProgressBar, progressEnabled } from '../scan/progress.js';
import { formatJson } from '../scan/report/json.js';
import { formatJunit } from '../scan/report/junit.js';
import { prepareFindings } from '../scan/report/redact.js';
import { formatSarif } from '../scan/report/sarif.js';
import { formatText } from '../scan/report/text.js';
import { loadConfigFile, loadDefaultConfig } from '../scan/rules/loader.js';
import { runScan, type ScanMode } from '../scan/run.js';
import { DEFAULT_MAX_FILE_SIZE } from '../scan/sources/dir.js';
import type { ScanConfig, SkippedFile } from '../scan/types.js';
import { defaultThreads } from '../scan/workers/pool.js';

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];
const CONFIG_FILE_NAMES = ['.coffer-scan.toml', '.gitleaks.toml'];

interface ScanFlags {
  git?: boolean;
  staged?: boolean;
  stdin?: boolean;
  stdinName?: string;
  since?: string;
  range?: string;
  allRefs?: boolean;
  config?: string;
  format: Format;
  output?: string;
  redact: boolean;
  baseline?: string;
  baselineOut?: string;
  maxFileSize: number;
  gitignore: boolean;
  threads?: number;
  progress: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color: boolean;
}

function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new ScanError('ERR_SCAN_USAGE', `--max-file-size ${value}: not a size`, { hints: ['use bytes or a suffix: 500k, 10M, 1G'] });
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.floor(Number(m[1]) * mult);
}

function parseThreads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ScanError('ERR_SCAN_USAGE', `--threads ${value}: expected a whole number from 1 to 256`);
  return n;
}

function version(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    for (const p of [join(here, '../../package.json'), join(here, '../../../package.json')]) {
      if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? '0.0.0';
    }
  } catch {
    // fall through
  }
  return '0.0.0';
}

function humanSize(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function printError(io: Io, err: unknown): number {
  if (isScanError(err)) {
    io.stderr.write(`coffer: error: ${err.message}\n`);
    for (const h of err.hints) io.stderr.write(`hint: ${h}\n`);
    return 2;
  }
  const e = err as Error;
  io.stderr.write(`coffer: error: ${e?.message ?? String(err)}\n`);
  io.stderr.write('hint: this is a bug in coffer scan; please report it with the command you ran\n');
  return 2;
}

function loadConfig(flags: ScanFlags, target: string, mode: ScanMode, warn: (m: string) => void): ScanConfig {
  let path = flags.config ?? process.env.COFFER_SCAN_CONFIG;
  if (!path && mode !== 'stdin') {
    const base = resolve(target);
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(base, name);
      if (existsSync(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (!path) return loadDefaultConfig();
  const config = loadConfigFile(path);
  for (const w of config.warnings) warn(w);
  return config;
}

function summarizeSkipped(io: Io, skipped: SkippedFile[], maxFileSize: number, verbose: boolean): void {
  const large = skipped.filter((s) => s.reason === 'too-large');
  for (const s of large) {
    io.stderr.write(`coffer: skipped ${s.path}${s.detail ? ` (${s.detail})` : ''}: ${humanSize(s.size ?? 0)} is over the ${humanSize(maxFileSize)} limit (--max-file-size)\n`);
  }
  for (const s of skipped.filter((x) => x.reason === 'unreadable')) io.stderr.write(`coffer: skipped ${s.path}: cannot read it (${s.detail ?? 'error'})\n`);
  const binary = skipped.filter((s) => s.reason === 'binary');
  const links = skipped.filter((s) => s.reason === 'symlink');
  if (verbose) {
    for (const s of binary) io.stderr.write(`coffer: skipped ${s.path}: binary\n`);
    for (const s of links) io.stderr.write(`coffer: skipped ${s.path}: symbolic link (not followed)\n`);
  } else if (binary.length + links.length > 0) {
    const parts = [];
    if (binary.length) parts.push(`${binary.length} binary file${binary.length === 1 ? '' : 's'}`);
    if (links.length) parts.push(`${links.length} symbolic link${links.length === 1 ? '' : 's'}`);
    io.stderr.write(`coffer: skipped ${parts.join(' and ')} (list them with --verbose)\n`);
  }
}

function buildScanCommand(): Command {
  const program = new Command('coffer scan');
  program
    .description('Find credentials in files, git history, staged changes or stdin.')
    .argument('[path]', 'directory, file or repository to scan', '.')
    .option('--git', 'scan git history (added lines of every commit reachable from HEAD)')
    .option('--staged', 'scan only the changes staged for the next commit (pre-commit)')
    .option('--stdin', 'scan standard input')
    .option('--stdin-name <name>', 'file name to report for stdin', '<stdin>')
    .option('--since <rev|date>', 'with --git: only commits after this commit (e.g. origin/main) or date')
    .option('--range <a..b>', 'with --git: only commits in this revision range (e.g. origin/main..HEAD)')
    .option('--all-refs', 'with --git: every branch and tag, not just HEAD')
    .option('-c, --config <file>', 'rules file (Coffer or gitleaks TOML); default: .coffer-scan.toml or .gitleaks.toml in the target, else built-in rules')
    .addOption(new Option('-f, --format <format>', 'report format').choices(FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-redact', 'show secrets in full in the report (never do this in CI logs)')
    .option('--baseline <file>', 'accept the findings listed in this baseline; only new ones count')
    .option('--baseline-out <file>', 'write every current finding to a baseline file (and exit 0)')
    .option('--max-file-size <size>', 'skip files larger than this (e.g. 500k, 10M)', parseSize, DEFAULT_MAX_FILE_SIZE)
    .option('--no-gitignore', 'also scan files that .gitignore excludes')
    .option('--threads <n>', 'worker threads for large scans (default: number of CPUs)', parseThreads)
    .option('--no-progress', 'never show a progress bar')
    .option('--no-color', 'no colours in text output')
    .option('-q, --quiet', 'no summary on stderr')
    .option('-v, --verbose', 'list every skipped file')
    .addHelpText('after', [
      '',
      'Exit status: 0 no findings, 1 findings, 2 error.',
      'Subcommands: coffer scan install-hook [--force] [path] | coffer scan rules',
      'Inline suppression: put `coffer:allow` in a comment on the line.',
    ].join('\n'));
  return program;
}

function configureErrors(cmd: Command, io: Io): Command {
  return cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`coffer: ${s.trimEnd()}\nhint: run \`coffer scan --help\` for usage\n`),
    });
}

async function runScanCommand(argv: string[], io: Io): Promise<number> {
  const program = configureErrors(buildScanCommand(), io);
  program.parse(argv, { from: 'user' });
  const flags = program.opts<ScanFlags>();
  const target = program.args[0] ?? '.';
  const modes = [flags.git, flags.staged, flags.stdin].filter(Boolean).length;
  if (modes > 1) throw new ScanError('ERR_SCAN_USAGE', '--git, --staged and --stdin cannot be combined', { hints: ['pick one source per run'] });
  const mode: ScanMode = flags.git ? 'git' : flags.staged ? 'staged' : flags.stdin ? 'stdin' : 'dir';
  if ((flags.since || flags.range || flags.allRefs) && mode !== 'git') {
    throw new ScanError('ERR_SCAN_USAGE', '--since, --range and --all-refs need --git', { hints: ['e.g. coffer scan --git --since origin/main'] });
  }
  const warn = (m: string) => io.stderr.write(`coffer: warning: ${m}\n`);
  const config = loadConfig(flags, target, mode, warn);
  const accepted = flags.baseline ? readBaseline(flags.baseline) : undefined;
  const bar = createProgressBar(io.stderr, flags.progress && !flags.quiet && progressEnabled(io.stderr, process.env));

  const result = await runScan({
    mode,
    target,
    config,
    maxFileSize: flags.maxFileSize,
    gitignore: flags.gitignore,
    threads: flags.threads ?? defaultThreads(),
    ...(flags.range !== undefined ? { range: flags.range } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
    ...(flags.allRefs ? { allRefs: true } : {}),
    ...(flags.stdinName !== undefined ? { stdinName: flags.stdinName } : {}),
    onWarning: warn,
    onProgress: (p) => bar.update(p),
  });
  bar.done();

  let findings = result.findings;
  let suppressed = 0;
  if (accepted) ({ kept: findings, suppressed } = applyBaseline(findings, accepted));

  if (flags.baselineOut) {
    const n = writeBaseline(flags.baselineOut, result.findings);
    if (!flags.quiet) io.stderr.write(`coffer: wrote ${n} finding${n === 1 ? '' : 's'} to baseline ${flags.baselineOut}\n`);
  }

  const shown = prepareFindings(findings, flags.redact);
  let report: string;
  switch (flags.format) {
    case 'json': report = formatJson(shown); break;
    case 'sarif': report = formatSarif(shown, { version: version(), rules: result.rules }); break;
    case 'junit': report = formatJunit(shown, { seconds: result.ms / 1000 }); break;
    default: report = formatText(shown, { color: flags.color && !flags.output && io.stdout.isTTY === true });
  }
  if (flags.output) {
    try {
      writeFileSync(flags.output, report);
    } catch (err) {
      throw new ScanError('ERR_SCAN_IO', `cannot write report ${flags.output}: ${(err as Error).message}`);
    }
  } else if (report !== '') io.stdout.write(report);

  if (!flags.quiet) {
    summarizeSkipped(io, result.skipped, flags.maxFileSize, flags.verbose === true);
    const what = mode === 'git' ? `${result.commits} commit${result.commits === 1 ? '' : 's'}` : mode === 'staged' ? `${result.files} staged file${result.files === 1 ? '' : 's'}` : `${result.files} file${result.files === 1 ? '' : 's'}`;
    const base = suppressed > 0 ? `, ${suppressed} accepted by the baseline` : '';
    const verdict = findings.length === 0 ? 'no secrets found' : `${findings.length} finding${findings.length === 1 ? '' : 's'}`;
    io.stderr.write(`coffer: ${verdict}${base} (${what}, ${humanSize(result.bytes)} in ${(result.ms / 1000).toFixed(2)} s)\n`);
    if (findings.length > 0 && !flags.baselineOut) {
      io.stderr.write('hint: rotate each credential first, then remove it; accept known test values with `coffer:allow` or --baseline\n');
    }
  }
  if (flags.baselineOut) return 0;
  return findings.length > 0 ? 1 : 0;
}

async function runInstallHook(argv: string[], io: Io): Promise<number> {
  const cmd = configureErrors(new Command('coffer scan install-hook'), io)
    .description('Install a git pre-commit hook that runs `coffer scan --staged`.')
    .argument('[path]', 'repository', '.')
    .option('--force', 'replace an existing pre-commit hook')
    .option('--command <cmd>', 'how the hook runs coffer', 'coffer');
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ force?: boolean; command: string }>();
  const path = installHook(cmd.args[0] ?? '.', { force: o.force === true, command: o.command });
  io.stdout.write(`coffer: installed pre-commit hook at ${path}\n`);
  return 0;
}

function runRules(argv: string[], io: Io): number {
  const cmd = configureErrors(new Command('coffer scan rules'), io)
    .description('List the detection rules in use.')
    .option('-c, --config <file>', 'rules file');
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ config?: string }>();
  const config = o.config ? loadConfigFile(o.config) : loadDefaultConfig();
  const rules = config.rules.filter((r) => !r.skipReport);
  for (const r of rules) io.stdout.write(`${r.id.padEnd(44)} ${r.description}\n`);
  io.stderr.write(`coffer: ${rules.length} rules\n`);
  return 0;
}

/** Entry point for `coffer scan …`; argv is everything after `scan`. Returns the exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    if (argv[0] === 'install-hook') return await runInstallHook(argv.slice(1), io);
    if (argv[0] === 'rules') return runRules(argv.slice(1), io);
    return await runScanCommand(argv, io);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    return printError(io, err);
  }
}
