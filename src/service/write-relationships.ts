import { InvalidArgumentError, LimitExceededError, SchemaNotFoundError } from '../core/errors.js';
import { validateRelationship } from '../schema/relationship-validation.js';
import type { RelationshipUpdate } from '../store/datastore.js';
import { throwIfCancelled, type ServiceDeps } from './deps.js';
import { preconditionsField, relationshipField } from './input.js';
import type { CallOptions, WriteRelationshipsRequest, WriteRelationshipsResponse } from './types.js';

const OPERATIONS = new Set(['touch', 'create', 'delete']);

/** Validates the whole batch against the current schema before anything is written; the store applies it atomically. */
export async function writeRelationships(deps: ServiceDeps, req: WriteRelationshipsRequest, call?: CallOptions): Promise<WriteRelationshipsResponse> {
  if (!Array.isArray(req.updates) || req.updates.length === 0) throw new InvalidArgumentError('`updates` must be a non-empty list');
  if (req.updates.length > deps.limits.maxUpdatesPerWrite) {
    throw new LimitExceededError(`too many updates: ${req.updates.length} (the limit is ${deps.limits.maxUpdatesPerWrite} per write)`);
  }
  const preconditions = preconditionsField(req.preconditions, deps.limits);
  const schema = deps.replica.schemaAt(deps.replica.head);
  if (!schema) throw new SchemaNotFoundError('write a schema before writing relationships');
  const updates: RelationshipUpdate[] = req.updates.map((u, i) => {
    if (!OPERATIONS.has(u?.operation)) throw new InvalidArgumentError(`updates[${i}].operation must be "touch", "create" or "delete"`);
    const relationship = relationshipField(u.relationship, `updates[${i}].relationship`);
    // Deletes are not checked against the schema: removing something the schema no longer allows must work.
    if (u.operation !== 'delete') validateRelationship(schema.schema, relationship);
    return { operation: u.operation, relationship };
  });
  throwIfCancelled(call?.signal);
  const revision = await deps.datastore.write({ updates, preconditions });
  await deps.replica.waitForRevision(revision, deps.freshnessWaitMs, call?.signal);
  return { zookie: deps.consistency.zookie(revision) };
}
