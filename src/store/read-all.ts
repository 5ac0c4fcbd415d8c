/**
 * Streams every relationship matching a filter at one revision, page by page through the keyset
 * cursor, so that exporting or loading millions of relationships never holds them all at once.
 */
import type { RelationshipFilter } from '../core/filter.js';
import type { Relationship } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { Datastore } from './datastore.js';

export async function* readAllRelationships(
  ds: Datastore,
  filter: RelationshipFilter,
  at: Revision,
  pageSize = 5000,
): AsyncGenerator<Relationship[]> {
  let after: Relationship | undefined;
  for (;;) {
    const page = await ds.readRelationships(filter, at, after ? { limit: pageSize, after } : { limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1];
  }
}
