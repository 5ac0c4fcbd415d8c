/**
 * Lexer for SpiceDB's schema language. Produces tokens with 1-based line:column and attaches doc
 * comments (the block of comments directly above a token) so the parser can keep them on definitions,
 * relations and permissions. Whitespace, newlines and other comments are dropped: unlike SpiceDB we do
 * not need newlines as statement terminators because every statement starts with a keyword.
 */
import type { Diagnostic } from '../core/errors.js';

export type TokenKind = 'ident' | 'keyword' | 'symbol' | 'number' | 'string' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The text of the token (for `eof`, the empty string). */
  readonly value: string;
  readonly line: number;
  readonly column: number;
  /** Line on which the token ends (strings and identifiers never span lines, but keep it explicit). */
  readonly endLine: number;
  /** The doc comment directly above this token, normalised (see normalizeComment), if any. */
  readonly comment?: string;
}

/**
 * Words the lexer marks as keywords. `HARD_KEYWORDS` can never be used as a name; the others are
 * contextual (SpiceDB reserves them, but they only mean something in one position), so the parser
 * accepts them as names to load more existing schemas.
 */
export const HARD_KEYWORDS: ReadonlySet<string> = new Set(['definition', 'relation', 'permission', 'caveat', 'nil']);
export const SOFT_KEYWORDS: ReadonlySet<string> = new Set(['use', 'with', 'expiration', 'and', 'any', 'all', 'import', 'from', 'partial']);

// Longest first, so `->` wins over `-` and `...` over `.`.
const MULTI_CHAR_SYMBOLS = ['...', '->'];

export interface LexResult {
  readonly tokens: Token[];
  readonly diagnostics: Diagnostic[];
}

interface RawComment {
  readonly text: string;
  readonly line: number;
  readonly endLine: number;
}

export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  let pos = 0;
  let line = 1;
  let col = 1;
  let pending: RawComment[] = [];
  // The line on which the previous token ended: a comment that starts there is a trailing comment of
  // that statement, not a doc comment of the next one.
  let prevTokenEndLine = 0;

  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (text[pos] === '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
      pos++;
    }
  };

  const push = (kind: TokenKind, value: string, startLine: number, startCol: number): void => {
    const comment = docComment(pending, startLine, prevTokenEndLine);
    tokens.push({ kind, value, line: startLine, column: startCol, endLine: line, ...(comment !== undefined ? { comment } : {}) });
    pending = [];
    prevTokenEndLine = line;
  };

  while (pos < text.length) {
    const ch = text[pos]!;
    const startLine = line;
    const startCol = col;

    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\f' || ch === '\v') {
      advance(1);
      continue;
    }

    if (ch === '/' && text[pos + 1] === '/') {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const body = text.slice(pos, end);
      advance(end - pos);
      pending.push({ text: body, line: startLine, endLine: startLine });
      continue;
    }

    if (ch === '/' && text[pos + 1] === '*') {
      const end = text.indexOf('*/', pos + 2);
      if (end < 0) {
        diagnostics.push({
          line: startLine,
          column: startCol,
          message: 'unterminated comment: expected "*/" to close the "/*" opened here, found end of file',
        });
        advance(text.length - pos);
        break;
      }
      const body = text.slice(pos, end + 2);
      advance(end + 2 - pos);
      pending.push({ text: body, line: startLine, endLine: line });
      continue;
    }

    if (isIdentStart(ch)) {
      let end = pos + 1;
      while (end < text.length && isIdentPart(text[end]!)) end++;
      const word = text.slice(pos, end);
      advance(end - pos);
      push(HARD_KEYWORDS.has(word) || SOFT_KEYWORDS.has(word) ? 'keyword' : 'ident', word, startLine, startCol);
      continue;
    }

    if (ch >= '0' && ch <= '9') {
      // Numbers only appear inside caveat bodies, which the parser skips; lex them loosely.
      let end = pos + 1;
      while (end < text.length && (isIdentPart(text[end]!) || text[end] === '.')) end++;
      const word = text.slice(pos, end);
      advance(end - pos);
      push('number', word, startLine, startCol);
      continue;
    }

    if (ch === '"' || ch === "'") {
      let end = pos + 1;
      while (end < text.length && text[end] !== ch && text[end] !== '\n') {
        end += text[end] === '\\' ? 2 : 1;
      }
      if (end >= text.length || text[end] !== ch) {
        diagnostics.push({ line: startLine, column: startCol, message: `unterminated string: expected closing ${ch} before end of line` });
        advance(Math.min(end, text.length) - pos);
        continue;
      }
      const word = text.slice(pos, end + 1);
      advance(end + 1 - pos);
      push('string', word, startLine, startCol);
      continue;
    }

    const multi = MULTI_CHAR_SYMBOLS.find((s) => text.startsWith(s, pos));
    const sym = multi ?? ch;
    advance(sym.length);
    push('symbol', sym, startLine, startCol);
  }

  tokens.push({ kind: 'eof', value: '', line, column: col, endLine: line });
  return { tokens, diagnostics };
}

/**
 * The doc comment of a token at `tokenLine`: the run of comments ending on the line above it (or on
 * its own line, before it), each comment directly below the previous one. A blank line breaks the run,
 * so a commented-out block further up is not taken as documentation.
 */
function docComment(comments: readonly RawComment[], tokenLine: number, prevTokenEndLine: number): string | undefined {
  const block: RawComment[] = [];
  let expectEndAtOrAfter = tokenLine - 1;
  for (let k = comments.length - 1; k >= 0; k--) {
    const c = comments[k]!;
    if (c.endLine < expectEndAtOrAfter) break;
    if (c.line === prevTokenEndLine) break;
    block.unshift(c);
    expectEndAtOrAfter = c.line - 1;
  }
  if (block.length === 0) return undefined;
  return block.map((c) => normalizeComment(c.text)).join('\n');
}

/**
 * Comments are stored with every line trimmed, so that re-indenting them when printing and parsing the
 * result again gives the same text (the printer's round trip must be the identity).
 */
export function normalizeComment(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .join('\n');
}

function isIdentStart(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_';
}

function isIdentPart(ch: string): boolean {
  return isIdentStart(ch) || (ch >= '0' && ch <= '9');
}

/** How a token is named in "found ..." messages. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  return t.kind === 'keyword' ? `keyword "${t.value}"` : `"${t.value}"`;
}
