/**
 * Mutation-based fuzzing input: a valid text with a few character- and token-level edits. Edits are
 * data (positions taken modulo the current length), so fast-check can shrink a failing case to the
 * fewest and smallest edits of the shortest seed text.
 */
import fc from 'fast-check';

export type Edit =
  | { op: 'deleteChar'; at: number }
  | { op: 'insertChar'; at: number; text: string }
  | { op: 'swapChars'; at: number }
  | { op: 'deleteRange'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'deleteToken'; at: number }
  | { op: 'insertToken'; at: number; text: string }
  | { op: 'replaceToken'; at: number; text: string }
  | { op: 'duplicateToken'; at: number }
  | { op: 'swapTokens'; at: number; other: number };

// Words, runs of blanks, and the multi-character operators of both grammars stay whole.
const TOKEN_RE = /[A-Za-z0-9_]+|\s+|->|\/\*\*?|\*\/|\/\/|\.\.\.|[\s\S]/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN_RE) ?? [];
}

function splice<T>(xs: readonly T[], at: number, remove: number, ...insert: T[]): T[] {
  return [...xs.slice(0, at), ...insert, ...xs.slice(at + remove)];
}

export function applyEdit(text: string, e: Edit): string {
  // Code points, not UTF-16 units, so that an edit never splits a surrogate pair by itself.
  const chars = [...text];
  const n = chars.length;
  switch (e.op) {
    case 'deleteChar':
      return n === 0 ? text : splice(chars, e.at % n, 1).join('');
    case 'insertChar':
      return splice(chars, e.at % (n + 1), 0, e.text).join('');
    case 'swapChars': {
      if (n < 2) return text;
      const i = e.at % (n - 1);
      return splice(chars, i, 2, chars[i + 1]!, chars[i]!).join('');
    }
    case 'deleteRange':
      return n === 0 ? text : splice(chars, e.at % n, e.length).join('');
    case 'truncate':
      return chars.slice(0, e.at % (n + 1)).join('');
  }
  const tokens = tokenize(text);
  const m = tokens.length;
  switch (e.op) {
    case 'deleteToken':
      return m === 0 ? text : splice(tokens, e.at % m, 1).join('');
    case 'insertToken':
      return splice(tokens, e.at % (m + 1), 0, e.text).join('');
    case 'replaceToken':
      return m === 0 ? e.text : splice(tokens, e.at % m, 1, e.text).join('');
    case 'duplicateToken':
      return m === 0 ? text : splice(tokens, e.at % m, 0, tokens[e.at % m]!).join('');
    case 'swapTokens': {
      if (m < 2) return text;
      const i = e.at % m;
      const j = e.other % m;
      const out = [...tokens];
      [out[i], out[j]] = [out[j]!, out[i]!];
      return out.join('');
    }
  }
}

/** One edit, drawing inserted characters and tokens from the grammar's own alphabet and vocabulary. */
export function editArb(chars: readonly string[], tokens: readonly string[]): fc.Arbitrary<Edit> {
  const at = fc.nat({ max: 100_000 });
  // Mostly the grammar's own characters, sometimes anything (control characters, astral code points).
  const char = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...chars) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) });
  const token = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  return fc.oneof(
    fc.record({ op: fc.constant('deleteChar' as const), at }),
    fc.record({ op: fc.constant('insertChar' as const), at, text: char }),
    fc.record({ op: fc.constant('swapChars' as const), at }),
    fc.record({ op: fc.constant('deleteRange' as const), at, length: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ op: fc.constant('truncate' as const), at }),
    fc.record({ op: fc.constant('deleteToken' as const), at }),
    fc.record({ op: fc.constant('insertToken' as const), at, text: token }),
    fc.record({ op: fc.constant('replaceToken' as const), at, text: token }),
    fc.record({ op: fc.constant('duplicateToken' as const), at }),
    fc.record({ op: fc.constant('swapTokens' as const), at, other: at }),
  );
}

/** A seed text from `corpus` with 1 to `maxEdits` edits applied. */
export function mutatedArb(corpus: readonly string[], chars: readonly string[], tokens: readonly string[], maxEdits = 6): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...corpus), fc.array(editArb(chars, tokens), { minLength: 1, maxLength: maxEdits }))
    .map(([seed, edits]) => edits.reduce(applyEdit, seed));
}
