// CLI error reporting in age's style: `coffer: error: …` then `hint: …` lines on stderr.
// Exit codes: 1 for local and usage errors, 2 when the server (or the connection to it) failed.
// Known secrets (the token, values the command handled) are redacted from every message.
import { ApiError, ConnectionError } from '../../client/client.js';

export const EXIT_OK = 0;
export const EXIT_LOCAL = 1;
export const EXIT_API = 2;

/** A local failure with an exit code (1 unless said otherwise) and optional hints. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hints: string[];
  constructor(message: string, hints: string[] = [], exitCode = EXIT_LOCAL) {
    super(message);
    this.name = 'CliError';
    this.hints = hints;
    this.exitCode = exitCode;
  }
}

/** Wrong flags or arguments: exit 1. */
export class UsageError extends CliError {
  constructor(message: string, hints: string[] = []) {
    super(message, hints, EXIT_LOCAL);
    this.name = 'UsageError';
  }
}

export interface ErrorContext {
  address: string;
  hasToken: boolean;
  /** Strings that must never be printed (tokens, secret values). */
  sensitive: Iterable<string>;
}

export interface ErrorReport {
  exitCode: number;
  lines: string[];
}

export function describeError(err: unknown, ctx: ErrorContext): ErrorReport {
  let message: string;
  let hints: string[];
  let exitCode: number;
  if (err instanceof CliError) {
    ({ message, hints, exitCode } = err);
  } else if (err instanceof ApiError) {
    const what = err.errors.length > 0 ? err.errors.join('; ') : statusText(err.status);
    message = `${what} (HTTP ${err.status} on ${err.method} /v1/${err.path})`;
    hints = apiHints(err, ctx);
    exitCode = EXIT_API;
  } else if (err instanceof ConnectionError) {
    message = `cannot talk to the server at ${err.address}: ${err.message}`;
    hints = connectionHints(err, ctx);
    exitCode = EXIT_API;
  } else if (err instanceof TypeError && /invalid address/.test(err.message)) {
    message = err.message;
    hints = ['set COFFER_ADDR (or VAULT_ADDR, or -address) to a URL such as http://127.0.0.1:8200'];
    exitCode = EXIT_LOCAL;
  } else {
    const e = err as NodeJS.ErrnoException;
    message = e?.message ?? String(err);
    hints = [];
    if (e?.code === 'ENOENT' && e.path) { message = `no such file: ${e.path}`; }
    else if (e?.code === 'EACCES' && e.path) { message = `permission denied reading or writing ${e.path}`; }
    exitCode = EXIT_LOCAL;
  }
  const redact = makeRedactor(ctx.sensitive);
  return {
    exitCode,
    lines: [`coffer: error: ${redact(message)}`, ...hints.map((h) => `hint: ${redact(h)}`)],
  };
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'invalid request';
    case 403: return 'permission denied';
    case 404: return 'not found';
    case 405: return 'unsupported operation';
    case 413: return 'request body too large';
    case 429: return 'too many requests';
    case 503: return 'service unavailable';
    default: return `HTTP ${status}`;
  }
}

function apiHints(err: ApiError, ctx: ErrorContext): string[] {
  const text = err.errors.join('\n').toLowerCase();
  if (err.status === 403) {
    if (!ctx.hasToken) return ['no token is set: run "coffer login" or set COFFER_TOKEN (or VAULT_TOKEN)'];
    if (text.includes('invalid token')) return ['the token is invalid, expired or revoked: run "coffer login" with a valid token'];
    return ['check that your token is valid ("coffer token lookup") and that its policies grant this operation on the path ("coffer token capabilities PATH")'];
  }
  if (text.includes('wrapping token is not valid')) {
    return ['a wrapping token can be unwrapped once, before its TTL runs out; ask for a new one',
      'if you did not unwrap it yourself, someone else may have: treat the wrapped secret as exposed'];
  }
  if (err.path.startsWith('sys/leases/') || err.path.startsWith('sys/renew') || err.path.startsWith('sys/revoke')) {
    const lease = leaseHints(text);
    if (lease.length > 0) return lease;
  }
  if (err.status === 503 && text.includes('sealed')) return ['the server is sealed: unseal it with "coffer operator unseal"'];
  if (text.includes('not initialized')) return ['initialize the server with "coffer operator init"'];
  if (err.status === 404 && (text.includes('no handler for route') || text.includes('unsupported path'))) {
    return ['nothing is mounted at that path: see "coffer secrets list" and "coffer auth list"'];
  }
  if (err.status === 405) return ['the path does not support this operation'];
  if (err.status === 429) return ['the server is rate limiting requests: retry later'];
  if (err.status >= 500 && err.status !== 503) return ['the server failed; its log has the details'];
  return [];
}

/** Hints for the lease endpoints' 400s (unknown, expired or non-renewable lease). */
function leaseHints(text: string): string[] {
  if (text.includes('invalid lease') || text.includes('lease not found')) {
    return ['no lease has that id: it may have expired or been revoked, or the id is incomplete (give the whole lease_id a read printed, e.g. database/creds/ROLE/AbCd…)'];
  }
  if (text.includes('lease expired') || text.includes('past the max ttl')) {
    return ['the lease has reached its end and cannot be renewed: read the secret again for a new lease'];
  }
  if (text.includes('not renewable')) return ['the engine issued this lease as non-renewable: read the secret again for a new lease'];
  if (text.includes('tokens cannot be renewed')) return ['this is a token\'s lease: use "coffer token renew"'];
  return [];
}

function connectionHints(err: ConnectionError, ctx: ErrorContext): string[] {
  const code = err.code;
  const tlsCert = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
  if (code === 'ECONNREFUSED') {
    return [`is the server running at ${ctx.address}? Start one with "coffer server -dev", or set COFFER_ADDR (or VAULT_ADDR) to its address`];
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return [`check the host name in COFFER_ADDR (now ${ctx.address})`];
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(err.message)) {
    return ['the server does not speak TLS at that address: use http:// in COFFER_ADDR (dev servers listen on plain HTTP)'];
  }
  if (tlsCert.test(code)) {
    return ['set COFFER_CACERT (or VAULT_CACERT) to the CA certificate that signed the server\'s certificate', 'for a throw-away dev server only: VAULT_SKIP_VERIFY=true'];
  }
  if (code === 'ECONNRESET' || code === 'HPE_INVALID_CONSTANT' || code === 'EPIPE') {
    return ['the connection was dropped: if the server uses TLS, use https:// in COFFER_ADDR'];
  }
  if (code === 'ETIMEDOUT') return ['the server did not answer in time; set VAULT_CLIENT_TIMEOUT (seconds) to wait longer'];
  return [];
}

/** Replaces every known sensitive string (4+ characters) with `<redacted>`. */
export function makeRedactor(sensitive: Iterable<string>): (s: string) => string {
  const list = [...new Set(sensitive)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (s) => {
    let out = s;
    for (const secret of list) out = out.split(secret).join('<redacted>');
    return out;
  };
}
