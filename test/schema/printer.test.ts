import { describe, expect, it } from 'vitest';
import { compileSchema, compileSchemaOrThrow } from '../../src/schema/compiler.js';
import { printExpr, printSchema } from '../../src/schema/printer.js';
import { SCHEMAS } from './fixtures.js';
import { plainSchema } from './helpers.js';

describe('printSchema round trip', () => {
  it.each(Object.entries(SCHEMAS))('%s: compile(print(compile(x))) has the same IR and hash', (_name, text) => {
    const first = compileSchema(text);
    if (!first.ok) throw new Error(JSON.stringify(first.diagnostics));
    const printed = printSchema(first.schema);
    const second = compileSchemaOrThrow(printed);
    expect(plainSchema(second)).toEqual(plainSchema(first.schema));
    expect(second.hash).toBe(first.schema.hash);
    expect(printSchema(second)).toBe(printed);
  });

  it('prints canonical text with tabs, doc comments and no redundant parentheses', () => {
    const schema = compileSchemaOrThrow(SCHEMAS['comments everywhere']!);
    expect(printSchema(schema)).toBe(
      [
        '// Users are people.',
        '// They sign in with SSO.',
        'definition user {}',
        '',
        '/**',
        ' * A document.',
        ' *',
        ' * Documents live in folders.',
        ' */',
        'definition doc {',
        '\t// who owns it',
        '\trelation owner: user',
        '\t/** who can read it */',
        '\trelation reader: user',
        '\tpermission read = reader + owner',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('hashes equal schemas equally whatever their formatting, and different ones differently', () => {
    const a = compileSchemaOrThrow('definition user {}\ndefinition doc { relation viewer: user\n permission view = (viewer) }');
    const b = compileSchemaOrThrow('definition   user{ }\n\n\ndefinition doc {\n\trelation viewer:user;permission view=viewer;\n}');
    const c = compileSchemaOrThrow('definition user {}\ndefinition doc { relation viewer: user\n permission view = viewer + nil }');
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });

  it.each([
    // Parentheses SpiceDB's precedence does not need, kept so nobody reads `a + (b & c)`:
    ['aaa + bbb & ccc', '(aaa + bbb) & ccc'],
    ['aaa + (bbb & ccc)', 'aaa + (bbb & ccc)'],
    ['aaa - bbb + ccc', 'aaa - (bbb + ccc)'],
    ['(aaa + bbb) - ccc', 'aaa + bbb - ccc'],
    ['aaa & bbb + ccc', 'aaa & (bbb + ccc)'],
    ['(aaa - bbb) + ccc', '(aaa - bbb) + ccc'],
    ['aaa - (bbb - ccc)', 'aaa - (bbb - ccc)'],
    ['(aaa - bbb) - ccc', 'aaa - bbb - ccc'],
    ['((aaa + bbb)) + (ccc + aaa)', 'aaa + bbb + ccc + aaa'],
    ['aaa & (bbb & ccc)', 'aaa & bbb & ccc'],
    ['(aaa & bbb) - ccc', 'aaa & bbb - ccc'],
    ['aaa & (bbb - ccc)', 'aaa & (bbb - ccc)'],
    ['rel.any(aaa) + rel.all(aaa)', 'rel->aaa + rel.all(aaa)'],
  ])('prints %s as %s', (input, output) => {
    const schema = compileSchemaOrThrow(
      `definition user { relation aaa: user }\ndefinition doc {\n relation aaa: user\n relation bbb: user\n relation ccc: user\n relation rel: user\n permission ppp = ${input}\n}`,
    );
    const perm = schema.definitions.get('doc')!.relations.get('ppp')!;
    if (perm.kind !== 'permission') throw new Error('not a permission');
    expect(printExpr(perm.rewrite)).toBe(output);
  });

  it('flattens unions and intersections, keeps exclusions binary and left-associative', () => {
    const schema = compileSchemaOrThrow(
      'definition user {}\ndefinition doc {\n relation aaa: user\n relation bbb: user\n relation ccc: user\n permission ppp = aaa + (bbb + ccc) - aaa - bbb\n}',
    );
    const perm = schema.definitions.get('doc')!.relations.get('ppp')!;
    expect(perm.kind === 'permission' && perm.rewrite).toEqual({
      kind: 'exclusion',
      base: {
        kind: 'exclusion',
        base: {
          kind: 'union',
          children: [
            { kind: 'computed', relation: 'aaa' },
            { kind: 'computed', relation: 'bbb' },
            { kind: 'computed', relation: 'ccc' },
          ],
        },
        subtract: { kind: 'computed', relation: 'aaa' },
      },
      subtract: { kind: 'computed', relation: 'bbb' },
    });
  });

  it('prints an empty schema as the empty string', () => {
    expect(printSchema(compileSchemaOrThrow('// nothing yet\n'))).toBe('');
  });
});
