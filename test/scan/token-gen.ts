// Test-only generators for realistic-looking credentials. Nothing here is a real secret: every value
// is produced from a seeded PRNG at test time (with valid checksums where a format has one), so the
// repository never holds a live-looking token.
import { crc32 } from 'node:zlib';
import { base62Encode, bech32Checksum } from '../../src/scan/checksum.js';

export type Rng = () => number;

/** mulberry32: small, fast, deterministic. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLASSES: Record<string, string> = {
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  lower: 'abcdefghijklmnopqrstuvwxyz',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digit: '0123456789',
  hex: '0123456789abcdef',
  hexup: '0123456789ABCDEF',
  b64: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  b64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-',
  b32: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  b32l: 'abcdefghijklmnopqrstuvwxyz234567',
  lowernum: 'abcdefghijklmnopqrstuvwxyz0123456789',
  uppernum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
};
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const PASSWORD_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!%^*-_+=.~';

export function randomChars(rng: Rng, alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rng() * alphabet.length)];
  return out;
}

export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rng() * 256);
  return b;
}

export function githubStyleBody(rng: Rng): string {
  const entropy = randomChars(rng, CLASSES.alnum!, 30);
  return entropy + base62Encode(crc32(entropy), 6);
}

function bech32Key(rng: Rng, hrp: string): string {
  const data: number[] = [];
  for (let i = 0; i < 52; i++) data.push(Math.floor(rng() * 32));
  return `${hrp}1${data.map((d) => BECH32[d]).join('')}${bech32Checksum(hrp, data)}`;
}

export function randomPassword(rng: Rng, n: number): string {
  for (;;) {
    const p = randomChars(rng, CLASSES.alpha!, 1) + randomChars(rng, PASSWORD_CHARS, n - 1);
    if (/\d/.test(p) && /[^A-Za-z0-9]/.test(p)) return p;
  }
}

function wrap64(s: string): string {
  return s.match(/.{1,64}/g)!.join('\n');
}

export function pemBlock(rng: Rng, label: string): string {
  return `-----BEGIN ${label}-----\n${wrap64(randomBytes(rng, 600).toString('base64'))}\n-----END ${label}-----`;
}

export function jwtToken(rng: Rng): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = enc({ alg: 'HS256', typ: 'JWT' });
  const payload = enc({ sub: randomChars(rng, CLASSES.alnum!, 12), iat: 1700000000 + Math.floor(rng() * 1e6) });
  return `${header}.${payload}.${randomBytes(rng, 32).toString('base64url')}`;
}

function special(rng: Rng, name: string, arg: string | undefined): string {
  const n = arg === undefined ? 0 : Number(arg);
  switch (name) {
    case 'ghcrc': return githubStyleBody(rng);
    case 'uuid': {
      const h = randomChars(rng, CLASSES.hex!, 32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
    }
    case 'b64bytes': return randomBytes(rng, n).toString('base64');
    case 'sassig': return encodeURIComponent(randomBytes(rng, 32).toString('base64'));
    case 'password': return randomPassword(rng, n);
    case 'pem': return pemBlock(rng, arg!);
    case 'ssh2': return `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "deploy key"\n${wrap64(randomBytes(rng, 500).toString('base64'))}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----`;
    case 'ppk': return [
      'PuTTY-User-Key-File-3: ssh-ed25519', 'Encryption: none', 'Comment: deploy key', 'Public-Lines: 2',
      randomBytes(rng, 48).toString('base64'), randomBytes(rng, 15).toString('base64'), 'Private-Lines: 1',
      randomBytes(rng, 33).toString('base64'), `Private-MAC: ${randomChars(rng, CLASSES.hex!, 64)}`,
    ].join('\n');
    case 'age': return bech32Key(rng, 'age-secret-key-').toUpperCase();
    case 'nsec': return bech32Key(rng, 'nsec');
    case 'jwt': return jwtToken(rng);
    default: {
      const alphabet = CLASSES[name];
      if (!alphabet) throw new Error(`unknown template class ${name}`);
      return randomChars(rng, alphabet, n);
    }
  }
}

/** Expands a rule's `example` template: `%{class:n}` or `%{special[:arg]}`. */
export function expandTemplate(template: string, rng: Rng): string {
  return template.replace(/%\{([a-z0-9]+)(?::([^}]+))?\}/g, (_m, name: string, arg: string | undefined) => special(rng, name, arg));
}

/** The secret part a template produces is not needed by tests; they check the rule id and line. */
export { CLASSES as TOKEN_CLASSES };
