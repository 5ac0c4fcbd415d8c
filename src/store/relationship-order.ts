/**
 * Reads of a RelationshipIndex in compareRelationships order, for pagination (the memory datastore's
 * readRelationships, deletes by filter, preconditions). Not the engine's hot path: built on the index's
 * public lookups, walking one type's sorted ids so that a page costs about its own size.
 */
import type { RelationshipFilter } from '../core/filter.js';
import type { ObjectRef, Relationship, SubjectRef } from '../core/refs.js';
import { ELLIPSIS, compareRelationships } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { RelationshipIndex } from './relationship-index.js';

/** The caller has checked that `rev` is readable. */
export function* iterateOrdered(ix: RelationshipIndex, rev: Revision, f: RelationshipFilter, after?: Relationship): Generator<Relationship> {
  // A subject id with no resource id: the reverse edges are the narrow side.
  if (f.resourceId === undefined && f.subject?.id !== undefined) yield* bySubject(ix, rev, f, after);
  else yield* byResource(ix, rev, f, after);
}

function* byResource(ix: RelationshipIndex, rev: Revision, f: RelationshipFilter, after?: Relationship): Generator<Relationship> {
  const types = f.resourceType !== undefined ? [f.resourceType] : [...ix.resourceTypes()].sort();
  const prefix = f.resourceIdPrefix;
  for (const type of types) {
    if (after && type < after.resource.type) continue;
    const rels = [...ix.relationsOf(type)].filter((r) => f.relation === undefined || r === f.relation).sort();
    if (rels.length === 0) continue;
    const ids = f.resourceId !== undefined ? [f.resourceId] : ix.sortedResourceIds(type);
    let i = 0;
    if (after && after.resource.type === type) i = lowerBound(ids, after.resource.id);
    if (prefix !== undefined) i = Math.max(i, lowerBound(ids, prefix));
    for (; i < ids.length; i++) {
      const id = ids[i]!;
      if (prefix !== undefined && !id.startsWith(prefix)) {
        if (f.resourceId !== undefined) continue;
        break; // sorted: the ids with the prefix were contiguous
      }
      let resource: ObjectRef | undefined;
      for (const relation of rels) {
        const subjects = matching(ix.subjectsAt(rev, type, id, relation), f);
        if (subjects.length === 0) continue;
        resource ??= { type, id };
        for (const subject of subjects) {
          const r: Relationship = { resource, relation, subject };
          if (after && compareRelationships(r, after) <= 0) continue;
          yield r;
        }
      }
    }
  }
}

function matching(subjects: readonly SubjectRef[], f: RelationshipFilter): SubjectRef[] {
  const sf = f.subject;
  const out = sf
    ? subjects.filter(
        (s) =>
          s.type === sf.type &&
          (sf.id === undefined || s.id === sf.id) &&
          (sf.relation === undefined || (sf.relation === ELLIPSIS ? s.relation === undefined : s.relation === sf.relation)),
      )
    : [...subjects];
  if (out.length > 1) out.sort(compareSubjects);
  return out;
}

function* bySubject(ix: RelationshipIndex, rev: Revision, f: RelationshipFilter, after?: Relationship): Generator<Relationship> {
  const sf = f.subject!;
  const id = sf.id!;
  const wanted = sf.relation === undefined ? undefined : sf.relation === ELLIPSIS ? '' : sf.relation;
  const out: Relationship[] = [];
  for (const rel of ix.subjectRelationsOf(sf.type, id)) {
    if (wanted !== undefined && rel !== wanted) continue;
    const subject: SubjectRef = rel === '' ? { type: sf.type, id } : { type: sf.type, id, relation: rel };
    for (const [type, relation] of ix.edgeKindsOf(subject)) {
      if (f.resourceType !== undefined && type !== f.resourceType) continue;
      if (f.relation !== undefined && relation !== f.relation) continue;
      for (const rid of ix.resourcesAt(rev, type, relation, subject)) {
        if (f.resourceIdPrefix !== undefined && !rid.startsWith(f.resourceIdPrefix)) continue;
        const r: Relationship = { resource: { type, id: rid }, relation, subject };
        if (after && compareRelationships(r, after) <= 0) continue;
        out.push(r);
      }
    }
  }
  out.sort(compareRelationships);
  yield* out;
}

function compareSubjects(a: SubjectRef, b: SubjectRef): number {
  return cmp(a.type, b.type) || cmp(a.id, b.id) || cmp(a.relation ?? '', b.relation ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
