// Duration parsing with Vault's leniency: an integer number of seconds (number or numeric string),
// a Go duration ("1h30m", "500ms", "1.5h"), or "<n>d" days. Results are whole seconds.
import { InvalidRequestError } from '../core/errors.js';

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400,
};
const GO_DURATION = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h|d)/;

/** Parses a duration to seconds; throws InvalidRequestError on anything malformed or negative. */
export function parseDurationSeconds(input: unknown, field = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new InvalidRequestError(`invalid ${field}: must be a non-negative number of seconds`);
    return Math.floor(input);
  }
  if (typeof input !== 'string') throw new InvalidRequestError(`invalid ${field}: expected a duration`);
  const s = input.trim();
  if (s === '') return 0;
  if (/^[0-9]+$/.test(s)) return Number.parseInt(s, 10);
  if (s.length > 64) throw new InvalidRequestError(`invalid ${field}: duration too long`);
  let rest = s;
  let total = 0;
  if (rest.startsWith('+')) rest = rest.slice(1);
  if (rest.startsWith('-')) throw new InvalidRequestError(`invalid ${field}: negative durations are not allowed`);
  if (rest === '0') return 0;
  while (rest.length > 0) {
    const m = GO_DURATION.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') throw new InvalidRequestError(`invalid ${field}: time: invalid duration "${truncate(s)}"`);
    total += Number.parseFloat(m[1]!) * UNIT_SECONDS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!Number.isFinite(total)) throw new InvalidRequestError(`invalid ${field}: duration out of range`);
  return Math.floor(total);
}

function truncate(s: string): string {
  return s.length > 32 ? `${s.slice(0, 32)}…` : s;
}

/** Formats seconds as Go does for time.Duration (e.g. 768h0m0s), used by CLI-facing fields. */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
