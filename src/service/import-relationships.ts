import { AuthzError, DeadlineExceededError, InvalidArgumentError, SchemaNotFoundError } from '../core/errors.js';
import { formatRelationship, parseRelationship } from '../core/refs.js';
import { validateRelationship } from '../schema/relationship-validation.js';
import type { RelationshipUpdate } from '../store/datastore.js';
import type { ServiceDeps } from './deps.js';
import type { ImportResponse } from './types.js';

/**
 * Touches every relationship, committing every `importBatchSize` lines. Touch makes a re-run a no-op
 * for what is already there, so an import that failed half-way is resumed by running it again.
 * A duplicate line within one batch is folded (the store refuses a batch naming a relationship twice).
 */
export async function importRelationships(deps: ServiceDeps, lines: AsyncIterable<string>, signal?: AbortSignal): Promise<ImportResponse> {
  const schema = deps.replica.schemaAt(deps.replica.head);
  if (!schema) throw new SchemaNotFoundError('write a schema before importing relationships');
  let batch = new Map<string, RelationshipUpdate>();
  let count = 0;
  let lineNo = 0;
  let revision = deps.replica.head;
  const flush = async () => {
    if (batch.size === 0) return;
    revision = await deps.datastore.write({ updates: [...batch.values()] });
    batch = new Map();
  };
  for await (const raw of lines) {
    lineNo++;
    // Batches already committed stay (re-running resumes); the one being gathered is dropped.
    if (signal?.aborted) throw new DeadlineExceededError();
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || line.startsWith('#')) continue;
    try {
      const relationship = parseRelationship(line.startsWith('{') ? relationshipFromJson(line) : line);
      validateRelationship(schema.schema, relationship);
      batch.set(formatRelationship(relationship), { operation: 'touch', relationship });
    } catch (e) {
      if (e instanceof AuthzError) {
        await flush();
        throw new InvalidArgumentError(`line ${lineNo}: ${e.message} (${count} relationships before it were imported)`);
      }
      throw e;
    }
    count++;
    if (batch.size >= deps.importBatchSize) await flush();
  }
  await flush();
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
