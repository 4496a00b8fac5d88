// Rules are written in the RE2/Go regex dialect that gitleaks configs use; this turns one into a
// JavaScript RegExp. Inline flag groups that V8 (Node 20) lacks are approximated by applying the flag
// to the whole pattern, which can only widen a match, never lose one.

export interface TranslatedRegex {
  source: string;
  flags: string;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  digit: '0-9',
  xdigit: '0-9a-fA-F',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  word: '\\w',
  punct: '!-\\/:-@\\[-`{-~',
  blank: ' \\t',
};

export function translateRegex(pattern: string): TranslatedRegex {
  let src = pattern;
  const flags = new Set<string>();
  // Leading flag group: (?i), (?is), (?m) …
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) if (f !== 'U') flags.add(f);
    src = src.slice(lead[0].length);
  }
  // Inline groups (?i:…) (?-i:…) (?s:…) and bare (?i) later in the pattern.
  src = src.replace(/\(\?([a-zA-Z]*)(?:-([a-zA-Z]+))?([:)])/g, (whole, on: string, _off: string | undefined, end: string) => {
    if (whole.startsWith('(?P') || whole === '(?:' ) return whole;
    for (const f of on) if (f === 'i' || f === 's' || f === 'm') flags.add(f);
    return end === ':' ? '(?:' : '';
  });
  src = src.replace(/\(\?P</g, '(?<');
  src = src.replace(/\\z/g, '$').replace(/\\A/g, '^');
  src = src.replace(/\[:(\w+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  if (/\\[pP]\{/.test(src)) flags.add('u');
  return { source: src, flags: [...flags].sort().join('') };
}

/** Compiles a rule regex; throws the engine's SyntaxError when the pattern is invalid. */
export function compileRegex(pattern: string, extraFlags = ''): RegExp {
  const t = translateRegex(pattern);
  const flags = new Set([...t.flags, ...extraFlags]);
  return new RegExp(t.source, [...flags].join(''));
}
