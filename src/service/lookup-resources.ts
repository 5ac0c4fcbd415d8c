import { engineContext, engineFor, readForPage, type ServiceDeps } from './deps.js';
import { decodeCursor, encodeCursor, isString, pageSize, relationField, subjectField, typeField } from './input.js';
import type { CallOptions, LookupResourcesRequest, LookupResourcesResponse } from './types.js';
import { SchemaNotFoundError } from '../core/errors.js';

export async function lookupResources(deps: ServiceDeps, req: LookupResourcesRequest, call?: CallOptions): Promise<LookupResourcesResponse> {
  const resourceType = typeField(req.resourceType, 'resourceType');
  const permission = relationField(req.permission, 'permission');
  const subject = subjectField(req.subject, 'subject');
  const limit = pageSize(req.limit, deps.limits);
  const cursor = decodeCursor(req.cursor, isString);
  const read = await readForPage(deps, cursor, req.consistency, call);
  if (!read.schema) throw new SchemaNotFoundError();
  const page = engineFor(deps, read).lookupResources(
    engineContext(deps, read.revision, read.schema, call),
    resourceType,
    permission,
    subject,
    { limit, cursor: cursor?.after },
  );
  // The engine's own cursor rides inside ours, which adds the revision that pins every page.
  return {
    resources: page.resourceIds,
    ...(page.cursor !== undefined ? { cursor: encodeCursor({ revision: read.revision, after: page.cursor }) } : {}),
    zookie: deps.consistency.zookie(read.revision, read.schema),
  };
}
