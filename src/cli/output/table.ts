// Vault-style column output: cells padded to the widest cell of their column, joined by four spaces,
// with a dashed underline under the header row (`Key    Value` / `---    -----`).
const GLUE = '    ';
/** What an empty cell shows (columnize's Empty, as the Vault CLI configures it). */
const EMPTY = 'n/a';

/** Formats rows as aligned columns; the last column is never padded. */
export function columns(input: readonly (readonly string[])[]): string {
  if (input.length === 0) return '';
  const rows = input.map((row) => row.map((cell) => (cell === '' ? EMPTY : cell)));
  const width: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      const w = displayWidth(firstLine(cell));
      if ((width[i] ?? 0) < w) width[i] = w;
    });
  }
  const out = rows.map((row) => row
    .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, width[i]! - displayWidth(firstLine(cell))))))
    .join(GLUE)
    .replace(/\s+$/, ''));
  return `${out.join('\n')}\n`;
}

/** A table with a header row and its dashed underline. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return columns([header, header.map((h) => '-'.repeat(h.length)), ...rows]);
}

/** The two-column `Key / Value` table Vault prints for secrets. */
export function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  return table(['Key', 'Value'], rows);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

function displayWidth(s: string): number {
  return [...s].length;
}
