/** Filters over stored relationships, as in SpiceDB's RelationshipFilter. Every field narrows the match. */
import type { Relationship } from './refs.js';
import { ELLIPSIS } from './refs.js';

export interface SubjectFilter {
  type: string;
  id?: string;
  /** `...` (ELLIPSIS) matches only subjects without a relation; undefined matches any. */
  relation?: string;
}

export interface RelationshipFilter {
  resourceType?: string;
  resourceId?: string;
  resourceIdPrefix?: string;
  relation?: string;
  subject?: SubjectFilter;
}

export function matchesFilter(r: Relationship, f: RelationshipFilter): boolean {
  if (f.resourceType !== undefined && r.resource.type !== f.resourceType) return false;
  if (f.resourceId !== undefined && r.resource.id !== f.resourceId) return false;
  if (f.resourceIdPrefix !== undefined && !r.resource.id.startsWith(f.resourceIdPrefix)) return false;
  if (f.relation !== undefined && r.relation !== f.relation) return false;
  const s = f.subject;
  if (s) {
    if (r.subject.type !== s.type) return false;
    if (s.id !== undefined && r.subject.id !== s.id) return false;
    if (s.relation !== undefined) {
      if (s.relation === ELLIPSIS ? r.subject.relation !== undefined : r.subject.relation !== s.relation) return false;
    }
  }
  return true;
}

export function isEmptyFilter(f: RelationshipFilter): boolean {
  return (
    f.resourceType === undefined &&
    f.resourceId === undefined &&
    f.resourceIdPrefix === undefined &&
    f.relation === undefined &&
    f.subject === undefined
  );
}
