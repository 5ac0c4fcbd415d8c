/** Parsing of wire-form inputs shared by the operations: filters, subject types, page sizes, cursors. */
import { InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import type { RelationshipFilter, SubjectFilter } from '../core/filter.js';
import {
  ELLIPSIS,
  isValidObjectId,
  isValidRelationName,
  isValidTypeName,
  parseObjectRef,
  parseRelationship,
  parseSubjectRef,
  type ObjectRef,
  type Relationship,
  type SubjectRef,
} from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { Precondition } from '../store/datastore.js';
import type { FilterInput, Limits, PreconditionInput } from './types.js';

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError(`\`${field}\` is required (a non-empty string)`);
  return value;
}

export function objectField(value: unknown, field: string): ObjectRef {
  return parseObjectRef(requireString(value, field));
}

export function subjectField(value: unknown, field: string): SubjectRef {
  return parseSubjectRef(requireString(value, field));
}

export function relationField(value: unknown, field: string): string {
  const s = requireString(value, field);
  if (!isValidRelationName(s)) throw new InvalidArgumentError(`\`${field}\`: \`${s}\` is not a valid relation or permission name`);
  return s;
}

export function typeField(value: unknown, field: string): string {
  const s = requireString(value, field);
  if (!isValidTypeName(s)) throw new InvalidArgumentError(`\`${field}\`: \`${s}\` is not a valid type name`);
  return s;
}

export function relationshipField(value: unknown, field: string): Relationship {
  return parseRelationship(requireString(value, field));
}

/** `user` or `team#member`. */
export function subjectTypeField(value: unknown, field: string): { type: string; relation?: string } {
  const s = requireString(value, field);
  const [type, relation, extra] = s.split('#');
  if (extra !== undefined || !isValidTypeName(type!) || (relation !== undefined && relation !== ELLIPSIS && !isValidRelationName(relation))) {
    throw new InvalidArgumentError(`\`${field}\`: \`${s}\` is not a subject type (expected \`type\` or \`type#relation\`)`);
  }
  return relation === undefined || relation === ELLIPSIS ? { type: type! } : { type: type!, relation };
}

/** Subject filter syntax: `type`, `type:id`, `type:id#rel`, `type#rel` (`#...` = no relation). */
function subjectFilter(s: string): SubjectFilter {
  const m = /^([^:#]+)(?::([^#]+))?(?:#(.+))?$/.exec(s);
  if (!m || !isValidTypeName(m[1]!) || (m[2] !== undefined && !isValidObjectId(m[2]) && m[2] !== '*') || (m[3] !== undefined && m[3] !== ELLIPSIS && !isValidRelationName(m[3]))) {
    throw new InvalidArgumentError(`filter.subject: \`${s}\` is not \`type\`, \`type:id\`, \`type#relation\` or \`type:id#relation\``);
  }
  const f: { type: string; id?: string; relation?: string } = { type: m[1]! };
  if (m[2] !== undefined) f.id = m[2];
  if (m[3] !== undefined) f.relation = m[3];
  return f;
}

export function filterField(input: FilterInput | undefined, field = 'filter'): RelationshipFilter {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object') throw new InvalidArgumentError(`\`${field}\` must be an object`);
  const f: { -readonly [K in keyof RelationshipFilter]: RelationshipFilter[K] } = {};
  if (input.resourceType !== undefined && input.resourceType !== '') f.resourceType = typeField(input.resourceType, `${field}.resourceType`);
  if (input.resourceId !== undefined && input.resourceId !== '') {
    if (!isValidObjectId(input.resourceId)) throw new InvalidArgumentError(`${field}.resourceId: \`${input.resourceId}\` is not a valid object id`);
    f.resourceId = input.resourceId;
  }
  if (input.resourceIdPrefix !== undefined && input.resourceIdPrefix !== '') f.resourceIdPrefix = requireString(input.resourceIdPrefix, `${field}.resourceIdPrefix`);
  if (input.relation !== undefined && input.relation !== '') f.relation = relationField(input.relation, `${field}.relation`);
  if (input.subject !== undefined && input.subject !== '') f.subject = subjectFilter(requireString(input.subject, `${field}.subject`));
  if (f.resourceId !== undefined && f.resourceIdPrefix !== undefined) {
    throw new InvalidArgumentError(`${field}: give resourceId or resourceIdPrefix, not both`);
  }
  return f;
}

export function preconditionsField(input: readonly PreconditionInput[] | undefined, limits: Limits): Precondition[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new InvalidArgumentError('`preconditions` must be a list');
  if (input.length > limits.maxPreconditions) {
    throw new LimitExceededError(`too many preconditions: ${input.length} (the limit is ${limits.maxPreconditions})`);
  }
  return input.map((p, i) => {
    if (p?.operation !== 'must_match' && p?.operation !== 'must_not_match') {
      throw new InvalidArgumentError(`preconditions[${i}].operation must be "must_match" or "must_not_match"`);
    }
    return { operation: p.operation, filter: filterField(p.filter, `preconditions[${i}].filter`) };
  });
}

export function pageSize(limit: number | undefined, limits: Limits): number {
  if (limit === undefined || limit === null || limit === 0) return limits.defaultPageSize;
  if (!Number.isInteger(limit) || limit < 0) throw new InvalidArgumentError('`limit` must be a positive integer');
  if (limit > limits.maxPageSize) throw new LimitExceededError(`\`limit\` ${limit} is over the maximum page size of ${limits.maxPageSize}`);
  return limit;
}

/**
 * Page cursors are opaque to clients: base64url of {v, r: revision, a: position}. The revision pins every
 * page of one listing to the same snapshot, so results come exactly once across pages.
 */
export interface CursorData<T> {
  revision: Revision;
  after: T;
}

export function encodeCursor<T>(c: CursorData<T>): string {
  return Buffer.from(JSON.stringify({ v: 1, r: c.revision, a: c.after }), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (a: unknown) => a is T): CursorData<T> | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  try {
    const o = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as { v?: unknown; r?: unknown; a?: unknown };
    if (o.v === 1 && Number.isSafeInteger(o.r) && (o.r as number) >= 0 && check(o.a)) return { revision: o.r as number, after: o.a };
  } catch {
    // fall through to the error below
  }
  throw new InvalidArgumentError('malformed cursor: pass the cursor returned by the previous page unchanged');
}

export function isString(a: unknown): a is string {
  return typeof a === 'string';
}
