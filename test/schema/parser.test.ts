import { describe, expect, it } from 'vitest';
import { formatExprTree } from '../../src/schema/ast.js';
import type { PermissionNode, RelationNode } from '../../src/schema/ast.js';
import { parseSchema } from '../../src/schema/parser.js';

function exprOf(expr: string): string {
  const { file, diagnostics } = parseSchema(`definition doc {\n  permission p = ${expr}\n}`);
  expect(diagnostics).toEqual([]);
  return formatExprTree((file.definitions[0]!.members[0] as PermissionNode).expr);
}

function errors(text: string): string[] {
  return parseSchema(text).diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`);
}

describe('operator precedence and associativity (SpiceDB: -> tightest, then +, then &, then - loosest)', () => {
  // Source: authzed/spicedb pkg/schemadsl/parser/parser.go `ComputeExpressionOperators` (Minus, And,
  // Plus, applied in reverse so Plus binds tightest) and the tests/associativity.zed golden, plus the
  // docs' warning that `a + b & c` is `(a + b) & c`.
  it.each([
    ['a + b & c', '((a + b) & c)'],
    ['a & b + c', '(a & (b + c))'],
    ['a - b + c', '(a - (b + c))'],
    ['a + b - c', '((a + b) - c)'],
    ['a & b - c', '((a & b) - c)'],
    ['a - b & c', '(a - (b & c))'],
    ['a - b - c', '((a - b) - c)'],
    ['a + b + c', '((a + b) + c)'],
    ['a & b & c', '((a & b) & c)'],
    ['a - (b - c)', '(a - (b - c))'],
    ['(a - b) + c', '((a - b) + c)'],
    ['a + b->c & d', '((a + b->c) & d)'],
    ['parent->view - banned', '(parent->view - banned)'],
    ['parent.any(view) + parent.all(edit)', '(parent->view + parent.all(edit))'],
    ['nil', 'nil'],
    ['a + nil', '(a + nil)'],
    ['((a))', 'a'],
  ])('%s parses as %s', (input, tree) => {
    expect(exprOf(input)).toBe(tree);
  });

  it('accepts expressions spread over several lines', () => {
    expect(exprOf('a\n    + b\n    - c')).toBe('((a + b) - c)');
  });
});

describe('parseSchema', () => {
  it('parses definitions, prefixed types, allowed subjects and doc comments', () => {
    const { file, diagnostics } = parseSchema(`
/** the org */
definition acme/eu/org {
  // members
  relation member: acme/eu/user | acme/eu/org#member | acme/eu/user:* | team#...
  permission view = member
}`);
    expect(diagnostics).toEqual([]);
    const def = file.definitions[0]!;
    expect(def.name).toBe('acme/eu/org');
    expect(def.comment).toBe('/** the org */');
    expect(def.pos).toEqual({ line: 3, column: 1 });
    const rel = def.members[0] as RelationNode;
    expect(rel.comment).toBe('// members');
    expect(rel.types.map((t) => ({ type: t.type, relation: t.relation, wildcard: t.wildcard }))).toEqual([
      { type: 'acme/eu/user', relation: undefined, wildcard: false },
      { type: 'acme/eu/org', relation: 'member', wildcard: false },
      { type: 'acme/eu/user', relation: undefined, wildcard: true },
      { type: 'team', relation: undefined, wildcard: false },
    ]);
  });

  it('accepts optional semicolons and soft keywords as names', () => {
    const { file, diagnostics } = parseSchema('definition doc { relation all: user; permission any = all; }');
    expect(diagnostics).toEqual([]);
    expect(file.definitions[0]!.members.map((m) => m.name)).toEqual(['all', 'any']);
  });

  it('reports what was expected and what was found, with line:column', () => {
    expect(errors('definition doc {\n  permission view }\n')).toEqual(['2:19: expected "=" after permission name, found "}"']);
    expect(errors('definition doc {\n  relation viewer user\n}')).toEqual([
      '2:19: expected ":" after relation name "viewer", found "user"',
    ]);
    expect(errors('definition doc {\n  permission view = viewer +\n}')).toEqual([
      '3:1: expected a relation or permission name, "nil" or "(" after "+", found "}"',
    ]);
    expect(errors('definition doc {')).toEqual(['1:17: expected "}" to close definition "doc", found end of file']);
    expect(errors('relation x: y')).toEqual(['1:1: expected "definition", "caveat" or "use" at the top level, found keyword "relation"']);
  });

  it('reports every error of a file, recovering at the next statement', () => {
    const text = [
      'definition user {}',
      'definition doc {',
      '  relation viewer: user |',
      '  permission edit viewer',
      '  relation owner: user',
      '  permission view = (viewer + owner',
      '  permission x = viewer owner',
      '}',
      'definition folder {',
      '  relation parent folder',
      '}',
    ].join('\n');
    expect(errors(text)).toEqual([
      '4:3: expected a subject type (e.g. "user" or "team#member"), found keyword "permission"',
      '4:19: expected "=" after permission name, found "viewer"',
      '7:3: expected ")" to close the "(" at 6:21, found keyword "permission"',
      '7:25: expected an operator ("+", "&", "-") or the end of permission "x", found "owner" (missing "+", "&" or "-"?)',
      '10:19: expected ":" after relation name "parent", found "folder"',
    ]);
  });

  it('refuses wildcards with a relation, arrows on parentheses and nested arrows', () => {
    expect(errors('definition d { relation r: user:*#member }')).toEqual([
      '1:34: a wildcard subject type cannot have a relation: "user:*" must not be followed by "#"',
    ]);
    expect(errors('definition d { permission p = (a)->b }')).toEqual([
      '1:34: the left side of an arrow must be a relation name, not a parenthesised expression',
    ]);
    expect(errors('definition d { permission p = a->b->c }')).toEqual([
      '1:35: nested arrows are not supported: "a->b" cannot be followed by another arrow (use an intermediate permission)',
    ]);
    expect(errors('definition d { permission p = a.some(b) }')).toEqual(['1:33: expected "any" or "all" after "a.", found "some"']);
  });

  it('parses caveats and expiration traits, then reports them as not supported', () => {
    expect(
      errors(
        [
          'use expiration',
          'caveat only_weekdays(day string) {',
          '  day != "sat" && {"a": 1}["a"] == 1',
          '}',
          'definition doc {',
          '  relation viewer: user with only_weekdays | user with expiration | team#member with only_weekdays and expiration',
          '}',
        ].join('\n'),
      ),
    ).toEqual([
      '1:1: expiration is not supported yet ("use expiration")',
      '2:1: caveats are not supported yet: remove the "caveat" definition and its uses',
      '6:30: caveats are not supported yet ("with only_weekdays")',
      '6:56: expiration is not supported yet ("with expiration")',
      '6:86: caveats are not supported yet ("with only_weekdays")',
      '6:104: expiration is not supported yet ("with expiration")',
    ]);
  });

  it('warns about, but accepts, use typechecking', () => {
    const r = parseSchema('use typechecking\ndefinition user {}');
    expect(r.diagnostics).toEqual([]);
    expect(r.warnings).toHaveLength(1);
  });

  it('refuses `use` after a definition, as SpiceDB does', () => {
    const r = parseSchema('definition user {}\nuse typechecking');
    expect(r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`)).toEqual(['2:1: "use" must come before every definition and caveat']);
  });

  it('keeps statements cut short by an error, marked incomplete', () => {
    const { file } = parseSchema('definition d {\n  permission view = viewer +\n  relation viewer: user\n}');
    const members = file.definitions[0]!.members;
    expect(members.map((m) => [m.name, m.incomplete ?? false])).toEqual([
      ['view', true],
      ['viewer', false],
    ]);
  });
});
