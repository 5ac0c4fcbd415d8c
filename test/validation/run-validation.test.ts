import { describe, expect, it } from 'vitest';
import { parseValidationFile } from '../../src/validation/validation-file.js';
import { runLoadedFile, runValidationFile } from '../../src/validation/run-validation.js';
import type { FileResult, RunOptions } from '../../src/validation/run-validation.js';

const SCHEMA = `definition user {}

definition group {
    relation member: user | group#member
}

definition document {
    relation viewer: user | user:* | group#member
    relation banned: user
    relation approved: user
    relation blocked: user | user:*
    permission view = viewer - banned
    permission approved_view = viewer & approved
    permission banned_viewer = viewer - view
}`;

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? '' : `  ${l}`))
    .join('\n');
}

/** A validation file from its parts; `rest` is the YAML after the relationships block. */
function yaml(relationships: string[], rest: string[]): string {
  return ['schema: |-', indent(SCHEMA), 'relationships: |-', ...relationships.map((r) => `  ${r}`), ...rest].join('\n');
}

async function run(text: string, options: RunOptions = {}): Promise<FileResult> {
  return runLoadedFile(parseValidationFile(text, 'f.yaml'), options);
}

const RELS = [
  'document:1#viewer@user:alice',
  'document:1#viewer@group:eng#member',
  'document:1#banned@user:mallory',
  'document:1#approved@user:bob',
  'group:eng#member@user:bob',
  'group:eng#member@user:mallory',
  'document:2#viewer@user:*',
  'document:2#banned@user:mallory',
];

describe('runLoadedFile: assertions', () => {
  it('passes when every assertion holds', async () => {
    const r = await run(
      yaml(RELS, [
        'assertions:',
        '  assertTrue:',
        '    - document:1#view@user:alice',
        '    - document:1#view@user:bob',
        '    - document:2#view@user:anyone',
        '    - document:1#approved_view@user:bob',
        '  assertFalse:',
        '    - document:1#view@user:mallory',
        '    - document:2#view@user:mallory',
        '    - document:1#approved_view@user:alice',
      ]),
    );
    expect(r.error).toBeNull();
    expect(r.assertions.map((a) => [a.assertion, a.expected, a.actual, a.ok])).toEqual([
      ['document:1#view@user:alice', 'true', 'true', true],
      ['document:1#view@user:bob', 'true', 'true', true],
      ['document:2#view@user:anyone', 'true', 'true', true],
      ['document:1#approved_view@user:bob', 'true', 'true', true],
      ['document:1#view@user:mallory', 'false', 'false', true],
      ['document:2#view@user:mallory', 'false', 'false', true],
      ['document:1#approved_view@user:alice', 'false', 'false', true],
    ]);
  });

  it('names each failure with expected and actual, and where it is written', async () => {
    const r = await run(yaml(RELS, ['assertions:', '  assertTrue:', '    - document:1#view@user:mallory', '  assertFalse:', '    - document:1#view@user:alice']));
    expect(r.assertions).toMatchObject([
      { assertion: 'document:1#view@user:mallory', expected: 'true', actual: 'false', ok: false, message: 'expected true, got false' },
      { assertion: 'document:1#view@user:alice', expected: 'false', actual: 'true', ok: false },
    ]);
    expect(r.assertions[0]!.position).toEqual({ file: 'f.yaml', line: 28, column: 7 });
  });

  it('reports an engine error (max depth) as actual error, never as false', async () => {
    const cyclic = ['group:a#member@group:b#member', 'group:b#member@group:a#member', 'document:1#viewer@group:a#member'];
    const r = await run(yaml(cyclic, ['assertions:', '  assertFalse:', '    - document:1#view@user:nobody']), { maxDepth: 10 });
    expect(r.error).toBeNull();
    expect(r.assertions[0]).toMatchObject({ expected: 'false', actual: 'error', ok: false });
    expect(r.assertions[0]!.message).toMatch(/max depth/);
  });

  it('reports an assertion on an unknown permission as an error of that assertion', async () => {
    const r = await run(yaml(RELS, ['assertions:', '  assertTrue:', '    - document:1#nope@user:alice', '    - document:1#view@user:alice']));
    expect(r.assertions[0]).toMatchObject({ actual: 'error', ok: false });
    expect(r.assertions[0]!.message).toMatch(/nope/);
    expect(r.assertions[1]).toMatchObject({ actual: 'true', ok: true });
  });

  // A loaded file has no caveats, so, as in SpiceDB's development check, a context changes nothing
  // and no answer is ever caveated.
  it('answers assertions with a caveat context, and fails assertCaveated with the plain answer', async () => {
    const r = await run(
      yaml(RELS, ['assertions:', '  assertTrue:', `    - 'document:1#view@user:alice with {"day": 1}'`, '  assertCaveated:', '    - document:1#view@user:alice']),
    );
    expect(r.assertions).toMatchObject([
      { expected: 'true', actual: 'true', ok: true },
      { expected: 'caveated', actual: 'true', ok: false },
    ]);
    expect(r.assertions[1]!.message).toMatch(/caveats are not supported yet/);
  });

  it('refuses a relationship the schema does not allow, naming it and its line', async () => {
    const r = await run(yaml(['document:1#viewer@user:alice', 'document:1#banned@group:eng#member'], []));
    expect(r.error).toMatch(/^f\.yaml:19:3: .*document:1#banned@group:eng#member/);
    expect(r.assertions).toEqual([]);
  });

  it('reports a file that cannot be read or parsed as its error, not as an exception', async () => {
    const r = await runValidationFile('/nonexistent/dir/v.yaml');
    expect(r).toMatchObject({ file: '/nonexistent/dir/v.yaml', assertions: [] });
    expect(r.error).toMatch(/^\/nonexistent\/dir\/v\.yaml:1:1: cannot read the file/);
  });
});

describe('runLoadedFile: expected relations (validation)', () => {
  const expectOne = async (key: string, lines: string[], rels: string[] = RELS): Promise<FileResult['assertions'][number]> => {
    const r = await run(yaml(rels, ['validation:', `  ${key}:`, ...lines.map((l) => `    - "${l}"`)]));
    expect(r.error).toBeNull();
    expect(r.assertions).toHaveLength(1);
    return r.assertions[0]!;
  };

  it('passes when the subjects, usersets included, and their granting relations match', async () => {
    const a = await expectOne('document:1#viewer', [
      '[user:alice] is <document:1#viewer>',
      '[group:eng#member] is <document:1#viewer>',
      '[user:bob] is <group:eng#member>',
      '[user:mallory] is <group:eng#member>',
    ]);
    expect(a).toMatchObject({ assertion: 'document:1#viewer', expected: 'true', actual: 'true', ok: true });
  });

  it('applies exclusions, and keeps a wildcard with the ids it excludes', async () => {
    expect(
      await expectOne('document:1#view', ['[user:alice] is <document:1#viewer>', '[group:eng#member] is <document:1#viewer>', '[user:bob] is <group:eng#member>']),
    ).toMatchObject({ ok: true });
    expect(await expectOne('document:2#view', ['[user:* - {user:mallory}] is <document:2#viewer>'])).toMatchObject({ ok: true });
    const wrong = await expectOne('document:2#view', ['[user:*] is <document:2#viewer>']);
    expect(wrong).toMatchObject({ ok: false, actual: 'false' });
    expect(wrong.message).toMatch(/excludes \{user:mallory\}, not \{\}/);
  });

  it('applies intersections, keeping the relations of both sides', async () => {
    expect(await expectOne('document:1#approved_view', ['[user:bob] is <document:1#approved>/<group:eng#member>'])).toMatchObject({ ok: true });
  });

  it('a subject meeting a wildcard in an intersection keeps only its own relations (as SpiceDB)', async () => {
    const rels = ['document:2#viewer@user:*', 'document:2#approved@user:bob'];
    expect(await expectOne('document:2#approved_view', ['[user:bob] is <document:2#approved>'], rels)).toMatchObject({ ok: true });
  });

  it('a wildcard minus a wildcard leaves the subjects the second one excludes, found where they were subtracted', async () => {
    // viewer = {*}; view = {* - mallory}; viewer - view = {mallory}, who was subtracted from <document:2#banned>.
    const rels = ['document:2#viewer@user:*', 'document:2#banned@user:mallory'];
    expect(await expectOne('document:2#banned_viewer', ['[user:mallory] is <document:2#banned>'], rels)).toMatchObject({ ok: true });
    // and nothing at all when the second wildcard excludes nobody
    expect(await expectOne('document:3#banned_viewer', [], ['document:3#viewer@user:*'])).toMatchObject({ ok: true });
  });

  it('fails on a missing subject, naming it', async () => {
    const a = await expectOne('document:1#view', [
      '[user:alice] is <document:1#viewer>',
      '[user:carol] is <document:1#viewer>',
      '[group:eng#member] is <document:1#viewer>',
      '[user:bob] is <group:eng#member>',
    ]);
    expect(a).toMatchObject({ expected: 'true', actual: 'false', ok: false });
    expect(a.message).toMatch(/missing expected subject `user:carol`/);
  });

  it('fails on a subject found but not written', async () => {
    const a = await expectOne('document:1#view', ['[user:alice] is <document:1#viewer>', '[group:eng#member] is <document:1#viewer>']);
    expect(a.message).toMatch(/subject `user:bob` found but not expected, granted by <group:eng#member>/);
  });

  it('fails when a subject is written with the wrong granting relation', async () => {
    const a = await expectOne('document:1#viewer', [
      '[user:alice] is <document:1#banned>',
      '[group:eng#member] is <document:1#viewer>',
      '[user:bob] is <group:eng#member>',
      '[user:mallory] is <group:eng#member>',
    ]);
    expect(a.message).toMatch(/subject `user:alice` is granted by <document:1#viewer>, not <document:1#banned>/);
  });

  it('an empty expectation means no subject at all', async () => {
    expect(await expectOne('document:3#view', [])).toMatchObject({ ok: true });
    const r = await run(yaml(RELS, ['validation:', '  document:2#banned: []']));
    expect(r.assertions[0]).toMatchObject({ ok: false });
    expect(r.assertions[0]!.message).toMatch(/`user:mallory` found but not expected/);
  });

  it('a caveated expected subject fails: caveats are not supported', async () => {
    const a = await expectOne('document:1#banned', ['[user:mallory[...]] is <document:1#banned>']);
    expect(a.message).toMatch(/caveats are not supported/);
  });

  it('an expansion through a cycle is an error', async () => {
    const cyclic = ['group:a#member@group:b#member', 'group:b#member@group:a#member'];
    const r = await run(yaml(cyclic, ['validation:', '  group:a#member: []']), { maxDepth: 8 });
    expect(r.assertions[0]).toMatchObject({ actual: 'error', ok: false });
    expect(r.assertions[0]!.message).toMatch(/max depth/);
  });
});
