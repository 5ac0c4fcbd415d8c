import { formatRelationship, parseRelationship } from '../core/refs.js';
import { readForPage, type ServiceDeps } from './deps.js';
import { decodeCursor, encodeCursor, filterField, isString, pageSize } from './input.js';
import type { CallOptions, ReadRelationshipsRequest, ReadRelationshipsResponse } from './types.js';

/** One page of stored relationships (read from the store, not the index: exports and audits want the source of truth). */
export async function readRelationships(deps: ServiceDeps, req: ReadRelationshipsRequest, call?: CallOptions): Promise<ReadRelationshipsResponse> {
  const filter = filterField(req.filter);
  const limit = pageSize(req.limit, deps.limits);
  const cursor = decodeCursor(req.cursor, isString);
  const read = await readForPage(deps, cursor, req.consistency, call);
  const after = cursor ? parseRelationship(cursor.after) : undefined;
  // One extra row tells whether another page follows without a second query.
  const rows = await deps.datastore.readRelationships(filter, read.revision, { limit: limit + 1, ...(after ? { after } : {}) });
  const page = rows.slice(0, limit).map(formatRelationship);
  return {
    relationships: page,
    ...(rows.length > limit ? { cursor: encodeCursor({ revision: read.revision, after: page[page.length - 1]! }) } : {}),
    zookie: deps.consistency.zookie(read.revision, read.schema),
  };
}
