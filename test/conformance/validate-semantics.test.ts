/**
 * What `zed validate` answers where the answer is not "true" or "false", or where an older Warden
 * answered differently; each case names the SpiceDB source it follows. These files would not pass
 * `zed validate` (their point is an error or a failed entry), so they live here rather than in
 * fixtures/.
 */
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../src/schema/compiler.js';
import { runLoadedFile } from '../../src/validation/run-validation.js';
import type { FileResult } from '../../src/validation/run-validation.js';
import { parseValidationFile } from '../../src/validation/validation-file.js';

async function run(lines: string[]): Promise<FileResult> {
  return runLoadedFile(parseValidationFile(lines.join('\n'), 'f.yaml'));
}

/** `group:g0#member` holds `group:g1#member`, ... `group:g{n-1}#member` holds `group:g{n}#member`, which holds `user:end`. */
function chain(n: number): string[] {
  const rels = [`  group:g${n}#member@user:end`];
  for (let i = 0; i < n; i++) rels.push(`  group:g${i}#member@group:g${i + 1}#member`);
  return ['schema: |-', '  definition user {}', '  definition group {', '    relation member: user | group#member', '  }', 'relationships: |-', ...rels];
}

describe('zed validate semantics', () => {
  // pkg/development/assertions.go: `const maxDispatchDepth = 25`; every dispatch takes one hop and
  // one that arrives with none left fails (internal/dispatch: CheckDepth).
  it('checks get 25 dispatch hops, as zed validate gives them, not the server default of 50', async () => {
    const ok = await run([...chain(24), 'assertions:', '  assertTrue:', '    - group:g0#member@user:end']);
    expect(ok.assertions[0]).toMatchObject({ actual: 'true', ok: true });
    const deep = await run([...chain(25), 'assertions:', '  assertTrue:', '    - group:g0#member@user:end']);
    expect(deep.assertions[0]).toMatchObject({ actual: 'error', ok: false });
    expect(deep.assertions[0]!.message).toMatch(/depth/);
  });

  it('expansions for expected relations get 25 hops too', async () => {
    const expected = (n: number): string[] => ['validation:', '  group:g0#member:', ...Array.from({ length: n }, (_, i) => `    - "[group:g${i + 1}#member] is <group:g${i}#member>"`), `    - "[user:end] is <group:g${n}#member>"`];
    const ok = await run([...chain(24), ...expected(24)]);
    expect(ok.assertions[0]).toMatchObject({ actual: 'true', ok: true });
    const deep = await run([...chain(25), ...expected(25)]);
    expect(deep.assertions[0]).toMatchObject({ actual: 'error', ok: false });
  });

  // pkg/development/warningdefs.go: arrow-references-unreachable-relation and
  // permission-references-itself are lint warnings; zed's own test validates `permission view = view`
  // as "complete" (zed internal/cmd/validate_test.go, warnings_fail).
  it('loads a schema whose arrow names a relation no subject type has, and the arrow is empty', async () => {
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition team { relation member: user }',
      '  definition doc {',
      '    relation owner: user',
      '    relation team: team',
      '    permission manage = owner + team->admin',
      '  }',
      'relationships: |-',
      '  doc:1#owner@user:ona',
      '  doc:1#team@team:t',
      '  team:t#member@user:tim',
      'assertions:',
      '  assertTrue:',
      '    - doc:1#manage@user:ona',
      '  assertFalse:',
      '    - doc:1#manage@user:tim',
      'validation:',
      '  doc:1#manage:',
      '    - "[user:ona] is <doc:1#owner>"',
    ]);
    expect(r.error).toBeNull();
    expect(r.assertions.map((a) => a.ok)).toEqual([true, true, true]);
  });

  it('loads a schema with a permission that only recurses into itself; its checks run out of depth', async () => {
    expect(compileSchema('definition doc {\n  permission loop = loop\n}').ok).toBe(true);
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition doc {',
      '    relation viewer: user',
      '    permission loop = loop',
      '    permission view = viewer',
      '  }',
      'relationships: |-',
      '  doc:1#viewer@user:val',
      'assertions:',
      '  assertTrue:',
      '    - doc:1#view@user:val',
      '  assertFalse:',
      '    - doc:1#loop@user:val',
    ]);
    expect(r.error).toBeNull();
    expect(r.assertions[0]).toMatchObject({ actual: 'true', ok: true });
    expect(r.assertions[1]).toMatchObject({ actual: 'error', ok: false });
  });

  // pkg/development/assertions.go runs RunCheck -> computed.ComputeCheck -> DispatchCheck, which loads
  // the resource's definition and relation but never the subject's.
  it('an assertion whose subject type or relation the schema lacks is false, not an error', async () => {
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition doc {',
      '    relation viewer: user',
      '  }',
      'relationships: |-',
      '  doc:1#viewer@user:val',
      'assertions:',
      '  assertFalse:',
      '    - doc:1#viewer@robot:r2',
      '    - doc:1#viewer@user:val#friend',
      '    - doc:1#viewer@doc:1#nothing',
      '  assertTrue:',
      '    - doc:1#nope@user:val',
    ]);
    expect(r.assertions.map((a) => [a.actual, a.ok])).toEqual([
      ['false', true],
      ['false', true],
      ['false', true],
      ['error', false],
    ]);
  });

  // internal/graph/expand.go expands `.all()` with expandAll over one child per tupleset
  // relationship, an empty leaf for a type without the relation; internal/developmentmembership
  // refuses an intersection with no children.
  it('expands `.all()` with an empty subtree for an object whose type lacks the relation, and fails on no objects', async () => {
    const head = [
      'schema: |-',
      '  definition user {}',
      '  definition team { relation member: user }',
      '  definition squad { relation lead: user }',
      '  definition plan {',
      '    relation approver: team | squad',
      '    permission all_members = approver.all(member)',
      '  }',
      'relationships: |-',
      '  team:t#member@user:una',
      '  squad:s#lead@user:una',
      '  plan:mixed#approver@team:t',
      '  plan:mixed#approver@squad:s',
      '  plan:solo#approver@team:t',
      '  plan:none#approver@team:t',
    ];
    const r = await run([
      ...head.slice(0, -1),
      'assertions:',
      '  assertFalse:',
      '    - plan:mixed#all_members@user:una',
      '    - plan:empty#all_members@user:una',
      'validation:',
      '  plan:mixed#all_members: []',
      '  plan:solo#all_members:',
      '    - "[user:una] is <team:t#member>"',
      '  plan:empty#all_members: []',
    ]);
    expect(r.assertions.map((a) => [a.assertion, a.actual])).toEqual([
      ['plan:mixed#all_members@user:una', 'false'],
      ['plan:empty#all_members@user:una', 'false'],
      ['plan:mixed#all_members', 'true'],
      ['plan:solo#all_members', 'true'],
      ['plan:empty#all_members', 'error'],
    ]);
  });

  // pkg/development/validation.go: a line without `[subject]` and exclusions on a subject that is
  // not a wildcard are failed entries (DeveloperErrors), not a file that cannot be read.
  it('an expected-subject line without a subject, or with exclusions on a concrete subject, fails its entry', async () => {
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition doc {',
      '    relation viewer: user',
      '  }',
      'relationships: |-',
      '  doc:1#viewer@user:val',
      'validation:',
      '  doc:1#viewer:',
      '    - "user:val is <doc:1#viewer>"',
      '  doc:2#viewer:',
      '    - "[user:val - {user:bob}] is <doc:2#viewer>"',
    ]);
    expect(r.error).toBeNull();
    expect(r.assertions[0]).toMatchObject({ actual: 'false', ok: false });
    expect(r.assertions[0]!.message).toMatch(/no expected subject/);
    // doc:2 has no viewer at all: the subject is missing, which is what zed reports first.
    expect(r.assertions[1]).toMatchObject({ actual: 'false', ok: false });
    const concrete = await run([
      'schema: |-',
      '  definition user {}',
      '  definition doc {',
      '    relation viewer: user',
      '  }',
      'relationships: |-',
      '  doc:1#viewer@user:val',
      'validation:',
      '  doc:1#viewer:',
      '    - "[user:val - {user:bob}] is <doc:1#viewer>"',
    ]);
    expect(concrete.assertions[0]).toMatchObject({ actual: 'false', ok: false });
    expect(concrete.assertions[0]!.message).toMatch(/not a wildcard/);
  });

  // internal/graph/check.go runs a union's branches concurrently and, under ALLOW_SINGLE_RESULT,
  // returns the first member; `all` returns "no members" as soon as one branch is empty; both return
  // an error only when it arrives first, and a depth error needs every one of its 25 hops. Under
  // REQUIRE_ALL_RESULTS (what `all` and `difference` give their branches) a union's error always wins.
  it('a branch that runs out of depth loses to an answer found without it, whatever the order of the branches', async () => {
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition doc {',
      '    relation parent: doc',
      '    relation viewer: user',
      '    relation allowed: user',
      '    permission cycle_first = parent->cycle_first + viewer',
      '    permission cycle_last = viewer + parent->cycle_last',
      '    permission cycle_and = parent->cycle_first & viewer',
      '    permission union_in_and = (viewer + parent->union_in_and) & allowed',
      '  }',
      'relationships: |-',
      '  doc:1#parent@doc:2',
      '  doc:2#parent@doc:1',
      '  doc:1#viewer@user:ann',
      '  doc:1#allowed@user:ann',
      '  doc:2#allowed@user:ann',
      'assertions:',
      '  assertTrue:',
      '    - doc:1#cycle_first@user:ann',
      '    - doc:1#cycle_last@user:ann',
      '    - doc:1#cycle_and@user:ann',
      '    - doc:1#union_in_and@user:ann',
      '  assertFalse:',
      '    - doc:1#cycle_first@user:bob',
      '    - doc:1#cycle_last@user:bob',
      '    - doc:1#cycle_and@user:bob',
    ]);
    expect(r.assertions.map((a) => `${a.assertion} ${a.actual}`)).toEqual([
      'doc:1#cycle_first@user:ann true',
      'doc:1#cycle_last@user:ann true',
      'doc:1#cycle_and@user:ann true',
      // The union is a branch of `&`: it must run to the end, and its cycle is the answer (`allowed`
      // is not empty on doc:2, so no intersection on the way is cut short).
      'doc:1#union_in_and@user:ann error',
      'doc:1#cycle_first@user:bob error',
      'doc:1#cycle_last@user:bob error',
      // `viewer` is empty for bob: the intersection is empty whatever the cycle does.
      'doc:1#cycle_and@user:bob false',
    ]);
  });

  it('a cyclic graph with many paths to the same place fails on depth quickly', async () => {
    const started = Date.now();
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition group { relation member: user | group#member | team#member }',
      '  definition team { relation member: user | group#member | team#member }',
      'relationships: |-',
      '  group:a#member@group:a#member',
      '  group:a#member@team:t#member',
      '  team:t#member@group:a#member',
      '  team:t#member@team:t#member',
      '  team:t#member@user:yes',
      'assertions:',
      '  assertTrue:',
      '    - group:a#member@user:yes',
      '  assertFalse:',
      '    - group:a#member@user:nobody',
    ]);
    expect(r.assertions.map((a) => a.actual)).toEqual(['true', 'error']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  // pkg/util BaseSubjectSet: subtracting `* - {x}` from a set holding both `*` and a concrete `x`
  // keeps `x` through unionConcrete, which merges the relations of both sources.
  it('a concrete subject kept by a wildcard-minus-wildcard keeps the relations of both sources', async () => {
    const r = await run([
      'schema: |-',
      '  definition user {}',
      '  definition doc {',
      '    relation pub: user:*',
      '    relation named: user',
      '    relation blocked: user:*',
      '    relation unblocked: user',
      '    permission base = pub + named',
      '    permission blocked_now = blocked - unblocked',
      '    permission view = base - blocked_now',
      '  }',
      'relationships: |-',
      '  doc:1#pub@user:*',
      '  doc:1#named@user:xia',
      '  doc:1#blocked@user:*',
      '  doc:1#unblocked@user:xia',
      'validation:',
      '  doc:1#view:',
      '    - "[user:xia] is <doc:1#named>/<doc:1#unblocked>"',
    ]);
    expect(r.assertions[0]).toMatchObject({ ok: true });
  });
});
