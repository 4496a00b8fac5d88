// Times as Vault prints them in JSON (Go's time.Time marshalling).

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * RFC 3339 in the server's local offset, as Go prints time.Time in JSON (RFC3339Nano: trailing
 * zeros of the fraction dropped, "Z" for UTC). Vault's token lookups use local time.
 */
export function formatGoTime(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000);
  let s = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`
    + `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const frac = local.getUTCMilliseconds();
  if (frac !== 0) s += '.' + pad(frac, 3).replace(/0+$/, '');
  if (offsetMin === 0) return s + 'Z';
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${s}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
