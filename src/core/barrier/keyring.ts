// The barrier keyring: term → 32-byte AES key. New writes use the active (highest) term; old terms
// stay so entries written under them remain readable (rotation never re-encrypts data).
// Serialised in a small binary layout rather than JSON so key bytes never pass through JS strings,
// which cannot be wiped.
import { randomBytes } from 'node:crypto';
import { InternalError } from '../errors.js';

export const KEY_BYTES = 32;
const FORMAT_VERSION = 1;
// term u32 ‖ key ‖ install time (ms, f64) ‖ encryptions (f64)
const RECORD_BYTES = 4 + KEY_BYTES + 8 + 8;

export interface KeyTerm {
  readonly term: number;
  readonly key: Buffer;
  readonly installTime: Date;
  encryptions: number;
}

function freshKey(): Buffer {
  // Buffer.alloc never hands out a slice of the shared pool, so zeroing it wipes the only copy.
  const key = Buffer.alloc(KEY_BYTES);
  randomBytes(KEY_BYTES).copy(key);
  return key;
}

export class Keyring {
  readonly #terms = new Map<number, KeyTerm>();
  #activeTerm = 0;

  /** A keyring holding one fresh key, term 1. */
  static create(now = new Date()): Keyring {
    const ring = new Keyring();
    ring.#add({ term: 1, key: freshKey(), installTime: now, encryptions: 0 });
    return ring;
  }

  static parse(bytes: Uint8Array): Keyring {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < 9 || buf[0] !== FORMAT_VERSION) throw new InternalError('barrier: keyring is malformed');
    const active = buf.readUInt32BE(1);
    const count = buf.readUInt32BE(5);
    if (buf.length !== 9 + count * RECORD_BYTES) throw new InternalError('barrier: keyring is malformed');
    const ring = new Keyring();
    for (let i = 0; i < count; i++) {
      const at = 9 + i * RECORD_BYTES;
      const key = Buffer.alloc(KEY_BYTES);
      buf.copy(key, 0, at + 4, at + 4 + KEY_BYTES);
      ring.#add({
        term: buf.readUInt32BE(at),
        key,
        installTime: new Date(buf.readDoubleBE(at + 4 + KEY_BYTES)),
        encryptions: buf.readDoubleBE(at + 4 + KEY_BYTES + 8),
      });
    }
    if (!ring.#terms.has(active)) throw new InternalError('barrier: keyring is malformed');
    ring.#activeTerm = active;
    return ring;
  }

  #add(entry: KeyTerm): void {
    this.#terms.set(entry.term, entry);
    if (entry.term > this.#activeTerm) this.#activeTerm = entry.term;
  }

  get active(): KeyTerm {
    return this.#terms.get(this.#activeTerm)!;
  }

  term(term: number): KeyTerm | undefined {
    return this.#terms.get(term);
  }

  /**
   * A keyring with every term of this one plus a new active term. The existing term records (and
   * their key Buffers) are shared, not copied, so switching to the result leaves no stray copies.
   */
  withNewTerm(now = new Date()): Keyring {
    const next = new Keyring();
    for (const entry of this.#terms.values()) next.#add(entry);
    next.#add({ term: this.#activeTerm + 1, key: freshKey(), installTime: now, encryptions: 0 });
    return next;
  }

  /** The binary form; the caller should zero it once encrypted. */
  serialize(): Buffer {
    const entries = [...this.#terms.values()];
    const out = Buffer.alloc(9 + entries.length * RECORD_BYTES);
    out[0] = FORMAT_VERSION;
    out.writeUInt32BE(this.#activeTerm, 1);
    out.writeUInt32BE(entries.length, 5);
    entries.forEach((entry, i) => {
      const at = 9 + i * RECORD_BYTES;
      out.writeUInt32BE(entry.term, at);
      entry.key.copy(out, at + 4);
      out.writeDoubleBE(entry.installTime.getTime(), at + 4 + KEY_BYTES);
      out.writeDoubleBE(entry.encryptions, at + 4 + KEY_BYTES + 8);
    });
    return out;
  }

  /** Zeroes only the newest term's key: undoes withNewTerm when the new keyring was never used. */
  discardNewTerm(): void {
    this.active.key.fill(0);
  }

  /** Overwrites every key with zeros; the keyring is unusable afterwards. */
  zero(): void {
    for (const entry of this.#terms.values()) entry.key.fill(0);
    this.#terms.clear();
    this.#activeTerm = 0;
  }
}
