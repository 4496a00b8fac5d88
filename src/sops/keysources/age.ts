// age master keys (spec §4.1) through the age-encryption package: the data key (or a Shamir share)
// is encrypted to one recipient and stored ASCII-armored. Identities for decryption are gathered
// from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default keys.txt, and every source
// that was looked at is reported when nothing matches. Identity text never appears in messages.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter, armor } from 'age-encryption';
import type { AgeKey } from '../metadata.js';
import { runProgram, shellSplit } from './process.js';

export interface AgeIdentities {
  identities: string[];
  /** Where identities were looked for, for error messages ("SOPS_AGE_KEY_FILE=/path (2 keys)"). */
  searched: string[];
  /** Problems with individual sources (unreadable file, bad line…), without key material. */
  problems: string[];
}

export function defaultAgeKeyFile(env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  let base: string;
  if (env.XDG_CONFIG_HOME) base = env.XDG_CONFIG_HOME;
  else if (process.platform === 'darwin') base = join(home, 'Library', 'Application Support');
  else if (process.platform === 'win32') base = env.AppData ?? join(home, 'AppData', 'Roaming');
  else base = join(home, '.config');
  return join(base, 'sops', 'age', 'keys.txt');
}

/** Parses a keys file: one identity per line, `#` comments and blank lines ignored. */
export function parseAgeKeysText(text: string, source: string, out: AgeIdentities, opts: { whitespaceSeparated?: boolean } = {}): void {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('age-encryption.org/') || trimmed.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    out.problems.push(`${source}: passphrase-protected identity files are not supported; decrypt it with \`age -d\` first`);
    return;
  }
  let count = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const tokens = opts.whitespaceSeparated ? line.split(/\s+/) : [line];
    for (const tok of tokens) {
      if (/^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]+$/.test(tok)) {
        out.identities.push(tok);
        count++;
      } else if (tok.startsWith('AGE-PLUGIN-')) {
        out.problems.push(`${source}: line ${i + 1} is an age plugin identity; plugins are not supported`);
      } else {
        out.problems.push(`${source}: line ${i + 1} is not a valid age identity`);
      }
    }
  });
  out.searched.push(`${source} (${count} ${count === 1 ? 'identity' : 'identities'})`);
}

function readKeyFile(path: string, label: string, out: AgeIdentities): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') out.searched.push(`${label} (not found)`);
    else out.problems.push(`${label}: cannot read (${code ?? 'error'})`);
    return;
  }
  parseAgeKeysText(text, label, out);
}

/** Collects identities from every source sops reads (all are combined). */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv, recipient?: string): Promise<AgeIdentities> {
  const out: AgeIdentities = { identities: [], searched: [], problems: [] };
  if (env.SOPS_AGE_SSH_PRIVATE_KEY_FILE || env.SOPS_AGE_SSH_PRIVATE_KEY_CMD) {
    out.problems.push('SOPS_AGE_SSH_PRIVATE_KEY_*: ssh keys as age identities are not supported by coffer');
  }
  if (env.SOPS_AGE_KEY) parseAgeKeysText(env.SOPS_AGE_KEY, 'SOPS_AGE_KEY', out, { whitespaceSeparated: true });
  if (env.SOPS_AGE_KEY_FILE) readKeyFile(env.SOPS_AGE_KEY_FILE, `SOPS_AGE_KEY_FILE=${env.SOPS_AGE_KEY_FILE}`, out);
  if (env.SOPS_AGE_KEY_CMD) {
    const label = 'SOPS_AGE_KEY_CMD';
    try {
      const [cmd, ...args] = shellSplit(env.SOPS_AGE_KEY_CMD);
      if (!cmd) throw new Error('empty command');
      const r = await runProgram(cmd, args, { env: { ...env, ...(recipient ? { SOPS_AGE_RECIPIENT: recipient } : {}) } });
      if (r.code !== 0) out.problems.push(`${label}: command exited with status ${r.code}`);
      else parseAgeKeysText(r.stdout.toString('utf8'), label, out);
    } catch (err) {
      out.problems.push(`${label}: could not run the command (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const def = defaultAgeKeyFile(env);
  readKeyFile(def, def, out);
  return out;
}

/** Encrypts a data key (or share) to one recipient; returns the armored file with a final newline. */
export async function ageEncrypt(recipient: string, plaintext: Uint8Array): Promise<string> {
  if (recipient.startsWith('ssh-')) throw new Error('ssh recipients are not supported by coffer (age-encryption has no ssh support); use an age1… recipient');
  const e = new Encrypter();
  try {
    e.addRecipient(recipient);
  } catch {
    throw new Error(`invalid age recipient ${JSON.stringify(recipient)}`);
  }
  return armor.encode(await e.encrypt(plaintext));
}

/** Decrypts an age master key with the given identities. */
export async function ageDecrypt(key: AgeKey, ids: AgeIdentities): Promise<Uint8Array> {
  const where = ids.searched.length ? `\n${ids.searched.join('\n')}` : ' none';
  if (ids.identities.length === 0) {
    const extra = ids.problems.length ? `\n${ids.problems.join('\n')}` : '';
    throw new Error(`failed to load age identities: no identity found. Looked in:${where}${extra}`);
  }
  let raw: Uint8Array;
  try {
    raw = armor.decode(key.enc);
  } catch {
    throw new Error('the stored age data key is not a valid armored age file');
  }
  const d = new Decrypter();
  for (const id of ids.identities) d.addIdentity(id);
  try {
    return await d.decrypt(raw);
  } catch (err) {
    const msg = (err as Error).message;
    if (/no identity matched/i.test(msg)) throw new Error(`no identity matched the recipient. Looked in:${where}${ids.problems.length ? `\n${ids.problems.join('\n')}` : ''}`);
    throw new Error(`age decryption failed: ${msg}`);
  }
}
