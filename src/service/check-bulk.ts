import { AuthzError, bug, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { isValidRelationName, parseObjectRef, parseSubjectRef } from '../core/refs.js';
import { engineContext, engineFor, type ServiceDeps } from './deps.js';
import { objectField, relationField, subjectField } from './input.js';
import type { CallOptions, CheckBulkItemResult, CheckBulkRequest, CheckBulkResponse } from './types.js';

type Item = CheckBulkRequest['items'][number];

// Shared by every answered item (frozen): a thousand-item call allocates no result objects.
const ALLOWED: CheckBulkItemResult = Object.freeze({ allowed: true });
const DENIED: CheckBulkItemResult = Object.freeze({ allowed: false });

/** Every item is answered at one revision; a bad item gets its own error and the rest still answer. */
export async function checkBulk(deps: ServiceDeps, req: CheckBulkRequest, call?: CallOptions): Promise<CheckBulkResponse> {
  if (!Array.isArray(req.items)) throw new InvalidArgumentError('`items` must be a list');
  if (req.items.length > deps.limits.maxCheckBulkItems) {
    throw new LimitExceededError(`too many items: ${req.items.length} (the limit is ${deps.limits.maxCheckBulkItems} per call)`);
  }
  const read = deps.consistency.nowWithSchema(req.consistency) ?? (await deps.consistency.resolveWithSchema(req.consistency, call));
  const engine = engineFor(deps, read);
  const ctx = engineContext(deps, read.revision, read.schema, call);
  const results = new Array<CheckBulkItemResult>(req.items.length);
  for (let i = 0; i < results.length; i++) {
    const item: unknown = req.items[i];
    try {
      if (!isWellFormed(item)) throwItemError(item, i);
      results[i] = engine.check(ctx, parseObjectRef(item.resource), item.permission, parseSubjectRef(item.subject)) ? ALLOWED : DENIED;
    } catch (e) {
      // The call's dispatch cap or deadline fails the whole call, not the item that happened to hit it.
      if (!(e instanceof AuthzError) || e === ctx.budget?.failure) throw e;
      results[i] = { error: { code: e.code, reason: e.reason, message: e.message } };
    }
  }
  return { results, zookie: deps.consistency.zookie(read.revision, read.schema) };
}

/**
 * What objectField, relationField and subjectField check before parsing, without their field names
 * (`items[3].subject`), which are built only for a bad item's message rather than three per item.
 */
function isWellFormed(item: unknown): item is Item {
  const { resource, permission, subject } = (item ?? {}) as Partial<Record<keyof Item, unknown>>;
  return filled(resource) && filled(permission) && isValidRelationName(permission) && filled(subject);
}

function filled(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** The error of an item that is not well formed: the first of its fields to fail, as the field parsers say. */
function throwItemError(item: unknown, i: number): never {
  const { resource, permission, subject } = (item ?? {}) as Partial<Record<keyof Item, unknown>>;
  objectField(resource, `items[${i}].resource`);
  relationField(permission, `items[${i}].permission`);
  subjectField(subject, `items[${i}].subject`);
  return bug(`items[${i}] was refused, yet every field of it parses`);
}
