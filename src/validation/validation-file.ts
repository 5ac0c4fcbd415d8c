/**
 * Loads SpiceDB validation files (the YAML that `zed validate` and the SpiceDB playground read):
 *
 *   schema: |-            (or schemaFile: path relative to this file; exactly one of the two)
 *     definition user {}
 *   relationships: |-     one relationship a line; blank lines and `//` comments allowed
 *     document:1#viewer@user:alice
 *   assertions:           (a map, or in older files a string holding the same YAML)
 *     assertTrue:  [document:1#view@user:alice]
 *     assertFalse: [document:1#view@user:bob]
 *     assertCaveated: []  (entries may carry ` with {context}`; caveats are not supported yet)
 *   validation:           expected subjects per `resource#relation`; see expected-relations.ts
 *     document:1#view: ["[user:alice] is <document:1#viewer>"]
 *
 * Everything that is wrong with the file is a ValidationFileError naming file:line:column, so a user
 * can jump to it; positions inside the `schema` and `relationships` strings are mapped back to the YAML
 * file when those are block literals (`|`), which is how every real file writes them.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode, Scalar } from 'yaml';
import { InvalidArgumentError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import { formatRelationship, parseRelationship } from '../core/refs.js';
import type { Relationship } from '../core/refs.js';
import { compileSchema } from '../schema/compiler.js';
import type { CompiledSchema } from '../schema/compiled.js';
import { parseExpectedRelation } from './expected-relations.js';
import type { ExpectedRelation } from './expected-relations.js';

/** 1-based line and column in some file (the YAML file unless said otherwise). */
export interface FilePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A validation file that is malformed or does not load: always names where. */
export class ValidationFileError extends InvalidArgumentError {
  readonly position: FilePosition;
  constructor(position: FilePosition, message: string) {
    super(`${formatPosition(position)}: ${message}`, 'VALIDATION_FILE_INVALID');
    this.position = position;
  }
}

export function formatPosition(p: FilePosition): string {
  return `${p.file}:${p.line}:${p.column}`;
}

export type AssertionKind = 'assertTrue' | 'assertFalse' | 'assertCaveated';

export interface AssertionEntry {
  readonly kind: AssertionKind;
  /** The entry as written (trimmed), caveat context included. */
  readonly text: string;
  readonly relationship: Relationship;
  /** The ` with {...}` caveat context, verbatim; caveats are not supported, so such entries fail. */
  readonly caveatContext?: string;
  readonly position: FilePosition;
}

export interface RelationshipLine {
  readonly relationship: Relationship;
  readonly text: string;
  readonly position: FilePosition;
}

export interface ValidationFile {
  /** The path as given by the caller. */
  readonly path: string;
  readonly schemaText: string;
  readonly schema: CompiledSchema;
  readonly relationships: readonly RelationshipLine[];
  readonly assertions: readonly AssertionEntry[];
  readonly validation: readonly ExpectedRelation[];
}

export interface LoadOptions {
  /** Reads a schemaFile; defaults to the file system. Tests pass a map. */
  readonly readFile?: (path: string) => string;
}

const KNOWN_KEYS = new Set(['schema', 'schemaFile', 'relationships', 'assertions', 'validation']);
const ASSERTION_KINDS: readonly AssertionKind[] = ['assertTrue', 'assertFalse', 'assertCaveated'];

/** Reads and parses `path`. Throws ValidationFileError for anything wrong with it. */
export function loadValidationFile(path: string, options: LoadOptions = {}): ValidationFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValidationFileError({ file: path, line: 1, column: 1 }, `cannot read the file: ${errorText(e)}`);
  }
  return parseValidationFile(text, path, options);
}

/**
 * Maps positions inside a YAML string value to the file. Exact for block literals (`|`), whose lines
 * are the file's lines; other scalar styles fold or escape their text, so positions there point at
 * the start of the value.
 */
class ScalarSource {
  private constructor(
    readonly file: string,
    private readonly firstLine: number,
    private readonly indent: number,
    private readonly start: { line: number; column: number },
    readonly exact: boolean,
  ) {}

  static of(file: string, node: Scalar, text: string, lc: LineCounter): ScalarSource {
    const start = lc.linePos(node.range?.[0] ?? 0);
    const startPos = { line: start.line, column: start.col };
    if (node.type !== 'BLOCK_LITERAL' || !node.range) return new ScalarSource(file, startPos.line, 0, startPos, false);
    // The header (`|-`) sits on the line of range[0]; the content starts on the next line, indented
    // by the indentation of its first non-blank line.
    const headerEnd = text.indexOf('\n', node.range[0]);
    let indent = 0;
    if (headerEnd >= 0) {
      const body = text.slice(headerEnd + 1, node.range[1]);
      const firstContent = body.split('\n').find((l) => l.trim() !== '');
      if (firstContent !== undefined) indent = firstContent.length - firstContent.trimStart().length;
    }
    return new ScalarSource(file, startPos.line + 1, indent, startPos, true);
  }

  /** The file position of 1-based `line`, `column` inside the value. */
  at(line: number, column: number): FilePosition {
    if (!this.exact) return { file: this.file, line: this.start.line, column: this.start.column };
    return { file: this.file, line: this.firstLine + line - 1, column: this.indent + column };
  }
}

/** Parses the text of a validation file. `path` names it in errors and anchors `schemaFile`. */
export function parseValidationFile(text: string, path: string, options: LoadOptions = {}): ValidationFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number | undefined): FilePosition => {
    const p = lc.linePos(offset ?? 0);
    return { file: path, line: p.line, column: p.col };
  };
  const first = doc.errors[0];
  if (first) throw new ValidationFileError(pos(first.pos[0]), `invalid YAML: ${first.message}`);

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    throw new ValidationFileError(pos(0), 'the file is empty: expected a map with `schema` or `schemaFile`, `relationships` and `assertions`');
  }
  if (!isMap(root)) throw new ValidationFileError(pos(nodeStart(root)), 'expected a map with `schema` or `schemaFile`, `relationships` and `assertions` at the top level');

  const blocks = new Map<string, { key: YamlNode; value: YamlNode | null }>();
  for (const pair of root.items) {
    const key = pair.key as YamlNode | null;
    const name = isScalar(key) ? String(key.value) : '';
    const at = pos(nodeStart(key));
    if (name === 'namespace_configs') throw new ValidationFileError(at, 'definitions must be given in `schema` (`namespace_configs` is no longer supported)');
    if (name === 'validation_tuples' || name === 'relation_tuples') {
      throw new ValidationFileError(at, `relationships must be given in \`relationships\` (\`${name}\` is no longer supported)`);
    }
    // Other top-level keys are ignored, as zed ignores them, so files written for newer SpiceDB tooling
    // still load; a file with no assertions at all is reported by the runner instead.
    if (!KNOWN_KEYS.has(name)) continue;
    blocks.set(name, { key: key as YamlNode, value: (pair.value as YamlNode | null) ?? null });
  }

  const { schemaText, schema } = loadSchema(text, path, lc, blocks, pos, options);
  const relationships = parseRelationshipsBlock(text, path, lc, blocks.get('relationships')?.value ?? null);
  const assertions = parseAssertionsBlock(text, path, lc, blocks.get('assertions')?.value ?? null);
  const validation = parseValidationBlock(text, path, lc, blocks.get('validation')?.value ?? null);
  return { path, schemaText, schema, relationships, assertions, validation };
}

type Blocks = Map<string, { key: YamlNode; value: YamlNode | null }>;

function loadSchema(
  text: string,
  path: string,
  lc: LineCounter,
  blocks: Blocks,
  pos: (offset: number | undefined) => FilePosition,
  options: LoadOptions,
): { schemaText: string; schema: CompiledSchema } {
  const inline = blocks.get('schema');
  const fileRef = blocks.get('schemaFile');
  const inlineGiven = inline !== undefined && !isEmpty(inline.value);
  const fileGiven = fileRef !== undefined && !isEmpty(fileRef.value);
  if (inlineGiven && fileGiven) throw new ValidationFileError(pos(nodeStart(fileRef.key)), 'only one of `schema` and `schemaFile` may be given');
  if (!inlineGiven && !fileGiven) throw new ValidationFileError(pos(0), 'no schema: give `schema` (the schema text) or `schemaFile` (a path relative to this file)');

  let schemaText: string;
  let source: ScalarSource | { file: string; at(line: number, column: number): FilePosition };
  if (fileGiven) {
    const value = fileRef.value;
    if (!isScalar(value) || typeof value.value !== 'string') throw new ValidationFileError(pos(nodeStart(value)), '`schemaFile` must be a path');
    const ref = value.value;
    const base = dirname(path);
    const target = resolve(base, ref);
    const rel = relative(resolve(base), target);
    // As in zed: a validation file may only pull in a schema from its own directory tree.
    if (isAbsolute(ref) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new ValidationFileError(pos(nodeStart(value)), `schema file \`${ref}\` is not local: it must be a relative path inside the validation file's directory`);
    }
    const shown = join(base, ref);
    try {
      schemaText = (options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(target);
    } catch (e) {
      throw new ValidationFileError(pos(nodeStart(value)), `cannot read schema file \`${shown}\`: ${errorText(e)}`);
    }
    source = { file: shown, at: (line, column) => ({ file: shown, line, column }) };
  } else {
    const value = inline!.value;
    if (!isScalar(value) || typeof value.value !== 'string') throw new ValidationFileError(pos(nodeStart(value)), '`schema` must be a string holding the schema text');
    schemaText = value.value;
    source = ScalarSource.of(path, value, text, lc);
  }

  const compiled = compileSchema(schemaText);
  if (!compiled.ok) {
    const diagnostics = compiled.diagnostics;
    const firstAt = source.at(diagnostics[0]?.line ?? 1, diagnostics[0]?.column ?? 1);
    const lines = diagnostics.map((d: Diagnostic) => `${formatPosition(source.at(d.line, d.column))}: ${d.message}`);
    const note = source instanceof ScalarSource && !source.exact ? ' (positions are those of the `schema` value: write it as a `|` block to get exact lines)' : '';
    throw new ValidationFileError(firstAt, `invalid schema${note}:\n  ${lines.join('\n  ')}`);
  }
  return { schemaText, schema: compiled.schema };
}

function parseRelationshipsBlock(text: string, path: string, lc: LineCounter, node: YamlNode | null): RelationshipLine[] {
  if (isEmpty(node)) return [];
  if (!isScalar(node) || typeof node.value !== 'string') {
    throw new ValidationFileError(at(path, lc, node), '`relationships` must be a string with one relationship a line (write it as a `|-` block)');
  }
  const source = ScalarSource.of(path, node, text, lc);
  const out: RelationshipLine[] = [];
  const seen = new Map<string, FilePosition>();
  node.value.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('//')) return;
    const position = source.at(index + 1, raw.length - raw.trimStart().length + 1);
    let relationship: Relationship;
    try {
      relationship = parseRelationship(trimmed);
    } catch (e) {
      throw new ValidationFileError(position, withInput(errorText(e), trimmed, 'invalid relationship'));
    }
    const canonical = formatRelationship(relationship);
    const earlier = seen.get(canonical);
    if (earlier) throw new ValidationFileError(position, `repeated relationship \`${trimmed}\` (first given at line ${earlier.line})`);
    seen.set(canonical, position);
    out.push({ relationship, text: trimmed, position });
  });
  return out;
}

function parseAssertionsBlock(text: string, path: string, lc: LineCounter, node: YamlNode | null): AssertionEntry[] {
  if (isEmpty(node)) return [];
  // Older playground exports hold the assertions block as a string of YAML.
  if (isScalar(node) && typeof node.value === 'string') {
    return parseEmbedded(text, path, lc, node, 'assertions', (inner, innerText, innerLc, map) => parseAssertionsBlock(innerText, path, innerLc, inner).map((a) => ({ ...a, position: map(a.position) })));
  }
  if (!isMap(node)) throw new ValidationFileError(at(path, lc, node), '`assertions` must be a map with `assertTrue`, `assertFalse` and/or `assertCaveated` lists');
  const out: AssertionEntry[] = [];
  for (const pair of node.items) {
    const key = pair.key as YamlNode | null;
    const kind = isScalar(key) ? String(key.value) : '';
    // zed decodes the block into a struct of the three lists, which drops any other key unread.
    if (!(ASSERTION_KINDS as readonly string[]).includes(kind)) continue;
    const list = (pair.value as YamlNode | null) ?? null;
    if (isEmpty(list)) continue;
    if (!isSeq(list)) throw new ValidationFileError(at(path, lc, list), `\`${kind}\` must be a list of relationships like \`document:1#view@user:alice\``);
    for (const item of list.items as (YamlNode | null)[]) {
      if (!isScalar(item) || typeof item.value !== 'string') {
        throw new ValidationFileError(at(path, lc, item), `each \`${kind}\` entry must be a relationship string like \`document:1#view@user:alice\``);
      }
      out.push(parseAssertion(kind as AssertionKind, item.value, at(path, lc, item)));
    }
  }
  return out;
}

function parseAssertion(kind: AssertionKind, raw: string, position: FilePosition): AssertionEntry {
  const text = raw.trim();
  const withAt = text.indexOf(' with ');
  const relText = (withAt >= 0 ? text.slice(0, withAt) : text).trim();
  const caveatContext = withAt >= 0 ? text.slice(withAt + ' with '.length).trim() : undefined;
  let relationship: Relationship;
  try {
    relationship = parseRelationship(relText);
  } catch (e) {
    throw new ValidationFileError(position, `invalid ${kind} entry: ${withInput(errorText(e), relText, 'invalid relationship')}`);
  }
  if (relationship.subject.id === '*') {
    throw new ValidationFileError(position, `invalid ${kind} entry \`${text}\`: an assertion's subject must be a concrete object, not a wildcard`);
  }
  if (caveatContext !== undefined) {
    try {
      const parsed: unknown = JSON.parse(caveatContext);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    } catch {
      throw new ValidationFileError(position, `invalid caveat context in \`${text}\`: expected a JSON object after \`with\``);
    }
  }
  return caveatContext === undefined ? { kind, text, relationship, position } : { kind, text, relationship, caveatContext, position };
}

function parseValidationBlock(text: string, path: string, lc: LineCounter, node: YamlNode | null): ExpectedRelation[] {
  if (isEmpty(node)) return [];
  if (isScalar(node) && typeof node.value === 'string') {
    return parseEmbedded(text, path, lc, node, 'validation', (inner, innerText, innerLc, map) =>
      parseValidationBlock(innerText, path, innerLc, inner).map((v) => ({
        ...v,
        position: map(v.position),
        subjects: v.subjects.map((s) => ({ ...s, position: map(s.position) })),
      })),
    );
  }
  if (!isMap(node)) throw new ValidationFileError(at(path, lc, node), '`validation` must be a map from `resource#relation` to a list of expected subjects');
  const out: ExpectedRelation[] = [];
  for (const pair of node.items) {
    const key = pair.key as YamlNode | null;
    const keyText = isScalar(key) ? String(key.value) : '';
    const value = (pair.value as YamlNode | null) ?? null;
    let items: { text: string; position: FilePosition }[] = [];
    if (!isEmpty(value)) {
      if (!isSeq(value)) throw new ValidationFileError(at(path, lc, value), `expected subjects of \`${keyText}\` must be a list of strings like "[user:alice] is <document:1#viewer>"`);
      items = (value.items as (YamlNode | null)[]).map((item) => {
        if (!isScalar(item) || typeof item.value !== 'string') {
          throw new ValidationFileError(at(path, lc, item), `each expected subject of \`${keyText}\` must be a string like "[user:alice] is <document:1#viewer>"`);
        }
        return { text: item.value, position: at(path, lc, item) };
      });
    }
    out.push(parseExpectedRelation(keyText, at(path, lc, key), items, (p, m) => new ValidationFileError(p, m)));
  }
  return out;
}

/**
 * Parses a block given as a string of YAML (older files) with the same function as the map form,
 * mapping the positions found inside it back to the outer file.
 */
function parseEmbedded<T>(
  text: string,
  path: string,
  lc: LineCounter,
  node: Scalar,
  what: string,
  parse: (inner: YamlNode | null, innerText: string, innerLc: LineCounter, map: (p: FilePosition) => FilePosition) => T[],
): T[] {
  const source = ScalarSource.of(path, node, text, lc);
  const innerText = node.value as string;
  const innerLc = new LineCounter();
  const inner = parseDocument(innerText, { lineCounter: innerLc, prettyErrors: false, uniqueKeys: true });
  const map = (p: FilePosition): FilePosition => source.at(p.line, p.column);
  const err = inner.errors[0];
  if (err) {
    const p = innerLc.linePos(err.pos[0]);
    throw new ValidationFileError(map({ file: path, line: p.line, column: p.col }), `invalid YAML in the \`${what}\` string: ${err.message}`);
  }
  try {
    return parse((inner.contents as YamlNode | null) ?? null, innerText, innerLc, map);
  } catch (e) {
    if (e instanceof ValidationFileError) {
      const message = e.message.slice(formatPosition(e.position).length + 2);
      throw new ValidationFileError(map(e.position), message);
    }
    throw e;
  }
}

/** Absent, `null`, `~` or an empty string: SpiceDB treats them all as not given. */
function isEmpty(node: YamlNode | null | undefined): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined || node.value === ''));
}

function nodeStart(node: YamlNode | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

function at(path: string, lc: LineCounter, node: YamlNode | null | undefined): FilePosition {
  const p = lc.linePos(nodeStart(node));
  return { file: path, line: p.line, column: p.col };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The core parser's messages usually quote the input already; add it only where they do not. */
function withInput(message: string, input: string, what: string): string {
  return message.includes(input) ? message : `${what} \`${input}\`: ${message}`;
}
