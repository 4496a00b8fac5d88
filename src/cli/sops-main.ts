// `coffer sops …`: SOPS-compatible encrypted files. This module only wires commander to the
// command implementations in src/sops/cli/ and turns typed errors into sops's exit codes and
// age-style messages (`coffer: error: …` then `hint: …`).

import { Command, CommanderError, Option } from 'commander';
import { runDecrypt, runEncrypt, runFilestatus } from '../sops/cli/basic.js';
import { type SopsIo, processIo } from '../sops/cli/common.js';
import { runEdit } from '../sops/cli/edit.js';
import { runExecEnv, runExecFile } from '../sops/cli/exec.js';
import { runDiff, runMerge } from '../sops/cli/git.js';
import { runRotate, runUpdateKeys } from '../sops/cli/keys.js';
import { runSet, runUnset } from '../sops/cli/set-unset.js';
import { SopsError } from '../sops/errors.js';

type Action = (...args: unknown[]) => Promise<number>;

function addCommon(cmd: Command): Command {
  return cmd
    .addOption(new Option('--input-type <type>', 'input format: yaml, json, dotenv, ini or binary (default: from the file extension)'))
    .addOption(new Option('--output-type <type>', 'output format (default: from the file extension)'))
    .option('--config <path>', 'path to .sops.yaml (default: searched from the working directory upward; env SOPS_CONFIG)')
    .option('--indent <n>', 'indentation for YAML (spaces) and JSON (-1 = tab)')
    .option('--decryption-order <types>', 'order in which key types are tried (default age,pgp; env SOPS_DECRYPTION_ORDER)')
    .option('--filename-override <name>', 'file name used for format detection and creation rules (needed for stdin)');
}

function addKeyFlags(cmd: Command): Command {
  return cmd
    .option('-a, --age <recipients>', 'comma-separated age recipients (env SOPS_AGE_RECIPIENTS)')
    .option('-p, --pgp <fingerprints>', 'comma-separated PGP fingerprints (env SOPS_PGP_FP)')
    .option('--hc-vault-transit <uris>', 'comma-separated Vault/Coffer transit key URIs, e.g. https://vault:8200/v1/transit/keys/k (env SOPS_VAULT_URIS)')
    .option('--shamir-secret-sharing-threshold <n>', 'number of key groups needed to decrypt')
    .option('--unencrypted-suffix <suffix>', 'leave values whose key (or a parent key) ends with this suffix in clear')
    .option('--encrypted-suffix <suffix>', 'encrypt only values whose key (or a parent key) ends with this suffix')
    .option('--unencrypted-regex <re>', 'leave values whose key (or a parent key) matches in clear')
    .option('--encrypted-regex <re>', 'encrypt only values whose key (or a parent key) matches')
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only');
}

function buildProgram(io: SopsIo, result: { code: number }): Command {
  const program = new Command('coffer sops')
    .description('Encrypted files in Git, byte-compatible with SOPS (YAML, JSON, dotenv, INI, binary)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: () => {} })
    .showSuggestionAfterError(true);

  const act = (fn: Action) => async (...args: unknown[]) => {
    result.code = await fn(...args);
  };

  addKeyFlags(addCommon(program.command('encrypt').argument('[file]', 'plaintext file (standard input if omitted)')))
    .description('Encrypt a file')
    .option('-i, --in-place', 'write the result back to the file')
    .option('--output <path>', 'write the result to this file')
    .action(act((file, opts) => runEncrypt(io, file as string | undefined, opts as never)));

  addCommon(program.command('decrypt').argument('[file]', 'encrypted file (standard input if omitted)'))
    .description('Decrypt a file')
    .option('-i, --in-place', 'write the plaintext back to the file')
    .option('--output <path>', 'write the plaintext to this file')
    .option('--extract <path>', 'print only the value at this tree path, e.g. \'["app"]["password"]\'')
    .option('--ignore-mac', 'do not check the MAC (for recovering damaged files)')
    .action(act((file, opts) => runDecrypt(io, file as string | undefined, opts as never)));

  addKeyFlags(addCommon(program.command('edit').argument('<file>', 'encrypted file (created if missing)')))
    .description('Decrypt into $EDITOR and re-encrypt; unchanged values keep their ciphertext')
    .option('--ignore-mac', 'do not check the MAC')
    .action(act((file, opts) => runEdit(io, file as string, opts as never)));

  addCommon(program.command('exec-env').argument('<file>').argument('<command>', 'run with /bin/sh -c'))
    .description('Run a command with the decrypted top-level values as environment variables')
    .option('--pristine', 'do not pass the current environment to the command')
    .option('--ignore-mac', 'do not check the MAC')
    .action(act((file, command, opts) => runExecEnv(io, file as string, command as string, opts as never)));

  addCommon(program.command('exec-file').argument('<file>').argument('<command>', "run with /bin/sh -c; '{}' is replaced by the plaintext's path"))
    .description('Run a command that reads the decrypted file, which never touches the disk')
    .option('--no-fifo', 'use a 0600 file on a private tmpfs directory instead of a pipe (for programs that seek or reopen)')
    .option('--filename <name>', 'file name for --no-fifo (default: the input name)')
    .option('--pristine', 'do not pass the current environment to the command')
    .option('--ignore-mac', 'do not check the MAC')
    .action(act((file, command, opts) => runExecFile(io, file as string, command as string, opts as never)));

  addCommon(program.command('rotate').argument('<file>'))
    .description('Generate a new data key and re-encrypt every value; optionally add or remove master keys')
    .option('-i, --in-place', 'write the result back to the file')
    .option('--output <path>', 'write the result to this file')
    .option('--add-age <recipients>', 'add age recipients (to the first key group)')
    .option('--rm-age <recipients>', 'remove age recipients')
    .option('--add-pgp <fingerprints>', 'add PGP keys')
    .option('--rm-pgp <fingerprints>', 'remove PGP keys')
    .option('--add-hc-vault-transit <uris>', 'add Vault transit keys')
    .option('--rm-hc-vault-transit <uris>', 'remove Vault transit keys')
    .option('--ignore-mac', 'do not check the MAC')
    .action(act((file, opts) => runRotate(io, file as string, opts as never)));

  addCommon(program.command('updatekeys').argument('<files...>'))
    .description("Re-wrap the data key for the keys of the file's .sops.yaml creation rule (values unchanged)")
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--shamir-secret-sharing-threshold <n>', 'number of key groups needed to decrypt')
    .action(act((files, opts) => runUpdateKeys(io, files as string[], opts as never)));

  addCommon(program.command('set').argument('<file>').argument('<path>', 'tree path, e.g. \'["app"]["password"]\'').argument('[value]', 'JSON value'))
    .description('Set one value (JSON) in an encrypted file, in place')
    .option('--value-file', 'the value argument is a file holding the JSON value')
    .option('--value-stdin', 'read the JSON value from standard input')
    .option('--idempotent', 'do not write the file when the value is unchanged')
    .option('--ignore-mac', 'do not check the MAC')
    .action(act((file, path, value, opts) => runSet(io, file as string, path as string, value as string | undefined, opts as never)));

  addCommon(program.command('unset').argument('<file>').argument('<path>', 'tree path, e.g. \'["app"]["password"]\''))
    .description('Remove one key or list item from an encrypted file, in place')
    .option('--idempotent', 'succeed when the key is already absent')
    .option('--ignore-mac', 'do not check the MAC')
    .action(act((file, path, opts) => runUnset(io, file as string, path as string, opts as never)));

  addCommon(program.command('filestatus').argument('<file>'))
    .description('Print {"encrypted":true} or {"encrypted":false}')
    .action(act((file, opts) => runFilestatus(io, file as string, opts as never)));

  addCommon(program.command('diff').argument('<file>'))
    .description('Print a file decrypted, or as is when it is not encrypted (git textconv driver)')
    .action(act((file, opts) => runDiff(io, file as string, opts as never)));

  addCommon(program.command('merge').argument('<base>', '%O').argument('<ours>', '%A (result written here)').argument('<theirs>', '%B').argument('[path]', '%P, for the format'))
    .description('git merge driver: decrypt all three versions, 3-way merge the trees, re-encrypt with a fresh MAC')
    .action(act((base, ours, theirs, path, opts) => runMerge(io, base as string, ours as string, theirs as string, path as string | undefined, opts as never)));

  return program;
}

export function formatError(err: SopsError | Error): string {
  const lines = [`coffer: error: ${err.message}`];
  if (err instanceof SopsError) for (const h of err.hints) lines.push(`hint: ${h}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `coffer sops` with an injectable I/O (tests call this in-process). */
export async function runSops(argv: string[], io: SopsIo): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return 1; // usage shown because no command was given
      io.stderr(formatError(new SopsError(1, err.message.replace(/^error: /, ''), { hints: ['run "coffer sops --help" for usage'] })));
      return err.exitCode === 0 ? 1 : err.exitCode;
    }
    if (err instanceof SopsError) {
      io.stderr(formatError(err));
      return err.exitCode;
    }
    io.stderr(formatError(err instanceof Error ? err : new Error(String(err))));
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  return runSops(argv, processIo());
}
