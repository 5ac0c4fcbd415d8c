import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../src/schema/compiler.js';

/** Diagnostics of a schema that must fail, as `line:column: message`. */
function errorsOf(text: string): string[] {
  const r = compileSchema(text);
  if (r.ok) throw new Error('expected the schema to be refused');
  return r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`);
}

function warningsOf(text: string): string[] {
  const r = compileSchema(text);
  if (!r.ok) throw new Error(`expected the schema to compile: ${JSON.stringify(r.diagnostics)}`);
  return (r.warnings ?? []).map((d) => `${d.line}:${d.column}: ${d.message}`);
}

const lines = (...ls: string[]): string => ls.join('\n');

describe('type checking', () => {
  it('accepts a realistic schema', () => {
    expect(
      warningsOf(
        lines(
          'definition user {}',
          'definition team {',
          '  relation member: user | team#member',
          '}',
          'definition folder {',
          '  relation parent: folder',
          '  relation viewer: user | team#member | user:*',
          '  permission view = viewer + parent->view',
          '}',
          'definition doc {',
          '  relation folder: folder',
          '  relation banned: user',
          '  permission view = folder->view - banned',
          '  permission strict = folder.all(view)',
          '}',
        ),
      ),
    ).toEqual([]);
  });

  it('reports unknown types and relations in allowed subjects', () => {
    expect(
      errorsOf(
        lines('definition user {}', 'definition team {}', 'definition doc {', '  relation viewer: usr | team#member | user:*', '}'),
      ),
    ).toEqual([
      '4:20: unknown definition "usr" in the allowed subject types of "doc#viewer"',
      '4:31: relation or permission "member" not found on definition "team" (in the allowed subject types of "doc#viewer")',
    ]);
  });

  it('reports unknown names in expressions', () => {
    expect(errorsOf(lines('definition user {}', 'definition doc {', '  relation viewer: user', '  permission view = viewer + editor', '}'))).toEqual([
      '4:30: relation or permission "editor" not found on definition "doc" (in permission "view")',
    ]);
  });

  it('reports duplicate definitions, relations and permissions, and relation/permission clashes', () => {
    expect(
      errorsOf(
        lines(
          'definition user {}',
          'definition user {}',
          'definition doc {',
          '  relation viewer: user',
          '  relation viewer: user',
          '  permission view = viewer',
          '  permission view = viewer',
          '  permission viewer = view',
          '}',
        ),
      ),
    ).toEqual([
      '2:12: duplicate definition "user" (first defined at 1:12)',
      '5:12: duplicate relation "viewer" in definition "doc" (first defined at 4:12): relation and permission names must be unique',
      '7:14: duplicate permission "view" in definition "doc" (first defined at 6:14): relation and permission names must be unique',
      '8:14: "viewer" is defined both as a relation and as a permission in definition "doc" (first defined at 4:12): relation and permission names must be unique',
    ]);
  });

  it('reports a duplicate allowed subject type', () => {
    expect(errorsOf(lines('definition user {}', 'definition doc {', '  relation viewer: user | user', '}'))).toEqual([
      '3:27: duplicate allowed subject type "user" on relation "doc#viewer"',
    ]);
  });

  it('requires the left side of an arrow to be a relation of this definition', () => {
    expect(
      errorsOf(
        lines(
          'definition user {}',
          'definition doc {',
          '  relation owner: user',
          '  permission admin = owner',
          '  permission view = admin->view',
          '  permission edit = parent->edit',
          '}',
        ),
      ),
    ).toEqual([
      '5:21: the left side of an arrow must be a relation, but "admin" is a permission on definition "doc" (in "admin->view" of permission "view")',
      '6:21: relation "parent" not found on definition "doc" (left side of "parent->edit" in permission "edit")',
    ]);
  });

  it('requires the right side of an arrow to exist on at least one subject type', () => {
    const schema = (right: string): string =>
      lines(
        'definition user {}',
        'definition org { relation admin: user }',
        'definition team { relation member: user }',
        'definition doc {',
        '  relation owner: org | team',
        `  permission manage = owner->${right}`,
        '}',
      );
    expect(warningsOf(schema('admin'))).toEqual([]);
    expect(warningsOf(schema('member'))).toEqual([]);
    // SpiceDB only lints this (arrow-references-unreachable-relation): the schema loads, the arrow is empty.
    expect(warningsOf(schema('viewer'))).toEqual([
      '6:30: "viewer" is not a relation or permission on any subject type of "doc#owner" (org, team), in "owner->viewer" of permission "manage": the arrow is always empty',
    ]);
  });

  it('refuses arrows over relations that allow a wildcard, directly or transitively', () => {
    expect(
      errorsOf(
        lines(
          'definition user { relation friend: user }',
          'definition doc {',
          '  relation parent: user | user:*',
          '  permission view = parent->friend',
          '}',
        ),
      ),
    ).toEqual([
      '4:21: "doc#parent" includes the wildcard "user:*" via "doc#parent": wildcard relations cannot be used on the left side of an arrow (in permission "view")',
    ]);
  });

  it('refuses subject sets that bring a wildcard in transitively', () => {
    expect(
      errorsOf(
        lines(
          'definition user {}',
          'definition group { relation member: user:* }',
          'definition doc { relation viewer: group#member }',
        ),
      ),
    ).toEqual([
      '3:35: subject type "group#member" on "doc#viewer" includes the wildcard "user:*" via "group#member": wildcards cannot be included transitively',
    ]);
  });

  it('allows wildcards only as a bare allowed subject', () => {
    expect(errorsOf('definition user {}\ndefinition doc { relation viewer: user:*#member }')[0]).toMatch(
      /^2:41: a wildcard subject type cannot have a relation/,
    );
  });

  it('reports invalid names per the relationship rules', () => {
    expect(errorsOf(lines('definition User {}', 'definition doc {', '  relation vw: User', '  permission view_ = vw', '}'))).toEqual([
      '1:12: invalid definition name "User": each "/"-separated part must be lower-case letters, digits and "_", 3 to 64 characters, starting with a letter and not ending with "_"',
      '3:12: invalid relation name "vw" in definition "doc": a name must be lower-case letters, digits and "_", 3 to 64 characters, starting with a letter and not ending with "_"',
      '4:14: invalid permission name "view_" in definition "doc": a name must be lower-case letters, digits and "_", 3 to 64 characters, starting with a letter and not ending with "_"',
    ]);
  });

  it('reports a relation with no allowed types', () => {
    expect(errorsOf(lines('definition doc {', '  relation viewer:', '  permission view = viewer', '}'))).toEqual([
      '2:12: relation "doc#viewer" has no allowed subject types: at least one is required (e.g. "relation viewer: user")',
    ]);
  });

  it.each([
    ['permission loop = loop', 'loop -> loop'],
    ['permission loop = loop + loop', 'loop -> loop'],
    ['permission loop = viewer & loop', 'loop -> loop'],
    ['permission loop = loop - viewer', 'loop -> loop'],
  ])('warns about, but accepts (as SpiceDB does), a permission that can only recurse into itself: %s', (perm, cycle) => {
    const schema = lines('definition user {}', 'definition doc {', '  relation viewer: user', `  ${perm}`, '}');
    expect(warningsOf(schema)).toEqual([
      `4:14: permission "doc#loop" can only recurse into itself (${cycle}): every check of it will exceed the depth limit; add a relation or an arrow`,
    ]);
  });

  it('warns about permissions that only alias each other', () => {
    const schema = lines('definition doc {', '  permission aaa = bbb', '  permission bbb = aaa', '}');
    expect(warningsOf(schema)).toEqual([
      '2:14: permission "doc#aaa" can only recurse into itself (aaa -> bbb -> aaa): every check of it will exceed the depth limit; add a relation or an arrow',
      '3:14: permission "doc#bbb" can only recurse into itself (bbb -> aaa -> bbb): every check of it will exceed the depth limit; add a relation or an arrow',
    ]);
  });

  it('warns about, but accepts, a same-object cycle that can still finish', () => {
    expect(warningsOf(lines('definition user {}', 'definition doc {', '  relation viewer: user', '  permission view = viewer + view', '}'))).toEqual([
      '4:14: permission "doc#view" refers to itself on the same object (view -> view): a check that finds no subject will exceed the depth limit',
    ]);
  });

  it('accepts recursion through arrows and nil', () => {
    expect(
      warningsOf(lines('definition folder {', '  relation parent: folder', '  permission view = parent->view', '  permission none = nil', '}')),
    ).toEqual([]);
  });

  it('reports syntax and type errors of one file together', () => {
    expect(
      errorsOf(lines('definition user {}', 'definition doc {', '  relation viewer: usr', '  permission view = viewer +', '  permission edit = view', '}')),
    ).toEqual([
      '3:20: unknown definition "usr" in the allowed subject types of "doc#viewer"',
      '5:3: expected a relation or permission name, "nil" or "(" after "+", found keyword "permission"',
    ]);
  });
});
