/**
 * Runs validation files: each gets a fresh in-memory store holding its schema and relationships, then
 * every assertion is checked and every `validation` entry compared with what Expand finds. A file that
 * cannot be loaded is reported with why and where; it never stops the files after it.
 */
import { AuthzError } from '../core/errors.js';
import { WILDCARD, formatSubjectRef } from '../core/refs.js';
import type { SubjectRef } from '../core/refs.js';
import { buildDispatcherRing } from '../engine/build-ring.js';
import { Engine } from '../engine/engine.js';
import type { EngineContext } from '../engine/engine.js';
import { validateRelationship } from '../schema/relationship-validation.js';
import { MemoryDatastore } from '../store/memory/memory-datastore.js';
import { formatObjectAndRelation } from './expected-relations.js';
import type { ExpectedRelation } from './expected-relations.js';
import { foundSubjects } from './found-subjects.js';
import type { FoundSubject } from './found-subjects.js';
import { ValidationFileError, formatPosition, loadValidationFile } from './validation-file.js';
import type { AssertionEntry, FilePosition, ValidationFile } from './validation-file.js';

export type Outcome = 'true' | 'false' | 'caveated';

export interface AssertionResult {
  /** The assertion as written; for a `validation` entry, its `resource#relation` key. */
  readonly assertion: string;
  readonly expected: Outcome;
  readonly actual: Outcome | 'error';
  readonly ok: boolean;
  /** Why it failed (or could not be evaluated). */
  readonly message?: string;
  /** Where it is written; for people, not part of the JSON report. */
  readonly position?: FilePosition;
}

export interface FileResult {
  /** The path as given. */
  readonly file: string;
  /** Why the file could not be loaded (with file:line:column), or null. */
  readonly error: string | null;
  readonly assertions: readonly AssertionResult[];
}

export interface RunOptions {
  /** Dispatch depth limit for every check and expansion; default VALIDATION_MAX_DEPTH. */
  readonly maxDepth?: number;
}

/**
 * `zed validate` runs a file through SpiceDB's development package, whose checks and expansions get
 * 25 hops (pkg/development: `const maxDispatchDepth = 25`), not the server's 50: a chain of 25 nested
 * groups is an error there, and must be one here.
 */
export const VALIDATION_MAX_DEPTH = 25;

export async function runValidationFiles(paths: readonly string[], options: RunOptions = {}): Promise<FileResult[]> {
  const out: FileResult[] = [];
  for (const path of paths) out.push(await runValidationFile(path, options));
  return out;
}

export async function runValidationFile(path: string, options: RunOptions = {}): Promise<FileResult> {
  let file: ValidationFile;
  try {
    file = loadValidationFile(path);
  } catch (e) {
    return { file: path, error: loadErrorText(e), assertions: [] };
  }
  // The loader names the file as given; keep that name even if it differs after resolution.
  return { ...(await runLoadedFile(file, options)), file: path };
}

/** Evaluates an already parsed file (tests build these from inline text). */
export async function runLoadedFile(file: ValidationFile, options: RunOptions = {}): Promise<FileResult> {
  let ctx: EngineContext;
  try {
    ctx = await populate(file, options);
  } catch (e) {
    return { file: file.path, error: loadErrorText(e), assertions: [] };
  }
  const engine = new Engine(buildDispatcherRing().head);
  const maxDepth = ctx.maxDepth ?? VALIDATION_MAX_DEPTH;
  const results: AssertionResult[] = [];
  for (const a of file.assertions) results.push(evaluateAssertion(engine, ctx, a));
  for (const v of file.validation) results.push(evaluateExpected(engine, ctx, v, maxDepth));
  return { file: file.path, error: null, assertions: results };
}

async function populate(file: ValidationFile, options: RunOptions): Promise<EngineContext> {
  for (const line of file.relationships) {
    try {
      validateRelationship(file.schema, line.relationship);
    } catch (e) {
      if (e instanceof AuthzError) throw new ValidationFileError(line.position, e.message);
      throw e;
    }
  }
  const ds = new MemoryDatastore();
  await ds.writeSchema(file.schemaText, file.schema.hash);
  const revision = await ds.write({ updates: file.relationships.map((l) => ({ operation: 'touch' as const, relationship: l.relationship })) });
  const graph = ds.index.snapshot(revision);
  return { schema: file.schema, graph, maxDepth: options.maxDepth ?? VALIDATION_MAX_DEPTH };
}

function evaluateAssertion(engine: Engine, ctx: EngineContext, a: AssertionEntry): AssertionResult {
  const expected: Outcome = a.kind === 'assertTrue' ? 'true' : a.kind === 'assertFalse' ? 'false' : 'caveated';
  const base = { assertion: a.text, expected, position: a.position };
  // A file that loaded has no caveat anywhere (a caveat in the schema or on a relationship refuses the
  // file), so no answer is caveated and a `with {...}` context has nothing to feed: SpiceDB's
  // development check returns plain MEMBER / NOT_MEMBER here, and assertCaveated simply fails.
  let allowed: boolean;
  try {
    // As zed: the subject is not checked against the schema; one the schema cannot hold is never found.
    allowed = engine.check(ctx, a.relationship.resource, a.relationship.relation, a.relationship.subject, { validateSubject: false });
  } catch (e) {
    return { ...base, actual: 'error', ok: false, message: engineErrorText(e) };
  }
  const actual: Outcome = allowed ? 'true' : 'false';
  if (actual === expected) return { ...base, actual, ok: true };
  const why = a.kind === 'assertCaveated' ? ' (no relationship is caveated: caveats are not supported yet)' : '';
  return { ...base, actual, ok: false, message: `expected ${expected}, got ${actual}${why}` };
}

function evaluateExpected(engine: Engine, ctx: EngineContext, v: ExpectedRelation, maxDepth: number): AssertionResult {
  const base = { assertion: v.key, expected: 'true' as const, position: v.position };
  let found: FoundSubject[];
  try {
    const tree = engine.expand(ctx, { type: v.resource.type, id: v.resource.id }, v.resource.relation);
    found = foundSubjects(tree, maxDepth);
  } catch (e) {
    return { ...base, actual: 'error', ok: false, message: engineErrorText(e) };
  }
  const failures = compareSubjects(v, found);
  if (failures.length === 0) return { ...base, actual: 'true', ok: true };
  return { ...base, actual: 'false', ok: false, message: failures.join('; ') };
}

/**
 * zed's rules: every expected subject is found, with exactly the relations written for it (and, for a
 * wildcard, exactly the exclusions written); every found subject is expected.
 */
function compareSubjects(v: ExpectedRelation, found: readonly FoundSubject[]): string[] {
  const failures: string[] = [];
  const byKey = new Map(found.map((f) => [formatSubjectRef(f.subject), f]));
  const expectedKeys = new Set<string>();
  for (const e of v.subjects) {
    const at = `(${formatPosition(e.position)})`;
    if (e.subject === undefined) {
      failures.push(`no expected subject in \`${e.text}\`: write it as "[subject] is <resource#relation>" ${at}`);
      continue;
    }
    const key = formatSubjectRef(e.subject);
    expectedKeys.add(key);
    const f = byKey.get(key);
    if (f === undefined) {
      failures.push(`missing expected subject \`${key}\` ${at}`);
      continue;
    }
    const want = e.grantedBy.map(formatObjectAndRelation).sort();
    const got = [...f.grantedBy].sort();
    if (want.join('/') !== got.join('/')) {
      failures.push(`subject \`${key}\` is granted by ${wrap(got)}, not ${wrap(want)} as written ${at}`);
    }
    const wantExcluded = e.exceptions.map(formatSubjectRef).sort();
    const gotExcluded = [...f.excluded].map((id) => formatSubjectRef(withId(f.subject, id))).sort();
    if (f.subject.id !== WILDCARD) {
      if (wantExcluded.length > 0) failures.push(`subject \`${key}\` is not a wildcard, so it excludes nothing, not {${wantExcluded.join(', ')}} as written ${at}`);
    } else if (wantExcluded.join(',') !== gotExcluded.join(',')) {
      failures.push(`subject \`${key}\` excludes {${gotExcluded.join(', ')}}, not {${wantExcluded.join(', ')}} as written ${at}`);
    }
    if (e.caveated) failures.push(caveatedText(key, at));
  }
  const extra = found.map((f) => formatSubjectRef(f.subject)).filter((k) => !expectedKeys.has(k)).sort();
  for (const k of extra) failures.push(`subject \`${k}\` found but not expected, granted by ${wrap([...byKey.get(k)!.grantedBy].sort())}`);
  return failures;
}

function caveatedText(key: string, at: string): string {
  return `subject \`${key}\` is written as caveated (\`[...]\`), but caveats are not supported yet ${at}`;
}

function withId(s: SubjectRef, id: string): SubjectRef {
  return s.relation === undefined ? { type: s.type, id } : { type: s.type, id, relation: s.relation };
}

function wrap(onrs: readonly string[]): string {
  return onrs.length === 0 ? '(nothing)' : onrs.map((o) => `<${o}>`).join('/');
}

function loadErrorText(e: unknown): string {
  if (e instanceof AuthzError) return e.message;
  // Not the file's fault, but one file must never stop the others: report it against this file.
  return `internal error while loading: ${e instanceof Error ? e.message : String(e)}`;
}

function engineErrorText(e: unknown): string {
  if (e instanceof AuthzError) return e.message;
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}
