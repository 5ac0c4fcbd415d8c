import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationFileError, loadValidationFile, parseValidationFile } from '../../src/validation/validation-file.js';

const SCHEMA = `definition user {}

definition document {
    relation viewer: user | user:*
    relation banned: user
    permission view = viewer - banned
}`;

/** Indents a block so it can sit under a `key: |-` line. */
function block(text: string, indent = 2): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? '' : ' '.repeat(indent) + l))
    .join('\n');
}

function fail(text: string, files: Record<string, string> = {}): ValidationFileError {
  try {
    parseValidationFile(text, 'f.yaml', { readFile: (p) => readFrom(files, p) });
  } catch (e) {
    if (e instanceof ValidationFileError) return e;
    throw e;
  }
  throw new Error('expected a ValidationFileError');
}

function readFrom(files: Record<string, string>, path: string): string {
  for (const [name, text] of Object.entries(files)) if (path.endsWith(`/${name}`)) return text;
  throw new Error(`ENOENT: ${path}`);
}

describe('parseValidationFile: a good file', () => {
  const text = [
    'schema: |-',
    block(SCHEMA),
    'relationships: |-',
    '  // who may read',
    '  document:1#viewer@user:alice',
    '',
    '  document:1#banned@user:mallory',
    '  document:2#viewer@user:*',
    'assertions:',
    '  assertTrue:',
    '    - document:1#view@user:alice',
    '  assertFalse:',
    '    - document:1#view@user:bob',
    '  assertCaveated:',
    '    - \'document:1#view@user:alice with {"ip": "10.0.0.1"}\'',
    'validation:',
    '  document:1#view:',
    '    - "[user:alice] is <document:1#viewer>"',
    '  document:2#view:',
    '    - "[user:* - {user:x, user:y}] is <document:2#viewer>"',
    '  document:3#view: []',
  ].join('\n');
  const file = parseValidationFile(text, 'f.yaml');

  it('compiles the schema', () => {
    expect([...file.schema.definitions.keys()]).toEqual(['user', 'document']);
    expect(file.schemaText).toBe(SCHEMA);
  });

  it('reads one relationship a line, skipping comments and blank lines, with its line and column', () => {
    expect(file.relationships.map((r) => [r.text, r.position.line, r.position.column])).toEqual([
      ['document:1#viewer@user:alice', 11, 3],
      ['document:1#banned@user:mallory', 13, 3],
      ['document:2#viewer@user:*', 14, 3],
    ]);
  });

  it('reads assertions of each kind with their positions and caveat context', () => {
    expect(file.assertions.map((a) => [a.kind, a.text, a.position.line])).toEqual([
      ['assertTrue', 'document:1#view@user:alice', 17],
      ['assertFalse', 'document:1#view@user:bob', 19],
      ['assertCaveated', 'document:1#view@user:alice with {"ip": "10.0.0.1"}', 21],
    ]);
    expect(file.assertions[2]!.caveatContext).toBe('{"ip": "10.0.0.1"}');
    expect(file.assertions[0]!.relationship.subject).toEqual({ type: 'user', id: 'alice' });
  });

  it('reads expected subjects, wildcard exceptions and granting relations', () => {
    expect(file.validation.map((v) => v.key)).toEqual(['document:1#view', 'document:2#view', 'document:3#view']);
    const [first, second, third] = file.validation;
    expect(first!.subjects[0]!.subject).toEqual({ type: 'user', id: 'alice' });
    expect(first!.subjects[0]!.grantedBy).toEqual([{ type: 'document', id: '1', relation: 'viewer' }]);
    expect(second!.subjects[0]!.subject).toEqual({ type: 'user', id: '*' });
    expect(second!.subjects[0]!.exceptions).toEqual([
      { type: 'user', id: 'x' },
      { type: 'user', id: 'y' },
    ]);
    expect(third!.subjects).toEqual([]);
  });

  it('accepts the assertions and validation blocks given as strings of YAML (older files)', () => {
    const old = [
      'schema: |-',
      block(SCHEMA),
      'assertions: |-',
      '  assertTrue:',
      '    - document:1#view@user:alice',
      '  assertFalse: []',
      'validation: |-',
      '  document:1#view:',
      '    - "[user:alice] is <document:1#viewer>"',
    ].join('\n');
    const f = parseValidationFile(old, 'old.yaml');
    expect(f.assertions.map((a) => [a.text, a.position.line, a.position.column])).toEqual([['document:1#view@user:alice', 11, 7]]);
    expect(f.validation[0]!.subjects[0]!.position.line).toBe(15);
  });

  it('accepts `#...` on object subjects in expected subjects', () => {
    const f = parseValidationFile(['schema: |-', block(SCHEMA), 'validation:', '  document:1#view:', '    - "[user:alice#...] is <document:1#viewer>"'].join('\n'), 'f.yaml');
    expect(f.validation[0]!.subjects[0]!.subject).toEqual({ type: 'user', id: 'alice' });
  });
});

describe('parseValidationFile: schemaFile', () => {
  it('reads the schema file relative to the YAML file', () => {
    let asked = '';
    const f = parseValidationFile('schemaFile: schema.zed\n', 'dir/f.yaml', {
      readFile: (p) => {
        asked = p;
        return SCHEMA;
      },
    });
    expect(asked.endsWith('/dir/schema.zed')).toBe(true);
    expect(f.schema.definitions.has('document')).toBe(true);
  });

  it('reports schema errors at their line and column in the schema file', () => {
    const e = fail('schemaFile: schema.zed\n', { 'schema.zed': 'definition user {}\ndefinition doc {\n  relation viewer: usr\n}\n' });
    expect(e.position).toMatchObject({ file: 'schema.zed', line: 3 });
    expect(e.message).toMatch(/^schema\.zed:3:\d+: invalid schema/);
    expect(e.message).toContain('usr');
  });

  it('refuses a schema file outside the YAML file\'s directory', () => {
    expect(fail('schemaFile: ../secret.zed\n').message).toMatch(/^f\.yaml:1:13: schema file `\.\.\/secret\.zed` is not local/);
    expect(fail('schemaFile: /etc/passwd\n').message).toMatch(/is not local/);
  });

  it('reports a missing schema file', () => {
    expect(fail('schemaFile: missing.zed\n').message).toMatch(/^f\.yaml:1:13: cannot read schema file `missing\.zed`/);
  });

  it('loads from disk (loadValidationFile)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-vf-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'schema.zed'), SCHEMA);
      writeFileSync(join(dir, 'sub', 'v.yaml'), 'schemaFile: schema.zed\nrelationships: |-\n  document:1#viewer@user:alice\n');
      const f = loadValidationFile(join(dir, 'sub', 'v.yaml'));
      expect(f.relationships).toHaveLength(1);
      expect(() => loadValidationFile(join(dir, 'nope.yaml'))).toThrow(/nope\.yaml:1:1: cannot read the file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseValidationFile: bad files name file:line:column and what is wrong', () => {
  const head = ['schema: |-', block(SCHEMA)];

  it('invalid YAML', () => {
    const e = fail('schema: [\nrelationships: x\n');
    expect(e.message).toMatch(/^f\.yaml:\d+:\d+: invalid YAML/);
  });

  it('an empty file, or not a map', () => {
    expect(fail('').message).toMatch(/^f\.yaml:1:1: the file is empty/);
    expect(fail('- a\n- b\n').message).toMatch(/^f\.yaml:1:1: expected a map/);
  });

  it('an inline schema error, at its line in the YAML file', () => {
    const e = fail(['schema: |-', '  definition user {}', '', '  definition doc {', '      relation viewer: usr', '  }'].join('\n'));
    // `usr` is on line 5 of the YAML file, at column 24 (4 spaces of schema indentation + 2 of YAML).
    expect(e.position).toEqual({ file: 'f.yaml', line: 5, column: 24 });
    expect(e.message).toMatch(/^f\.yaml:5:24: invalid schema:\n {2}f\.yaml:5:24: .*usr/);
  });

  it('a quoted inline schema error points at the value, and says why', () => {
    const e = fail('schema: "definition user {"\n');
    expect(e.message).toMatch(/^f\.yaml:1:9: invalid schema \(positions are those of the `schema` value/);
  });

  it('no schema, or both schema and schemaFile', () => {
    expect(fail('relationships: ""\n').message).toMatch(/^f\.yaml:1:1: no schema/);
    expect(fail([...head, 'schemaFile: x.zed'].join('\n')).message).toMatch(/^f\.yaml:9:1: only one of `schema` and `schemaFile`/);
  });

  it('ignores unknown top-level keys, as zed does', () => {
    const file = parseValidationFile([...head, 'extra_key:', '  anything: []', 'assertions:', '  assertTrue: []'].join('\n'), 'f.yaml');
    expect(file.schema.definitions.has('document')).toBe(true);
  });

  it('legacy blocks', () => {
    expect(fail("validation_tuples:\n  - 'foo'\n").message).toMatch(/^f\.yaml:1:1: relationships must be given in `relationships`/);
    expect(fail('namespace_configs: []\n').message).toMatch(/definitions must be given in `schema`/);
  });

  it('a relationship that does not parse, at its own line', () => {
    const e = fail([...head, 'relationships: |-', '  document:1#viewer@user:alice', '  // fine', '    document:1#viewer@alice'].join('\n'));
    expect(e.position).toEqual({ file: 'f.yaml', line: 12, column: 5 });
    expect(e.message).toContain('document:1#viewer@alice');
  });

  it('a repeated relationship', () => {
    const e = fail([...head, 'relationships: |-', '  document:1#viewer@user:alice', '  document:1#viewer@user:alice'].join('\n'));
    expect(e.message).toMatch(/^f\.yaml:11:3: repeated relationship `document:1#viewer@user:alice` \(first given at line 10\)/);
  });

  it('relationships given as a list instead of a string', () => {
    expect(fail([...head, 'relationships:', '  - document:1#viewer@user:alice'].join('\n')).message).toMatch(/^f\.yaml:10:3: `relationships` must be a string/);
  });

  it('an assertion that does not parse', () => {
    const e = fail([...head, 'assertions:', '  assertTrue:', '    - document:1#view@user:alice', '    - document:1#view'].join('\n'));
    expect(e.message).toMatch(/^f\.yaml:12:7: invalid assertTrue entry: .*document:1#view/);
  });

  it('a non-list of assertions (an unknown key is ignored, as zed ignores it)', () => {
    expect(parseValidationFile([...head, 'assertions:', '  assertTrues:', '    - nope'].join('\n'), 'f.yaml').assertions).toEqual([]);
    expect(fail([...head, 'assertions:', '  assertTrue: document:1#view@user:a'].join('\n')).message).toMatch(/^f\.yaml:10:15: `assertTrue` must be a list/);
  });

  it('a wildcard assertion subject, and a caveat context that is not a JSON object', () => {
    expect(fail([...head, 'assertions:', '  assertTrue:', '    - document:1#view@user:*'].join('\n')).message).toMatch(/^f\.yaml:11:7: .*wildcard/);
    expect(fail([...head, 'assertions:', '  assertTrue:', "    - 'document:1#view@user:a with nope'"].join('\n')).message).toMatch(/^f\.yaml:11:7: invalid caveat context/);
  });

  it('an error inside an assertions string is placed in the outer file', () => {
    const e = fail([...head, 'assertions: |-', '  assertTrue:', '    - document:1#view@user:alice', '    - nope'].join('\n'));
    expect(e.message).toMatch(/^f\.yaml:12:7: invalid assertTrue entry/);
  });

  it('a bad validation key, a bad subject, a bad resource and relation', () => {
    expect(fail([...head, 'validation:', '  document:1:', '    - "[user:a] is <document:1#viewer>"'].join('\n')).message).toMatch(/^f\.yaml:10:3: invalid validation key `document:1`/);
    expect(fail([...head, 'validation:', '  document:1#view:', '    - "[a b] is <document:1#viewer>"'].join('\n')).message).toMatch(/^f\.yaml:11:7: invalid subject `a b`/);
    expect(fail([...head, 'validation:', '  document:1#view:', '    - "[user:a] is <document:1>"'].join('\n')).message).toMatch(/^f\.yaml:11:7: invalid resource and relation `<document:1>`/);
  });

  it('duplicate validation keys', () => {
    const e = fail([...head, 'validation:', '  document:1#view: []', '  document:1#view: []'].join('\n'));
    expect(e.message).toMatch(/^f\.yaml:11:3: invalid YAML/);
  });
});
