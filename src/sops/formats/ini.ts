// INI store (spec §3.3), reading and writing the dialect sops gets from gopkg.in/ini.v1: every
// top-level item is a section, values are strings, `=` aligned per section, `"""…"""` for values with
// newlines or backticks, backticks for values with `#`/`;`, double quotes for edge spaces, comments
// written as `; text`. Metadata is a last `[sops]` section with flattened keys and `\n` escapes.

import { ExitCode, ParseError, SopsError } from '../errors.js';
import { type Branch, type Document, type Item, type TreeValue, branch, comment, formatFloatG, isBranch, isComment } from '../tree.js';
import { type MetaObject, type Store, flattenMeta, unflattenMeta, utf8Decode, utf8Encode } from './store.js';

const DEFAULT_SECTION = 'DEFAULT';

function unquote(raw: string, lines: string[], state: { i: number }): string {
  if (raw.startsWith('"""')) {
    const rest = raw.slice(3);
    const end = rest.indexOf('"""');
    if (end >= 0) return rest.slice(0, end);
    const parts = [rest];
    while (++state.i < lines.length) {
      const l = lines[state.i]!;
      const e = l.indexOf('"""');
      if (e >= 0) {
        parts.push(l.slice(0, e));
        return parts.join('\n');
      }
      parts.push(l);
    }
    throw new ParseError('Error unmarshalling input ini: unterminated """ value');
  }
  if (raw.length >= 2 && raw.startsWith('`') && raw.endsWith('`')) return raw.slice(1, -1);
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  // Inline comment: `;` or `#` preceded by white space.
  const m = /\s[;#]/.exec(raw);
  return (m ? raw.slice(0, m.index) : raw).trim();
}

function parseIni(text: string): { name: string; comments: string[]; items: Item[] }[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const sections: { name: string; comments: string[]; items: Item[] }[] = [{ name: DEFAULT_SECTION, comments: [], items: [] }];
  let pendingComments: string[] = [];
  const state = { i: 0 };
  for (; state.i < lines.length; state.i++) {
    const line = lines[state.i]!.trim();
    if (line === '') continue;
    if (line.startsWith(';') || line.startsWith('#')) {
      pendingComments.push(line.replace(/^[;#]+\s*/, ''));
      continue;
    }
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) throw new ParseError(`Error unmarshalling input ini: unclosed section at line ${state.i + 1}`);
      sections.push({ name: line.slice(1, end).trim(), comments: pendingComments, items: [] });
      pendingComments = [];
      continue;
    }
    const m = /^([^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!m || m[1] === '') throw new ParseError(`Error unmarshalling input ini: key-value delimiter not found at line ${state.i + 1}`);
    let key = m[1]!;
    if (key.length >= 2 && (key.startsWith('`') || key.startsWith('"')) && key.endsWith(key[0]!)) key = key.slice(1, -1);
    const value = unquote(m[2]!, lines, state);
    const section = sections[sections.length - 1]!;
    const existing = section.items.findIndex((it) => it.key === key);
    const commentItems = pendingComments.map((c) => ({ key: comment(c), value: null }));
    pendingComments = [];
    if (existing >= 0) section.items.splice(existing, 1);
    section.items.push(...commentItems, { key, value });
  }
  return sections;
}

function sectionsToDocument(sections: ReturnType<typeof parseIni>): Document {
  const items: Item[] = [];
  for (const s of sections) {
    if (s.name === DEFAULT_SECTION && s.items.length === 0 && s.comments.length === 0) continue;
    items.push({ key: s.name, value: branch([...s.comments.map((c) => ({ key: comment(c), value: null })), ...s.items]) });
  }
  return [branch(items)];
}

function iniValueText(key: string, v: TreeValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (Array.isArray(v) || isBranch(v)) throw new SopsError(ExitCode.errorDumpingTree, `Error dumping file: cannot use complex value in ini file; offending key: ${key}`);
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': return formatFloatG(v.value);
    case 'time': return v.value;
    case 'comment': return v.value;
  }
}

function quoteValue(val: string): string {
  if (val.includes('\n') || val.includes('`')) return `"""${val}"""`;
  if (/[#;]/.test(val)) return `\`${val}\``;
  if (val.trim() !== val) return `"${val}"`;
  return val;
}

function emitSection(name: string, b: Branch, withHeader: boolean): string {
  const keys = b.items.filter((it) => typeof it.key === 'string').map((it) => it.key as string);
  const width = Math.max(0, ...keys.map((k) => k.length));
  let head = '';
  let body = '';
  let seenKey = false;
  for (const it of b.items) {
    if (isComment(it.key)) {
      // Comments before the first key are the section's comment, written above its header.
      if (!seenKey) head += `; ${it.key.value}\n`;
      else body += `; ${it.key.value}\n`;
      continue;
    }
    seenKey = true;
    body += `${it.key.padEnd(width)} = ${quoteValue(iniValueText(it.key, it.value))}\n`;
  }
  return head + (withHeader ? `[${name}]\n` : '') + body;
}

export function createIniStore(): Store {
  const toSections = (doc: Document): string[] => {
    const out: string[] = [];
    // Keys of the DEFAULT section have no header, so they must come before any other section.
    const items = [...(doc[0]?.items ?? [])].sort((a, b) => Number(b.key === DEFAULT_SECTION) - Number(a.key === DEFAULT_SECTION));
    for (const it of items) {
      if (isComment(it.key)) continue;
      if (!isBranch(it.value)) {
        throw new SopsError(ExitCode.errorDumpingTree, `Error dumping file: ini files need sections; top-level key ${it.key} is not a mapping`);
      }
      out.push(emitSection(it.key, it.value, it.key !== DEFAULT_SECTION));
    }
    return out;
  };
  return {
    format: 'ini',
    parse(bytes) {
      return sectionsToDocument(parseIni(utf8Decode(bytes, 'ini')));
    },
    parseEncrypted(bytes) {
      const sections = parseIni(utf8Decode(bytes, 'ini'));
      const idx = sections.findIndex((s) => s.name === 'sops');
      let meta: MetaObject | null = null;
      if (idx >= 0) {
        const [s] = sections.splice(idx, 1);
        const entries = s!.items
          .filter((it) => typeof it.key === 'string')
          .map((it) => [it.key as string, (it.value as string).replace(/\\n/g, '\n')] as [string, string]);
        meta = unflattenMeta(entries);
      }
      return { doc: sectionsToDocument(sections), meta };
    },
    emit(doc, meta?: MetaObject) {
      const parts = toSections(doc);
      if (meta) {
        const entries = flattenMeta(meta);
        const width = Math.max(...entries.map(([k]) => k.length));
        parts.push(`[sops]\n${entries.map(([k, v]) => `${k.padEnd(width)} = ${v.replace(/\n/g, '\\n')}\n`).join('')}`);
      }
      return utf8Encode(parts.join('\n'));
    },
    emitValue(value) {
      return utf8Encode(`${iniValueText('value', value)}\n`);
    },
    hasMetadata(doc) {
      return doc.some((b) => b.items.some((it) => it.key === 'sops'));
    },
  };
}
