// Redaction: a finding shows at most a short prefix of its secret (a tenth of it, four characters at
// most), never the rest, unless the user asks with --no-redact.
import type { Finding } from '../types.js';

export const REDACTED = '[REDACTED]';

export function redactSecret(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.length / 10));
  return secret.slice(0, keep) + REDACTED;
}

/** A copy of the finding with secret, match and line text redacted. */
export function redactFinding(f: Finding): Finding {
  const red = redactSecret(f.secret);
  const firstLine = f.secret.split('\n')[0] ?? '';
  const hide = (s: string) => {
    if (s === '') return s;
    let out = firstLine.length > 0 ? s.split(firstLine).join(red) : s;
    if (f.secret.includes('\n')) out = out.split(f.secret).join(red);
    return out;
  };
  return { ...f, secret: red, match: f.match.split(f.secret).join(red), lineText: hide(f.lineText) };
}

export function prepareFindings(findings: Finding[], redact: boolean): Finding[] {
  return redact ? findings.map(redactFinding) : findings;
}
