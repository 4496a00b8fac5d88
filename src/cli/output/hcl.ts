// Canonical formatting of HCL policy files for `coffer policy fmt`: two-space indentation, `=`
// aligned across consecutive attributes, a blank line around blocks, scalar lists on one line.
// The text is parsed with src/lib/hcl.ts (so a malformed file is rejected, never rewritten), and
// comments are kept: they are found by a small scanner that skips strings and heredocs, and put
// back before the item that follows them (a comment on an attribute's line stays at its end).
import { parseHCL, type HclBlock, type HclBody, type HclValue } from '../../lib/hcl.js';

interface Comment {
  line: number;
  text: string;
  /** True when code precedes the comment on its line. */
  trailing: boolean;
  used: boolean;
}

interface Scan {
  comments: Comment[];
  /** Line of each `{` (in source order) → line of its matching `}`. */
  braces: { open: number; close: number }[];
}

/** Finds comments and brace pairs, skipping strings and heredocs. The input is already known to parse. */
function scan(src: string): Scan {
  const comments: Comment[] = [];
  const braces: { open: number; close: number }[] = [];
  const stack: number[] = [];
  let line = 1;
  let codeOnLine = false;
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') { line++; codeOnLine = false; i++; continue; }
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') { if (src[i] === '\\') i++; else if (src[i] === '\n') line++; i++; }
      i++;
      codeOnLine = true;
      continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)[^\n]*\n/.exec(src.slice(i));
      if (m) {
        i += m[0].length;
        line++;
        for (;;) {
          const end = src.indexOf('\n', i);
          const text = src.slice(i, end < 0 ? src.length : end);
          if (text.trim() === m[1]) { i = end < 0 ? src.length : end; break; }
          if (end < 0) { i = src.length; break; }
          i = end + 1;
          line++;
        }
        codeOnLine = true;
        continue;
      }
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      const end = src.indexOf('\n', i);
      const text = src.slice(i, end < 0 ? src.length : end).replace(/\s+$/, '');
      comments.push({ line, text, trailing: codeOnLine, used: false });
      i = end < 0 ? src.length : end;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const text = src.slice(i, end < 0 ? src.length : end + 2);
      comments.push({ line, text, trailing: codeOnLine, used: false });
      line += (text.match(/\n/g) ?? []).length;
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    if (c === '{') stack.push(braces.push({ open: line, close: line }) - 1);
    else if (c === '}') { const k = stack.pop(); if (k !== undefined) braces[k]!.close = line; }
    if (c !== ' ' && c !== '\t' && c !== '\r') codeOnLine = true;
    i++;
  }
  return { comments, braces };
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function quote(s: string): string {
  return JSON.stringify(s);
}

function isScalar(v: HclValue): boolean {
  return v === null || typeof v !== 'object';
}

function formatValue(v: HclValue, indent: string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') {
    if (v.includes('\n') && !v.split('\n').some((l) => l.trim() === 'EOT')) return `<<EOT\n${v.endsWith('\n') ? v : `${v}\n`}EOT`;
    return quote(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.every(isScalar)) return `[${v.map((x) => formatValue(x, indent)).join(', ')}]`;
    return `[\n${v.map((x) => `${inner}${formatValue(x, inner)},`).join('\n')}\n${indent}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  const width = Math.max(...keys.map((k) => quote(k).length));
  return `{\n${keys.map((k) => `${inner}${quote(k).padEnd(width)} = ${formatValue(v[k]!, inner)}`).join('\n')}\n${indent}}`;
}

type Item = { kind: 'attr'; key: string; value: HclValue; line: number } | { kind: 'block'; block: HclBlock; line: number };

interface Out {
  kind: 'attr' | 'other' | 'blank';
  indent: string;
  key?: string;
  value?: string;
  trailing?: string;
  text?: string;
}

function formatBody(body: HclBody, indent: string, from: number, to: number, s: Scan, out: Out[]): void {
  const items: Item[] = [
    ...Object.keys(body.attributes).map((key): Item => ({ kind: 'attr', key, value: body.attributes[key]!, line: body.attributeLines[key] ?? 0 })),
    ...body.blocks.map((block): Item => ({ kind: 'block', block, line: block.line })),
  ].sort((a, b) => a.line - b.line);
  const pending = (upTo: number) => s.comments.filter((c) => !c.used && c.line >= from && c.line < upTo);
  let prev: Item['kind'] | undefined;
  for (const item of items) {
    const lead = pending(item.line);
    if (prev !== undefined && (item.kind === 'block' || prev === 'block')) out.push({ kind: 'blank', indent });
    for (const c of lead) { c.used = true; out.push({ kind: 'other', indent, text: c.text }); }
    if (item.kind === 'attr') {
      const value = formatValue(item.value, indent);
      const trailing = s.comments.find((c) => !c.used && c.trailing && c.line === item.line && !value.includes('\n'));
      if (trailing) trailing.used = true;
      out.push({ kind: 'attr', indent, key: IDENT.test(item.key) ? item.key : quote(item.key), value, trailing: trailing?.text });
    } else {
      const b = item.block;
      const pair = s.braces.find((p) => p.open >= b.line);
      const end = pair?.close ?? b.line;
      const header = [IDENT.test(b.type) ? b.type : quote(b.type), ...b.labels.map(quote)].join(' ');
      const headerComment = s.comments.find((c) => !c.used && c.trailing && c.line === b.line);
      if (headerComment) headerComment.used = true;
      out.push({ kind: 'other', indent, text: `${header} {${headerComment ? ` ${headerComment.text}` : ''}` });
      formatBody(b.body, `${indent}  `, b.line + 1, end + 1, s, out);
      out.push({ kind: 'other', indent, text: '}' });
      for (const c of s.comments) if (!c.used && c.line === end && c.trailing) c.used = true;
    }
    prev = item.kind;
  }
  for (const c of pending(to)) { c.used = true; out.push({ kind: 'other', indent, text: c.text }); }
}

/** Formats HCL text canonically. Throws HclSyntaxError (with line and column) if it does not parse. */
export function formatHcl(source: string): string {
  const body = parseHCL(source);
  const s = scan(source);
  const out: Out[] = [];
  formatBody(body, '', 1, Number.MAX_SAFE_INTEGER, s, out);
  for (const c of s.comments) if (!c.used) out.push({ kind: 'other', indent: '', text: c.text });
  const lines: string[] = [];
  for (let i = 0; i < out.length;) {
    const o = out[i]!;
    if (o.kind !== 'attr') {
      lines.push(o.kind === 'blank' ? '' : `${o.indent}${o.text}`);
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && out[j]!.kind === 'attr' && out[j]!.indent === o.indent && !out[j]!.value!.includes('\n')) j++;
    const run = out.slice(i, Math.max(j, i + 1));
    const width = Math.max(...run.map((r) => r.key!.length));
    for (const r of run) {
      const pad = r.value!.includes('\n') ? r.key! : r.key!.padEnd(width);
      lines.push(`${r.indent}${pad} = ${r.value}${r.trailing ? ` ${r.trailing}` : ''}`);
    }
    i += run.length;
  }
  return `${lines.join('\n').replace(/^\n+/, '')}\n`;
}
