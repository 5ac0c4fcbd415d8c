/**
 * The SQLite change feed and the start-up scan, both read in bulk (row-text.ts). Rows are stored in
 * creation order (rowid), so both read the table front to back: the feed through the integer
 * revision indexes, the scan by rowid ranges.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Relationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
import type { Change, RevisionChanges, StoredSchema } from '../datastore.js';
import { LIVE } from './filter-sql.js';
import { ROW_SEPARATOR_SQL, ROW_TEXT, RowTextDecoder } from './row-text.js';

interface RevRow {
  rev: number;
}
interface GroupRow {
  rev: number;
  n: number;
  text: string | null;
}
export interface SchemaRow {
  rev: number;
  text: string;
  hash: string;
}
interface ChunkRow {
  last: number | null;
  n: number;
  text: string | null;
}

export function schemaOf(row: SchemaRow): StoredSchema {
  return { text: row.text, hash: row.hash, revision: row.rev };
}

export class ChangeFeed {
  private readonly decoder = new RowTextDecoder();
  private readonly sRevsAfter: Statement<[number, number], RevRow>;
  private readonly sCreatedIn: Statement<[number, number], GroupRow>;
  private readonly sDeletedIn: Statement<[number, number], GroupRow>;
  private readonly sSchemasIn: Statement<[number, number], SchemaRow>;

  constructor(db: Database) {
    const rows = `count(*) AS n, group_concat(${ROW_TEXT}, ${ROW_SEPARATOR_SQL}) AS text`;
    this.sRevsAfter = db.prepare('SELECT rev FROM revisions WHERE rev > ? ORDER BY rev LIMIT ?');
    this.sCreatedIn = db.prepare(
      `SELECT created_rev AS rev, ${rows} FROM relationships WHERE created_rev > ? AND created_rev <= ? GROUP BY created_rev ORDER BY created_rev`,
    );
    // `deleted_rev > 0` lets SQLite use the partial index of deleted rows.
    this.sDeletedIn = db.prepare(
      `SELECT deleted_rev AS rev, ${rows} FROM relationships WHERE deleted_rev > 0 AND deleted_rev > ? AND deleted_rev <= ? GROUP BY deleted_rev ORDER BY deleted_rev`,
    );
    this.sSchemasIn = db.prepare('SELECT rev, text, hash FROM schemas WHERE rev > ? AND rev <= ? ORDER BY rev');
  }

  /** Datastore.changesSince, inside the caller's read transaction. */
  changesSince(after: Revision, limit: number | undefined, maxChanges: number | undefined): RevisionChanges[] {
    const revs = this.sRevsAfter.all(after, limit ?? -1);
    if (revs.length === 0) return [];
    const last = revs[revs.length - 1]!.rev;
    const created = this.sCreatedIn.iterate(after, last);
    const deleted = this.sDeletedIn.iterate(after, last);
    const schemas = this.sSchemasIn.iterate(after, last);
    const out: RevisionChanges[] = [];
    try {
      let c = created.next();
      let d = deleted.next();
      let s = schemas.next();
      let total = 0;
      for (const { rev } of revs) {
        const changes: Change[] = [];
        // Deletes first: a revision never both deletes and creates one relationship, but this order
        // would still be the right one to replay if it did.
        if (!d.done && d.value.rev === rev) {
          this.decoder.decode(d.value.text, d.value.n, (relationship) => changes.push({ operation: 'delete', relationship }));
          d = deleted.next();
        }
        if (!c.done && c.value.rev === rev) {
          this.decoder.decode(c.value.text, c.value.n, (relationship) => changes.push({ operation: 'touch', relationship }));
          c = created.next();
        }
        let schema: StoredSchema | undefined;
        if (!s.done && s.value.rev === rev) {
          schema = schemaOf(s.value);
          s = schemas.next();
        }
        out.push(schema ? { revision: rev, changes, schema } : { revision: rev, changes });
        total += changes.length;
        if (maxChanges !== undefined && total >= maxChanges) break;
      }
    } finally {
      created.return?.();
      deleted.return?.();
      schemas.return?.();
    }
    return out;
  }
}

/**
 * Every relationship live at `at`, in chunks of up to `chunkRows`, in rowid order: one pass over the
 * table. Each chunk is its own statement (and read transaction): rows visible at a fixed revision stay
 * visible while the scan runs, as garbage collection only drops rows deleted before the oldest
 * readable revision, which the caller checks is not past `at`.
 */
export function* scanLive(db: Database, at: Revision, chunkRows: number): Generator<Relationship[]> {
  // NOT INDEXED: the rowid range is the only access path wanted (an index on created_rev would jump around).
  const chunk = db.prepare<[{ after: number; at: number; n: number }], ChunkRow>(
    `SELECT max(id) AS last, count(*) AS n, group_concat(line, ${ROW_SEPARATOR_SQL}) AS text FROM
       (SELECT id, ${ROW_TEXT} AS line FROM relationships NOT INDEXED
        WHERE id > @after AND created_rev <= @at AND (${LIVE} OR deleted_rev > @at) ORDER BY id LIMIT @n)`,
  );
  const decoder = new RowTextDecoder();
  let after = 0;
  for (;;) {
    const row = chunk.get({ after, at, n: chunkRows })!;
    if (row.last === null) return;
    after = row.last;
    const page: Relationship[] = [];
    decoder.decode(row.text, row.n, (r) => page.push(r));
    yield page;
  }
}
