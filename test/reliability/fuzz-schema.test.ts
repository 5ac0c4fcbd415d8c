/**
 * Schema text from users is untrusted: whatever it is, compileSchema must come back (never throw) with
 * either a schema or diagnostics that point into the text (line and column from 1) and say something.
 * Inputs: valid schemas with character and token edits, and text built from the language's tokens.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/core/errors.js';
import { compileSchema } from '../../src/schema/compiler.js';
import { MAX_EXPR_NESTING, MAX_EXPR_OPERATORS } from '../../src/schema/parser.js';
import { SCHEMAS } from '../schema/fixtures.js';
import { mutatedArb } from './support/mutate.js';

const RUNS = Number(process.env.WARDEN_FUZZ_RUNS ?? 400);
const GOLDEN = new URL('../schema/golden/', import.meta.url);

const CORPUS = [
  ...Object.values(SCHEMAS),
  ...readdirSync(GOLDEN)
    .filter((f) => f.endsWith('.zed'))
    .map((f) => readFileSync(new URL(f, GOLDEN), 'utf8')),
  readFileSync(new URL('../../examples/workspace/schema.zed', import.meta.url), 'utf8'),
];

const CHARS = [...'{}()[]:|#@*+-&>=/.,;"\'`\\ \t\n\r_aAzZ09$~!?<%^', '\u0000', '\u00e9', '\u200b', '\ud83d\ude00'];
const TOKENS = [
  'definition', 'relation', 'permission', 'caveat', 'use', 'with', 'expiration', 'nil', 'import', 'partial',
  'user', 'team', 'doc', 'viewer', 'member', 'parent', 'x', 'a'.repeat(70), '_bad', 'Upper',
  '{', '}', '(', ')', ':', '|', '#', '*', '+', '-', '&', '->', '.', '...', '=', '//', '/*', '/**', '*/', '\n', ' ',
  'user:*', 'team#member', 'parent->view', 'any', 'all', '.any(', '.all(', '"', '0x1',
];

/** Where the diagnostics may point: a line of the text (or the line after its end) and a column within it. */
function checkDiagnostic(text: string, d: Diagnostic): void {
  expect(Number.isInteger(d.line) && d.line >= 1, `line ${d.line} of ${JSON.stringify(d)}`).toBe(true);
  expect(Number.isInteger(d.column) && d.column >= 1, `column ${d.column} of ${JSON.stringify(d)}`).toBe(true);
  expect(typeof d.message === 'string' && d.message.trim().length > 0, `message of ${JSON.stringify(d)}`).toBe(true);
  const lines = text.split(/\r\n|\r|\n/);
  expect(d.line, `line of ${JSON.stringify(d)} beyond the text's ${lines.length} lines`).toBeLessThanOrEqual(lines.length + 1);
}

function checkCompiles(text: string): void {
  let result;
  try {
    result = compileSchema(text);
  } catch (e) {
    const shown = text.length > 300 ? `${JSON.stringify(text.slice(0, 300))}... (${text.length} characters)` : JSON.stringify(text);
    throw new Error(`compileSchema threw on ${shown}: ${(e as Error).stack ?? String(e)}`);
  }
  if (result.ok) {
    expect(result.schema.definitions).toBeInstanceOf(Map);
    for (const w of result.warnings ?? []) checkDiagnostic(text, w);
  } else {
    expect(result.diagnostics.length, `no diagnostics for ${JSON.stringify(text)}`).toBeGreaterThan(0);
    for (const d of result.diagnostics) checkDiagnostic(text, d);
  }
}

describe('compileSchema on untrusted text', () => {
  it('every seed of the corpus compiles or is diagnosed (sanity of the corpus)', () => {
    for (const text of CORPUS) checkCompiles(text);
  });

  it('mutated valid schemas: never throws, diagnostics point into the text', () => {
    fc.assert(
      fc.property(mutatedArb(CORPUS, CHARS, TOKENS), (text) => checkCompiles(text)),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('text made of the language tokens in random order: never throws', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS, ' ', ' ', '\n'), { maxLength: 120 }).map((ts) => ts.join(''));
    fc.assert(
      fc.property(soup, (text) => checkCompiles(text)),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('arbitrary strings (any code points, lone surrogates, NUL): never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => checkCompiles(text)),
      { numRuns: RUNS },
    );
  }, 20_000);

  // Found by this file: thousands of nested "(" or chained operators overflowed the call stack in the
  // parser and type checker (WriteSchema answered 500). Now bounded by a diagnostic at the parser.
  it('deep nesting and long operator chains are diagnosed, not a stack overflow; the bounds themselves compile', () => {
    const schema = (expr: string) => `definition user {}\ndefinition doc {\n relation viewer: user\n relation banned: user\n permission view = ${expr}\n}\n`;
    const nested = (n: number) => schema(`${'('.repeat(n)}viewer${')'.repeat(n)}`);
    const chain = (op: string, n: number) => schema(`viewer${` ${op} banned`.repeat(n)}`);
    for (const text of [nested(MAX_EXPR_NESTING), chain('-', MAX_EXPR_OPERATORS), chain('+', MAX_EXPR_OPERATORS)]) {
      const r = compileSchema(text);
      expect(r.ok, JSON.stringify(r.ok ? '' : r.diagnostics)).toBe(true);
    }
    const refused = [
      nested(MAX_EXPR_NESTING + 1),
      nested(5_000),
      schema(`${'viewer - ('.repeat(5_000)}banned${')'.repeat(5_000)}`),
      schema('('.repeat(100_000)),
      chain('-', MAX_EXPR_OPERATORS + 1),
      chain('&', 20_000),
      chain('+', 100_000),
    ];
    for (const text of refused) {
      checkCompiles(text);
      const r = compileSchema(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(/parentheses deep|operators in one permission/);
    }
  }, 20_000);
});
