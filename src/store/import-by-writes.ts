/**
 * Datastore.importRelationships for stores without a bulk path: one `write` of touches per batch,
 * each committed before the next batch is read.
 */
import type { Relationship } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { WriteBatch } from './datastore.js';

export async function importByWrites(
  write: (batch: WriteBatch) => Promise<Revision>,
  batches: AsyncIterable<readonly Relationship[]>,
): Promise<Revision | undefined> {
  let last: Revision | undefined;
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    last = await write({ updates: batch.map((relationship) => ({ operation: 'touch' as const, relationship })) });
  }
  return last;
}
