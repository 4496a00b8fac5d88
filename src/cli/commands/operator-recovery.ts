// `coffer operator rekey` and `coffer operator generate-root`: the recovery ceremonies, with the
// Vault CLI's flags and output. Key shares come as an argument, from stdin ("-", or no argument
// when stdin is not a terminal) or from a prompt without echo; the operation nonce must be given
// with -nonce unless the key is typed at the prompt (the prompt shows the nonce instead).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRecoveryApi, type GenerateRootStatus, type RekeyStatus, type RekeyUpdateResult, type RekeyVerifyStatus } from '../../client/recovery.js';
import { randomBase62 } from '../../lib/ids.js';
import { decodeRootToken, ROOT_TOKEN_OTP_LENGTH } from '../../lib/root-token.js';
import { CliError, EXIT_OK, UsageError } from './errors.js';
import { HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Ctx } from './runtime.js';

/**
 * A PGP public key given on the command line: a file (binary, base64 or ASCII-armored, as
 * `gpg --export [--armor]` writes it) or the base64 key itself. Keybase lookups are not supported.
 */
export function pgpKeyArgument(value: string): string {
  if (value.startsWith('keybase:')) {
    throw new UsageError(`keybase lookups are not supported (${value})`, ['export the public key with "gpg --export KEYID > key.gpg" and pass the file']);
  }
  if (existsSync(value) && statSync(value).isFile()) {
    const bytes = readFileSync(value);
    const text = bytes.toString('utf8');
    if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return text;
    const compact = text.replace(/\s+/g, '');
    if (compact !== '' && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0) return compact;
    return bytes.toString('base64');
  }
  return value;
}

/** One key share: argument, stdin or hidden prompt; and the nonce to send with it. */
async function readShare(ctx: Ctx, operation: string, currentNonce: string, statusCommand: string): Promise<{ key: string; nonce: string }> {
  const [arg] = ctx.args;
  let key: string;
  let nonce = ctx.p.str('nonce') ?? '';
  if (arg !== undefined && arg !== '-') {
    key = arg;
  } else if (arg === undefined && ctx.io.stdinIsTTY) {
    // Typed at the prompt: the nonce is shown for the holder to check instead of being asked for.
    ctx.io.err(`${operation} nonce: ${currentNonce}\n`);
    key = await ctx.io.promptHidden('Unseal Key (will be hidden): ');
    nonce ||= currentNonce;
  } else {
    key = await ctx.io.readStdin();
  }
  key = key.trim();
  ctx.sensitive.add(key);
  if (key === '') throw new UsageError('no unseal key given', ['pass the key as an argument, type it at the prompt, or pipe it on stdin']);
  if (nonce === '') {
    throw new UsageError('missing nonce value: specify it with -nonce', [`the nonce of the current operation is shown by "${statusCommand}"`]);
  }
  return { key, nonce };
}

function rekeyStatusRows(s: RekeyStatus): [string, string][] {
  const rows: [string, string][] = [['Nonce', s.nonce], ['Started', String(s.started)]];
  if (s.started) {
    rows.push(['Rekey Progress', `${s.progress}/${s.required}`], ['New Shares', String(s.n)], ['New Threshold', String(s.t)],
      ['Verification Required', String(s.verification_required)]);
    if (s.verification_nonce) rows.push(['Verification Nonce', s.verification_nonce]);
  }
  if (s.pgp_fingerprints && s.pgp_fingerprints.length > 0) {
    rows.push(['PGP Fingerprints', s.pgp_fingerprints.join(', ')], ['Backup', String(s.backup)]);
  }
  return rows;
}

function verifyStatusRows(s: RekeyVerifyStatus): [string, string][] {
  return [['Nonce', s.nonce], ['Started', String(s.started)], ['New Shares', String(s.n)], ['New Threshold', String(s.t)],
    ['Verification Progress', `${s.progress}/${s.t}`]];
}

function printNewKeys(ctx: Ctx, res: RekeyUpdateResult, status: RekeyStatus): void {
  if (ctx.format !== 'table' || ctx.field !== undefined) {
    ctx.printData({ ...res });
    return;
  }
  const keys = res.keys_base64 ?? res.keys ?? [];
  const lines = [''];
  keys.forEach((k, i) => {
    const fp = res.pgp_fingerprints?.[i];
    lines.push(fp ? `Key ${i + 1} fingerprint: ${fp}; value: ${k}` : `Key ${i + 1}: ${k}`);
  });
  lines.push('', `Operation nonce: ${res.nonce}`);
  if (res.backup) {
    lines.push('', 'The encrypted unseal keys are backed up to "core/unseal-keys-backup" in the storage backend.',
      'Remove them at any time with "coffer operator rekey -backup-delete"; Coffer does not remove them itself.');
  }
  if (!res.verification_required) {
    lines.push('', `Coffer rekeyed with ${status.n} key shares and a key threshold of ${status.t}. Please securely`,
      'distribute the key shares printed above. When the server is re-sealed, restarted, or stopped,',
      `you must supply at least ${status.t} of these keys to unseal it before it can start servicing requests.`);
  } else {
    lines.push('', `Coffer has created a new key, split into ${status.n} key shares and a key threshold of ${status.t}.`,
      'These will not be active until after verification is complete. Please securely distribute the key',
      'shares printed above.', '',
      'WARNING! These key shares are _not_ valid until verification is performed: enter a threshold of them',
      'with "coffer operator rekey -verify -nonce=<verification nonce> KEY". Do not discard the current key',
      'shares before then. If you cancel the rekey or seal the server before verification is complete, the',
      'new shares are discarded and the current ones remain valid.', '',
      `Verification nonce: ${res.verification_nonce ?? ''}`);
  }
  ctx.print(`${lines.join('\n')}\n`);
}

export const rekey: Command = {
  def: {
    name: 'operator rekey',
    args: '[KEY]',
    summary: 'Replace the unseal keys (optionally with a new number of shares and threshold), given a quorum of the current ones.',
    description: [
      'Start with -init (-key-shares, -key-threshold, optionally -pgp-keys with -backup, and -verify to require the',
      'new keys to be entered back before they take effect). Then each holder of a current key runs the command',
      'with -nonce and the key (argument, "-" for stdin, or a prompt without echo). With -verify, holders of the',
      'new keys do the same until the threshold is reached. -cancel discards the attempt (with -verify: only the',
      'verification progress).',
    ].join('\n'),
    flags: [
      { name: 'init', kind: 'bool', usage: 'Start a rekey. Only one can run at a time.' },
      { name: 'cancel', kind: 'bool', usage: 'Cancel the rekey (its nonce is needed within 10 minutes of -init; taken from -nonce, else the status).' },
      { name: 'status', kind: 'bool', usage: 'Print the progress of the current rekey.' },
      { name: 'key-shares', aliases: ['n'], kind: 'int', usage: 'Number of new key shares (default 5).' },
      { name: 'key-threshold', aliases: ['t'], kind: 'int', usage: 'Number of new shares needed to unseal (default 3).' },
      { name: 'nonce', kind: 'string', value: 'NONCE', usage: 'Nonce of the operation, required with each key given as an argument or on stdin.' },
      { name: 'pgp-keys', kind: 'list', value: 'KEYS', usage: 'Comma-separated PGP public keys (files or base64), one per new share; each share is encrypted to its key.' },
      { name: 'backup', kind: 'bool', usage: 'With -pgp-keys: also store the encrypted shares on the server (see -backup-retrieve).' },
      { name: 'verify', kind: 'bool', usage: 'With -init: require verification. Otherwise: -status, -cancel or the key act on the verification.' },
      { name: 'backup-retrieve', kind: 'bool', usage: 'Print the backed-up encrypted shares (needs a token).' },
      { name: 'backup-delete', kind: 'bool', usage: 'Delete the backed-up encrypted shares (needs a token).' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const api = createRecoveryApi(ctx.client);
    const verify = ctx.p.bool('verify');
    if (ctx.p.bool('backup-delete')) {
      await api.rekeyBackupDelete();
      ctx.success('Success! Deleted stored keys (if they existed)');
      return EXIT_OK;
    }
    if (ctx.p.bool('backup-retrieve')) {
      const b = await api.rekeyBackup();
      ctx.printData({ ...b });
      return EXIT_OK;
    }
    if (ctx.p.bool('cancel')) {
      if (verify) {
        const s = await api.rekeyVerifyRestart();
        ctx.success(`Success! Restarted the rekey verification; new verification nonce: ${s.nonce}`);
      } else {
        const nonce = ctx.p.str('nonce') ?? (await api.rekeyStatus()).nonce;
        await api.rekeyCancel(nonce);
        ctx.success('Success! Canceled rekeying (if it was started)');
      }
      return EXIT_OK;
    }
    if (ctx.p.bool('init')) {
      const shares = ctx.p.int('key-shares') ?? 5;
      const threshold = ctx.p.int('key-threshold') ?? 3;
      const pgpKeys = ctx.p.list('pgp-keys').map(pgpKeyArgument);
      const s = await api.rekeyInit({
        secret_shares: shares, secret_threshold: threshold,
        ...(pgpKeys.length > 0 ? { pgp_keys: pgpKeys } : {}),
        ...(ctx.p.bool('backup') ? { backup: true } : {}),
        ...(verify ? { require_verification: true } : {}),
      });
      if (ctx.format === 'table' && ctx.field === undefined) {
        if (pgpKeys.length === 0) {
          ctx.io.err('WARNING! If you lose the keys after they are returned, there is no recovery. Consider canceling and\n'
            + 're-initializing with -pgp-keys (and -backup) to protect the returned unseal keys.\n\n');
        } else if (!ctx.p.bool('backup')) {
          ctx.io.err('WARNING! The new keys are PGP-encrypted but not backed up on the server: if the encrypted keys are\n'
            + 'lost after they are returned, they cannot be recovered. Consider re-running with -backup.\n\n');
        }
      }
      ctx.printData({ ...s }, rekeyStatusRows(s));
      return EXIT_OK;
    }
    if (ctx.p.bool('status')) {
      if (verify) {
        const v = await api.rekeyVerifyStatus();
        ctx.printData({ ...v }, verifyStatusRows(v));
      } else {
        const s = await api.rekeyStatus();
        ctx.printData({ ...s }, rekeyStatusRows(s));
      }
      return EXIT_OK;
    }

    // A key share: for the rekey itself, or (with -verify) for its verification.
    if (verify) {
      const v = await api.rekeyVerifyStatus();
      if (!v.started) throw new CliError('no rekey verification is in progress', ['start a rekey with "coffer operator rekey -init -verify"']);
      const { key, nonce } = await readShare(ctx, 'Rekey verification', v.nonce, 'coffer operator rekey -status -verify');
      const res = await api.rekeyVerify(key, nonce);
      if (res.complete) {
        if (ctx.format === 'table' && ctx.field === undefined) ctx.print('Rekey verification successful. The new keys are now active.\n');
        else ctx.printData({ ...res });
        return EXIT_OK;
      }
      ctx.printData({ ...res }, verifyStatusRows(res));
      return EXIT_OK;
    }
    const status = await api.rekeyStatus();
    if (!status.started) throw new CliError('no rekey is in progress', ['start one with "coffer operator rekey -init"']);
    const { key, nonce } = await readShare(ctx, 'Rekey operation', status.nonce, 'coffer operator rekey -status');
    const res = await api.rekeyUpdate(key, nonce);
    if (res.complete) {
      printNewKeys(ctx, res, status);
      return EXIT_OK;
    }
    const now = res as RekeyStatus;
    ctx.printData({ ...now }, rekeyStatusRows(now));
    return EXIT_OK;
  },
};

function generateRootRows(s: GenerateRootStatus): [string, string][] {
  const rows: [string, string][] = [['Nonce', s.nonce], ['Started', String(s.started)], ['Progress', `${s.progress}/${s.required}`], ['Complete', String(s.complete)]];
  if (s.pgp_fingerprint) rows.push(['PGP Fingerprint', s.pgp_fingerprint]);
  if (s.encoded_token) rows.push(['Encoded Token', s.encoded_token]);
  else if (s.encoded_root_token) rows.push(['Encoded Root Token', s.encoded_root_token]);
  if (s.otp) rows.push(['OTP', s.otp]);
  if (s.otp_length) rows.push(['OTP Length', String(s.otp_length)]);
  return rows;
}

export const generateRoot: Command = {
  def: {
    name: 'operator generate-root',
    args: '[KEY]',
    summary: 'Generate a new root token from a quorum of unseal keys (OTP or PGP protected).',
    description: [
      'Start with -init, giving -otp (see -generate-otp) or -pgp-key, or neither: the server then generates the OTP',
      'and prints it once. Each unseal key holder then runs the command with -nonce and the key (argument, "-" for',
      'stdin, or a prompt without echo). The last one prints the encoded token: decode it with',
      '-decode=<encoded token> -otp=<otp>, or decrypt it with the PGP private key (base64 -d | gpg -d).',
    ].join('\n'),
    flags: [
      { name: 'init', kind: 'bool', usage: 'Start a root token generation. Only one can run at a time.' },
      { name: 'cancel', kind: 'bool', usage: 'Cancel the root token generation and discard the keys entered.' },
      { name: 'status', kind: 'bool', usage: 'Print the progress of the current generation.' },
      { name: 'otp', kind: 'string', value: 'OTP', usage: 'One-time password for -init or -decode (28 characters; see -generate-otp).' },
      { name: 'pgp-key', kind: 'string', value: 'KEY', usage: 'PGP public key (file, or base64) to encrypt the new root token to, for -init.' },
      { name: 'decode', kind: 'string', value: 'ENCODED', usage: 'Decode this encoded token with -otp and print the root token.' },
      { name: 'generate-otp', kind: 'bool', usage: 'Print a new random one-time password for -init -otp.' },
      { name: 'nonce', kind: 'string', value: 'NONCE', usage: 'Nonce of the operation, required with each key given as an argument or on stdin.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    if (ctx.p.bool('generate-otp')) {
      const otp = randomBase62(ROOT_TOKEN_OTP_LENGTH);
      if (ctx.format === 'table' && ctx.field === undefined) ctx.print(ctx.io.stdoutIsTTY ? `${otp}\n` : otp);
      else ctx.printData({ otp, otp_length: otp.length });
      return EXIT_OK;
    }
    if (ctx.p.has('decode')) {
      const encoded = ctx.p.str('decode') ?? '';
      const otp = ctx.p.str('otp') ?? '';
      if (encoded === '') throw new UsageError('missing encoded value: use -decode=<string> to supply it');
      if (otp === '') throw new UsageError('missing otp: use -otp to supply it');
      let token: string;
      try {
        token = decodeRootToken(encoded === '-' ? (await ctx.io.readStdin()).trim() : encoded, otp);
      } catch (err) {
        throw new CliError(`error decoding root token: ${(err as Error).message}`, ['use the OTP the generation was started with, and the whole encoded token']);
      }
      if (ctx.format === 'table' && ctx.field === undefined) ctx.print(ctx.io.stdoutIsTTY ? `${token}\n` : token);
      else ctx.printData({ token });
      return EXIT_OK;
    }
    const api = createRecoveryApi(ctx.client);
    if (ctx.p.bool('cancel')) {
      await api.generateRootCancel();
      ctx.success('Success! Root token generation canceled (if it was started)');
      return EXIT_OK;
    }
    if (ctx.p.bool('init')) {
      const otp = ctx.p.str('otp') ?? '';
      const pgp = ctx.p.str('pgp-key') ?? '';
      if (otp !== '' && pgp !== '') throw new UsageError('cannot specify both -otp and -pgp-key');
      const s = await api.generateRootInit(pgp !== '' ? { pgp_key: pgpKeyArgument(pgp) } : otp !== '' ? { otp } : {});
      if (s.otp && ctx.format === 'table' && ctx.field === undefined) {
        ctx.io.err('A One-Time-Password has been generated for you and is shown in the OTP field. You will need this\n'
          + 'value to decode the resulting root token, so keep it safe.\n');
      }
      ctx.printData({ ...s }, generateRootRows(s));
      return EXIT_OK;
    }
    if (ctx.p.bool('status')) {
      const s = await api.generateRootStatus();
      ctx.printData({ ...s }, generateRootRows(s));
      return EXIT_OK;
    }
    const status = await api.generateRootStatus();
    if (!status.started) {
      throw new CliError('no root generation is in progress', [
        'start one with "coffer operator generate-root -init"',
        `a one-time password given with -otp must be ${status.otp_length || ROOT_TOKEN_OTP_LENGTH} characters long`,
      ]);
    }
    const { key, nonce } = await readShare(ctx, 'Operation', status.nonce, 'coffer operator generate-root -status');
    const s = await api.generateRootUpdate(key, nonce);
    ctx.printData({ ...s }, generateRootRows(s));
    if (s.complete && ctx.format === 'table' && ctx.field === undefined) {
      ctx.io.err(s.pgp_fingerprint
        ? 'Decrypt the encoded token with the PGP private key: echo ENCODED | base64 -d | gpg -d\n'
        : 'Decode the encoded token with: coffer operator generate-root -decode=ENCODED -otp=OTP\n');
    }
    return EXIT_OK;
  },
};
