/**
 * Revisions are totally ordered integers: every committed write gets the next one, and a read at
 * revision R sees exactly the writes numbered <= R. Each datastore is responsible for making commit
 * order equal revision order (see the store implementations for the argument).
 */
export type Revision = number;

/** The revision of an empty store, before any write. */
export const REVISION_ZERO: Revision = 0;
