import { describe, expect, it } from 'vitest';
import { lex, normalizeComment } from '../../src/schema/lexer.js';

function kinds(text: string): string[] {
  return lex(text).tokens.map((t) => `${t.kind}:${t.value}`);
}

describe('lex', () => {
  it('produces identifiers, keywords and symbols with 1-based line:column', () => {
    const { tokens, diagnostics } = lex('definition doc {\n  relation viewer: user | team#member | user:*\n}');
    expect(diagnostics).toEqual([]);
    expect(tokens.map((t) => [t.kind, t.value, t.line, t.column])).toEqual([
      ['keyword', 'definition', 1, 1],
      ['ident', 'doc', 1, 12],
      ['symbol', '{', 1, 16],
      ['keyword', 'relation', 2, 3],
      ['ident', 'viewer', 2, 12],
      ['symbol', ':', 2, 18],
      ['ident', 'user', 2, 20],
      ['symbol', '|', 2, 25],
      ['ident', 'team', 2, 27],
      ['symbol', '#', 2, 31],
      ['ident', 'member', 2, 32],
      ['symbol', '|', 2, 39],
      ['ident', 'user', 2, 41],
      ['symbol', ':', 2, 45],
      ['symbol', '*', 2, 46],
      ['symbol', '}', 3, 1],
      ['eof', '', 3, 2],
    ]);
  });

  it('lexes every operator, including the two-character ones', () => {
    expect(kinds('a+b&c-d->e.any(f) = org/user ... nil')).toEqual([
      'ident:a', 'symbol:+', 'ident:b', 'symbol:&', 'ident:c', 'symbol:-', 'ident:d', 'symbol:->', 'ident:e',
      'symbol:.', 'keyword:any', 'symbol:(', 'ident:f', 'symbol:)', 'symbol:=', 'ident:org', 'symbol:/', 'ident:user',
      'symbol:...', 'keyword:nil', 'eof:',
    ]);
  });

  it('marks definition, relation, permission, caveat, use, nil, with, expiration as keywords', () => {
    for (const kw of ['definition', 'relation', 'permission', 'caveat', 'use', 'nil', 'with', 'expiration', 'all', 'any']) {
      expect(lex(kw).tokens[0]!.kind).toBe('keyword');
    }
    expect(lex('definitions').tokens[0]!.kind).toBe('ident');
  });

  it('skips // and /* */ comments', () => {
    expect(kinds('a // one\n/* two\n three */ b')).toEqual(['ident:a', 'ident:b', 'eof:']);
  });

  it('attaches the comment block directly above a token as its doc comment', () => {
    const { tokens } = lex('/** Doc\n * more\n */\ndefinition a {}');
    expect(tokens[0]!.comment).toBe('/** Doc\n* more\n*/');
    const lines = lex('// one\n// two\nrelation x');
    expect(lines.tokens[0]!.comment).toBe('// one\n// two');
  });

  it('does not take a comment separated by a blank line, or a trailing comment of the previous line', () => {
    expect(lex('// far away\n\ndefinition a {}').tokens[0]!.comment).toBeUndefined();
    const { tokens } = lex('relation a: user // trailing\nrelation b: user');
    const second = tokens.find((t) => t.value === 'relation' && t.line === 2)!;
    expect(second.comment).toBeUndefined();
  });

  it('keeps only the part of a comment run that touches the token', () => {
    const { tokens } = lex('// old\n\n// doc\ndefinition a {}');
    expect(tokens[0]!.comment).toBe('// doc');
  });

  it('reports an unterminated block comment at its start', () => {
    const { diagnostics } = lex('definition a {}\n  /* never closed');
    expect(diagnostics).toEqual([
      { line: 2, column: 3, message: 'unterminated comment: expected "*/" to close the "/*" opened here, found end of file' },
    ]);
  });

  it('reports an unterminated string', () => {
    const { diagnostics } = lex('caveat c(a int) { a == "x }');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toMatch(/unterminated string/);
  });

  it('normalises comments by trimming each line', () => {
    expect(normalizeComment('/**\n     * a  \n     */')).toBe('/**\n* a\n*/');
  });
});
