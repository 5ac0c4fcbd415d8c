import { SchemaNotFoundError } from '../core/errors.js';
import { engineContext, engineFor, readForPage, type ServiceDeps } from './deps.js';
import { decodeCursor, encodeCursor, isString, objectField, pageSize, relationField, subjectTypeField } from './input.js';
import type { CallOptions, LookedUpSubject, LookupSubjectsRequest, LookupSubjectsResponse } from './types.js';

export async function lookupSubjects(deps: ServiceDeps, req: LookupSubjectsRequest, call?: CallOptions): Promise<LookupSubjectsResponse> {
  const resource = objectField(req.resource, 'resource');
  const permission = relationField(req.permission, 'permission');
  const subjectType = subjectTypeField(req.subjectType, 'subjectType');
  const limit = pageSize(req.limit, deps.limits);
  const cursor = decodeCursor(req.cursor, isString);
  const read = await readForPage(deps, cursor, req.consistency, call);
  if (!read.schema) throw new SchemaNotFoundError();
  const all = engineFor(deps, read).lookupSubjects(
    engineContext(deps, read.revision, read.schema, call),
    resource,
    permission,
    subjectType.type,
    subjectType.relation,
  );
  // The engine returns the subjects sorted by id; a page is the slice after the cursor's id.
  let start = 0;
  if (cursor) {
    while (start < all.length && all[start]!.subjectId <= cursor.after) start++;
  }
  const slice = all.slice(start, start + limit);
  const subjects: LookedUpSubject[] = slice.map((s) =>
    s.excludedSubjectIds.length > 0 ? { id: s.subjectId, excluded: [...s.excludedSubjectIds] } : { id: s.subjectId },
  );
  const more = start + limit < all.length;
  return {
    subjects,
    ...(more ? { cursor: encodeCursor({ revision: read.revision, after: slice[slice.length - 1]!.subjectId }) } : {}),
    zookie: deps.consistency.zookie(read.revision, read.schema),
  };
}
