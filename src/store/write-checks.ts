/**
 * Checks every datastore applies the same way, so that the backends agree on what a bad batch is and
 * on how it is reported.
 */
import { InvalidArgumentError, PreconditionFailedError, RevisionUnavailableError } from '../core/errors.js';
import type { RelationshipFilter } from '../core/filter.js';
import type { Relationship } from '../core/refs.js';
import { ELLIPSIS } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { Precondition, RelationshipUpdate } from './datastore.js';

/** The canonical form stored and returned: no `...` subject relation, no foreign fields. */
export function normalizeRelationship(r: Relationship): Relationship {
  const s = r.subject;
  const subject =
    s.relation === undefined || s.relation === ELLIPSIS ? { type: s.type, id: s.id } : { type: s.type, id: s.id, relation: s.relation };
  return { resource: { type: r.resource.type, id: r.resource.id }, relation: r.relation, subject };
}

/** SpiceDB refuses a batch that names one relationship twice: its outcome would depend on the order. */
export function assertNoDuplicates(updates: readonly RelationshipUpdate[]): void {
  if (updates.length < 2) return;
  const seen = new Set<string>();
  for (const u of updates) {
    const key = relationshipKey(u.relationship);
    if (seen.has(key)) {
      throw new InvalidArgumentError(
        `relationship \`${key}\` appears more than once in the same write; each relationship may be updated once per batch`,
        'DUPLICATE_RELATIONSHIP_UPDATE',
      );
    }
    seen.add(key);
  }
}

/** formatRelationship of the normalized relationship, without allocating the normalized copy. */
export function relationshipKey(r: Relationship): string {
  const s = r.subject;
  const tail = s.relation === undefined || s.relation === ELLIPSIS ? '' : `#${s.relation}`;
  return `${r.resource.type}:${r.resource.id}#${r.relation}@${s.type}:${s.id}${tail}`;
}

/** Throws PreconditionFailedError for the first precondition that does not hold. */
export function checkPreconditions(
  preconditions: readonly Precondition[] | undefined,
  hasMatch: (filter: RelationshipFilter) => boolean,
): void {
  if (!preconditions) return;
  for (const p of preconditions) {
    const matched = hasMatch(p.filter);
    if (p.operation === 'must_match' && !matched) {
      throw new PreconditionFailedError(`precondition failed: no relationship matches ${describeFilter(p.filter)}`);
    }
    if (p.operation === 'must_not_match' && matched) {
      throw new PreconditionFailedError(`precondition failed: a relationship matches ${describeFilter(p.filter)}`);
    }
  }
}

export function describeFilter(f: RelationshipFilter): string {
  const parts: string[] = [];
  if (f.resourceType !== undefined) parts.push(`resourceType=${f.resourceType}`);
  if (f.resourceId !== undefined) parts.push(`resourceId=${f.resourceId}`);
  if (f.resourceIdPrefix !== undefined) parts.push(`resourceIdPrefix=${f.resourceIdPrefix}`);
  if (f.relation !== undefined) parts.push(`relation=${f.relation}`);
  if (f.subject) {
    const s = f.subject;
    parts.push(`subject=${s.type}:${s.id ?? '*any*'}${s.relation !== undefined ? `#${s.relation}` : ''}`);
  }
  return parts.length ? `{${parts.join(', ')}}` : '{} (any relationship)';
}

/** Refuses reads at revisions the store has not reached or has garbage-collected. */
export function checkReadable(at: Revision, oldest: Revision, head: Revision): void {
  if (!Number.isSafeInteger(at) || at < 0) {
    throw new RevisionUnavailableError(`revision ${String(at)} is not a valid revision`);
  }
  if (at > head) throw new RevisionUnavailableError(`revision ${at} is newer than the store's head revision ${head}`);
  if (at < oldest) {
    throw new RevisionUnavailableError(
      `revision ${at} has been garbage-collected; the oldest readable revision is ${oldest}`,
    );
  }
}

export function checkLimit(limit: number | undefined, what: string): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(limit)}`);
  }
}
