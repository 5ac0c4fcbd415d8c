import { LimitExceededError, InvalidArgumentError, AuthzError } from '../core/errors.js';
import { engineFor, walkBudget, type ServiceDeps } from './deps.js';
import { objectField, relationField, subjectField } from './input.js';
import type { CallOptions, CheckBulkItemResult, CheckBulkRequest, CheckBulkResponse } from './types.js';

/** Every item is answered at one revision; a bad item gets its own error and the rest still answer. */
export async function checkBulk(deps: ServiceDeps, req: CheckBulkRequest, call?: CallOptions): Promise<CheckBulkResponse> {
  if (!Array.isArray(req.items)) throw new InvalidArgumentError('`items` must be a list');
  if (req.items.length > deps.limits.maxCheckBulkItems) {
    throw new LimitExceededError(`too many items: ${req.items.length} (the limit is ${deps.limits.maxCheckBulkItems} per call)`);
  }
  const read = await deps.consistency.resolveWithSchema(req.consistency, call?.signal);
  const budget = walkBudget(deps, call);
  const ctx = { schema: read.schema.schema, graph: deps.replica.index.snapshot(read.revision), maxDepth: deps.limits.maxDepth, budget };
  const results: CheckBulkItemResult[] = req.items.map((item, i) => {
    try {
      const allowed = engineFor(deps, read).check(
        ctx,
        objectField(item?.resource, `items[${i}].resource`),
        relationField(item?.permission, `items[${i}].permission`),
        subjectField(item?.subject, `items[${i}].subject`),
      );
      return { allowed };
    } catch (e) {
      // The call's dispatch cap or deadline fails the whole call, not the item that happened to hit it.
      if (!(e instanceof AuthzError) || e === budget.failure) throw e;
      return { error: { code: e.code, reason: e.reason, message: e.message } };
    }
  });
  return { results, zookie: deps.consistency.zookie(read.revision, read.schema) };
}
