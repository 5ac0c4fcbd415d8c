import { AuthzError, DeadlineExceededError, InvalidArgumentError, SchemaNotFoundError } from '../core/errors.js';
import type { Relationship } from '../core/refs.js';
import { formatRelationship, parseRelationship } from '../core/refs.js';
import { validateRelationship } from '../schema/relationship-validation.js';
import type { ServiceDeps } from './deps.js';
import type { ImportResponse } from './types.js';

/**
 * Touches every relationship, in batches of `importBatchSize` lines, each batch a revision of its own.
 * Touch makes a re-run a no-op for what is already there, so an import that failed half-way is resumed
 * by running it again. The store decides when batches commit: one by one, or (SQLite, into an empty
 * store) all together at the end. A duplicate line within one batch is folded (the store refuses a
 * batch naming a relationship twice). On a bad line, the lines before it are imported and the error
 * says how many.
 */
export async function importRelationships(deps: ServiceDeps, lines: AsyncIterable<string>, signal?: AbortSignal): Promise<ImportResponse> {
  const schema = deps.replica.schemaAt(deps.replica.head);
  if (!schema) throw new SchemaNotFoundError('write a schema before importing relationships');
  const compiled = schema.schema;
  let count = 0;
  async function* batches(): AsyncGenerator<Relationship[]> {
    let batch = new Map<string, Relationship>();
    let lineNo = 0;
    for await (const raw of lines) {
      lineNo++;
      // Batches already handed to the store stay (re-running resumes); the one being gathered is dropped.
      if (signal?.aborted) throw new DeadlineExceededError();
      const line = raw.trim();
      if (line === '' || line.startsWith('//') || line.startsWith('#')) continue;
      try {
        const relationship = parseRelationship(line.startsWith('{') ? relationshipFromJson(line) : line);
        validateRelationship(compiled, relationship);
        batch.set(formatRelationship(relationship), relationship);
      } catch (e) {
        if (e instanceof AuthzError) {
          if (batch.size > 0) yield [...batch.values()];
          throw new InvalidArgumentError(`line ${lineNo}: ${e.message} (${count} relationships before it were imported)`);
        }
        throw e;
      }
      count++;
      if (batch.size >= deps.importBatchSize) {
        yield [...batch.values()];
        batch = new Map();
      }
    }
    if (batch.size > 0) yield [...batch.values()];
  }
  const revision = (await deps.datastore.importRelationships(batches())) ?? deps.replica.head;
  // Catching up with a large import can take longer than a freshness wait allows: it is part of the import.
  await deps.replica.catchUp();
  await deps.replica.waitForRevision(revision, deps.freshnessWaitMs, signal);
  return { count, zookie: deps.consistency.zookie(revision) };
}

/** NDJSON lines: `{"relationship":"a:b#c@d:e"}` or `{"resource":"a:b","relation":"c","subject":"d:e"}`. */
function relationshipFromJson(line: string): string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    throw new InvalidArgumentError('not valid JSON');
  }
  const r = o as { relationship?: unknown; resource?: unknown; relation?: unknown; subject?: unknown };
  if (typeof r.relationship === 'string') return r.relationship;
  if (typeof r.resource === 'string' && typeof r.relation === 'string' && typeof r.subject === 'string') {
    return `${r.resource}#${r.relation}@${r.subject}`;
  }
  throw new InvalidArgumentError('expected {"relationship":"..."} or {"resource","relation","subject"}');
}
