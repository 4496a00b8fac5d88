// Standard 5-field cron schedules (minute hour day-of-month month day-of-week) for static-role
// rotation_schedule, evaluated in UTC. Supports `*`, lists, ranges, steps, month/day names and the
// @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly descriptors. As in cron, when both
// day fields are restricted a day matches if either does. Written here (about 120 lines) rather than
// pulled in as a dependency: the engine needs only parse + next-after, with a clear 400 on bad input.
import { InvalidRequestError } from '../../core/errors.js';

export interface CronSchedule {
  readonly source: string;
  /** The first matching minute strictly after `afterMs` (Unix ms), or undefined if none within 5 years. */
  next(afterMs: number): number | undefined;
}

interface FieldSpec { name: string; min: number; max: number; names?: string[] }

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

function bad(source: string, why: string): never {
  throw new InvalidRequestError(`invalid rotation_schedule "${source.slice(0, 100)}": ${why}`);
}

function parseValue(s: string, spec: FieldSpec, source: string): number {
  const upper = s.toUpperCase();
  if (spec.names) {
    const i = spec.names.indexOf(upper);
    if (i >= 0) return spec.name === 'month' ? i + 1 : i;
  }
  if (!/^[0-9]{1,2}$/.test(s)) bad(source, `bad ${spec.name} value "${s.slice(0, 20)}"`);
  const n = Number.parseInt(s, 10);
  if (n < spec.min || n > spec.max) bad(source, `${spec.name} value ${n} out of range ${spec.min}-${spec.max}`);
  return n;
}

function parseField(field: string, spec: FieldSpec, source: string): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const part of field.split(',')) {
    const m = /^([^/]+)(?:\/([0-9]+))?$/.exec(part);
    if (!m) bad(source, `bad ${spec.name} field "${part.slice(0, 20)}"`);
    const step = m[2] === undefined ? 1 : Number.parseInt(m[2], 10);
    if (step <= 0 || step > spec.max + 1) bad(source, `bad step in ${spec.name} field`);
    let lo: number;
    let hi: number;
    if (m[1] === '*' || m[1] === '?') {
      lo = spec.min; hi = spec.name === 'day of week' ? 6 : spec.max;
      if (m[2] === undefined) star = true;
    } else if (m[1]!.includes('-')) {
      const [a, b, ...more] = m[1]!.split('-');
      if (more.length > 0 || a === undefined || b === undefined) bad(source, `bad range in ${spec.name} field`);
      lo = parseValue(a, spec, source); hi = parseValue(b, spec, source);
      if (lo > hi) bad(source, `range ${lo}-${hi} is backwards in ${spec.name} field`);
    } else {
      lo = parseValue(m[1]!, spec, source);
      hi = m[2] === undefined ? lo : (spec.name === 'day of week' ? 6 : spec.max);
    }
    for (let v = lo; v <= hi; v += step) set.add(spec.name === 'day of week' && v === 7 ? 0 : v);
  }
  return { set, star };
}

export function parseCron(source: string): CronSchedule {
  if (source.length > 200) bad(source, 'too long');
  const trimmed = source.trim();
  const expanded = DESCRIPTORS[trimmed.toLowerCase()] ?? trimmed;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) bad(source, 'expected 5 fields (minute hour day-of-month month day-of-week)');
  const [min, hour, dom, mon, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!, source)) as [
    ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>,
  ];

  function dayMatches(d: Date): boolean {
    const domOk = dom.set.has(d.getUTCDate());
    const dowOk = dow.set.has(d.getUTCDay());
    if (dom.star || dow.star) return domOk && dowOk;
    return domOk || dowOk;
  }

  const schedule: CronSchedule = {
    source: trimmed,
    next(afterMs) {
      const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
      const limit = afterMs + 5 * 366 * 86_400_000;
      while (d.getTime() <= limit) {
        if (!mon.set.has(d.getUTCMonth() + 1)) {
          d.setUTCMonth(d.getUTCMonth() + 1, 1); d.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(d)) { d.setUTCDate(d.getUTCDate() + 1); d.setUTCHours(0, 0, 0, 0); continue; }
        if (!hour.set.has(d.getUTCHours())) { d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0); continue; }
        if (!min.set.has(d.getUTCMinutes())) { d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0); continue; }
        return d.getTime();
      }
      return undefined;
    },
  };
  if (schedule.next(Date.UTC(2024, 0, 1)) === undefined) bad(source, 'never matches');
  return schedule;
}
