// One pass over the text for every rule keyword at once: an Aho-Corasick automaton compiled to a
// dense DFA over a small alphabet (ASCII, case-folded). The cost per character is one table lookup,
// whatever the number of rules or keywords.

export interface KeywordMatcher {
  /** Number of keywords compiled in. */
  readonly size: number;
  /**
   * Calls `onHit(state, end)` for every position where at least one keyword ends; `end` is the index
   * just past the keyword's last character. Use `keywordsAt(state)` to know which keywords ended there.
   */
  scan(text: string, onHit: (state: number, end: number) => void): void;
  /** Keyword indexes (into the list given to createKeywordMatcher) that end in this state. */
  keywordsAt(state: number): readonly number[];
  /** True when the text contains at least one keyword. */
  test(text: string): boolean;
  /**
   * The compiled automaton, for callers that inline the scan loop (a callback per hit costs more than
   * the table walk on keyword-dense text): `v = delta[s + classOfUnit[code]]`, next `s = v & ~1`, a hit
   * when `v & 1`, the state number is `s >> shift`; `states` is the state count.
   */
  readonly tables: { readonly delta: Int32Array; readonly classOfUnit: Uint8Array; readonly shift: number; readonly states: number };
}

export function createKeywordMatcher(keywordList: readonly string[]): KeywordMatcher {
  const keywords = keywordList.map((k) => k.toLowerCase());
  // Alphabet: every character used by a keyword gets a class; all other characters share class 0.
  const classOf = new Uint8Array(128);
  let classes = 1;
  for (const kw of keywords) {
    for (let i = 0; i < kw.length; i++) {
      const c = kw.charCodeAt(i);
      if (c >= 128) throw new Error(`keyword "${kw}" must be ASCII`);
      if (classOf[c] === 0) classOf[c] = classes++;
    }
  }
  for (let c = 65; c <= 90; c++) classOf[c] = classOf[c + 32]!; // fold A-Z onto a-z
  let shift = 1;
  while (1 << shift < classes) shift++;
  const width = 1 << shift;

  // Trie.
  const trie: number[][] = [new Array<number>(width).fill(-1)];
  const outputs: number[][] = [[]];
  keywords.forEach((kw, index) => {
    if (kw.length === 0) return;
    let s = 0;
    for (let i = 0; i < kw.length; i++) {
      const k = classOf[kw.charCodeAt(i)]!;
      let next = trie[s]![k]!;
      if (next === -1) {
        next = trie.length;
        trie.push(new Array<number>(width).fill(-1));
        outputs.push([]);
        trie[s]![k] = next;
      }
      s = next;
    }
    outputs[s]!.push(index);
  });

  // Breadth-first: failure links folded into a complete transition table. Entries hold the next state
  // premultiplied by the row width, with bit 0 set when that state ends a keyword (width >= 2, so the
  // low bit of a row offset is always free): one load and one test per character.
  const n = trie.length;
  const next0 = new Int32Array(n * width);
  const fail = new Int32Array(n);
  const queue: number[] = [];
  for (let k = 0; k < width; k++) {
    const nx = trie[0]![k]!;
    if (nx === -1) next0[k] = 0;
    else {
      next0[k] = nx;
      fail[nx] = 0;
      queue.push(nx);
    }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    const f = fail[s]!;
    if (outputs[f]!.length > 0) outputs[s] = [...outputs[s]!, ...outputs[f]!];
    for (let k = 0; k < width; k++) {
      const nx = trie[s]![k]!;
      if (nx === -1) next0[(s << shift) + k] = next0[(f << shift) + k]!;
      else {
        next0[(s << shift) + k] = nx;
        fail[nx] = next0[(f << shift) + k]!;
        queue.push(nx);
      }
    }
  }
  // Renumber states breadth-first so that the shallow states, where the scan spends nearly all its
  // time, sit together at the start of the table (fewer cache misses on keyword-dense text).
  const order = [0];
  const newId = new Int32Array(n).fill(-1);
  newId[0] = 0;
  for (let qi = 0; qi < order.length; qi++) {
    const s = order[qi]!;
    for (let k = 0; k < width; k++) {
      const t = next0[(s << shift) + k]!;
      if (newId[t] === -1) {
        newId[t] = order.length;
        order.push(t);
      }
    }
  }
  const delta = new Int32Array(order.length * width);
  const outputsById: number[][] = order.map((old) => outputs[old]!);
  for (let id = 0; id < order.length; id++) {
    const old = order[id]!;
    for (let k = 0; k < width; k++) {
      const target = next0[(old << shift) + k]!;
      delta[(id << shift) + k] = (newId[target]! << shift) | (outputs[target]!.length > 0 ? 1 : 0);
    }
  }
  // Every UTF-16 code unit maps to a class; non-ASCII ones to 0.
  const classOfUnit = new Uint8Array(65536);
  classOfUnit.set(classOf);

  function scan(text: string, onHit: (state: number, end: number) => void): void {
    let s = 0;
    const len = text.length;
    for (let i = 0; i < len; i++) {
      const v = delta[s + classOfUnit[text.charCodeAt(i)]!]!;
      s = v & ~1;
      if (v & 1) onHit(s >> shift, i + 1);
    }
  }

  return {
    size: keywords.length,
    tables: { delta, classOfUnit, shift, states: order.length },
    scan,
    keywordsAt: (state) => outputsById[state] ?? [],
    test(text) {
      let s = 0;
      for (let i = 0; i < text.length; i++) {
        const v = delta[s + classOfUnit[text.charCodeAt(i)]!]!;
        if (v & 1) return true;
        s = v;
      }
      return false;
    },
  };
}
