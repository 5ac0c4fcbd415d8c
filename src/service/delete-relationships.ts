import { InvalidArgumentError } from '../core/errors.js';
import { isEmptyFilter } from '../core/filter.js';
import { throwIfCancelled, type ServiceDeps } from './deps.js';
import { filterField, preconditionsField } from './input.js';
import type { CallOptions, DeleteRelationshipsRequest, DeleteRelationshipsResponse } from './types.js';

export async function deleteRelationships(deps: ServiceDeps, req: DeleteRelationshipsRequest, call?: CallOptions): Promise<DeleteRelationshipsResponse> {
  const filter = filterField(req.filter);
  // An empty filter would delete everything: too easy to send by mistake.
  if (isEmptyFilter(filter)) throw new InvalidArgumentError('`filter` must name at least a resource type, relation or subject');
  if (req.limit !== undefined && req.limit !== null && req.limit !== 0 && (!Number.isInteger(req.limit) || req.limit < 0)) {
    throw new InvalidArgumentError('`limit` must be a positive integer');
  }
  const preconditions = preconditionsField(req.preconditions, deps.limits);
  throwIfCancelled(call?.signal);
  const result = await deps.datastore.deleteRelationships(filter, {
    ...(req.limit ? { limit: req.limit } : {}),
    preconditions,
  });
  await deps.replica.waitForRevision(result.revision, deps.freshnessWaitMs, call?.signal);
  return { zookie: deps.consistency.zookie(result.revision), deleted: result.deleted, partial: result.partial };
}
