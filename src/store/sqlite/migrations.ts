/**
 * The SQLite file's schema, as numbered migrations. The version lives in the metadata table; a file
 * written by a newer Warden is refused rather than misread.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { NotSupportedError } from '../../core/errors.js';

/**
 * The V2 indexes on relationships, by name: a bulk import into an empty store drops the text ones and
 * builds them again after its rows are in (see bulk-import.ts).
 */
export const KEY_INDEX =
  'CREATE UNIQUE INDEX relationships_key ON relationships (resource_type, resource_id, relation, subject_type, subject_id, subject_relation, deleted_rev)';
// The subject id alone: building (type, id, relation) took half as long again (its many equal prefixes
// make each sort comparison read further), and the id is what makes a lookup by subject selective. A
// filter on a subject type alone scans.
export const SUBJECT_INDEX = 'CREATE INDEX relationships_subject ON relationships (subject_id)';
const RELATIONSHIP_INDEXES = [
  KEY_INDEX,
  SUBJECT_INDEX,
  'CREATE INDEX relationships_created ON relationships (created_rev)',
  'CREATE INDEX relationships_deleted ON relationships (deleted_rev) WHERE deleted_rev > 0',
];

/**
 * V1 (old files are migrated forward from it). relationships: WITHOUT ROWID, clustered on the forward
 * key plus created_rev. subject_relation is '' for a plain subject so that it can be part of keys.
 * deleted_rev is NULL while the row is live. relationships_live enforces "at most one live row per
 * relationship"; relationships_reverse serves lookups by subject; the revision indexes serve the change
 * feed and GC.
 */
const V1 = `
CREATE TABLE relationships (
  resource_type    TEXT NOT NULL,
  resource_id      TEXT NOT NULL,
  relation         TEXT NOT NULL,
  subject_type     TEXT NOT NULL,
  subject_id       TEXT NOT NULL,
  subject_relation TEXT NOT NULL,
  created_rev      INTEGER NOT NULL,
  deleted_rev      INTEGER,
  PRIMARY KEY (resource_type, resource_id, relation, subject_type, subject_id, subject_relation, created_rev)
) WITHOUT ROWID;
CREATE UNIQUE INDEX relationships_live
  ON relationships (resource_type, resource_id, relation, subject_type, subject_id, subject_relation)
  WHERE deleted_rev IS NULL;
CREATE INDEX relationships_reverse
  ON relationships (subject_type, subject_id, subject_relation, resource_type, relation);
CREATE INDEX relationships_created ON relationships (created_rev);
CREATE INDEX relationships_deleted ON relationships (deleted_rev) WHERE deleted_rev IS NOT NULL;
CREATE TABLE revisions (
  rev          INTEGER PRIMARY KEY,
  committed_at INTEGER NOT NULL
);
CREATE TABLE schemas (
  rev  INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  hash TEXT NOT NULL
);
`;

/**
 * V2: a rowid table, rows in insertion (= creation) order, so that the change feed and the start-up
 * scan read it front to back; deleted_rev is 0 while live (NULLs never collide in a unique index, so
 * NULL could not mark the one live row; and 0 takes no space in a record). relationships_key, unique on the key plus deleted_rev, serves
 * touch/create (at most one live row per relationship), forward reads and keyset pagination at any
 * revision; relationships_subject serves lookups by subject; the revision indexes are integers,
 * appended to in order, for the change feed and GC. V1 wrote four wide text B-trees per row, which
 * made an import of a million rows rewrite most of their pages at every batch.
 */
const V2 = `
CREATE TABLE relationships_v2 (
  id               INTEGER PRIMARY KEY,
  resource_type    TEXT NOT NULL,
  resource_id      TEXT NOT NULL,
  relation         TEXT NOT NULL,
  subject_type     TEXT NOT NULL,
  subject_id       TEXT NOT NULL,
  subject_relation TEXT NOT NULL,
  created_rev      INTEGER NOT NULL,
  deleted_rev      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO relationships_v2
  (resource_type, resource_id, relation, subject_type, subject_id, subject_relation, created_rev, deleted_rev)
  SELECT resource_type, resource_id, relation, subject_type, subject_id, subject_relation, created_rev, coalesce(deleted_rev, 0)
  FROM relationships ORDER BY created_rev;
DROP TABLE relationships;
ALTER TABLE relationships_v2 RENAME TO relationships;
${RELATIONSHIP_INDEXES.join(';\n')};
`;

/** MIGRATIONS[i] takes the file from version i to version i + 1. */
const MIGRATIONS: readonly string[] = [V1, V2];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file up to SCHEMA_VERSION (or `target`, only for tests that write an older layout);
 * returns its store id (created on first open).
 */
export function migrate(db: Database, newStoreId?: string, target = SCHEMA_VERSION): string {
  const run = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    const get = db.prepare<[string], { value: string }>('SELECT value FROM metadata WHERE key = ?');
    const set = db.prepare('INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const version = Number(get.get('schema_version')?.value ?? '0');
    if (!Number.isInteger(version) || version < 0) {
      throw new NotSupportedError(`the database file has an unreadable schema version \`${String(version)}\``);
    }
    if (version > SCHEMA_VERSION) {
      throw new NotSupportedError(
        `the database file has schema version ${version}, newer than this Warden supports (${SCHEMA_VERSION}): it was written by a newer Warden; upgrade Warden to open it`,
      );
    }
    for (let v = version; v < target; v++) {
      db.exec(MIGRATIONS[v]!);
      set.run('schema_version', String(v + 1));
    }
    let storeId = get.get('store_id')?.value;
    if (storeId === undefined) {
      storeId = newStoreId ?? randomUUID();
      set.run('store_id', storeId);
      set.run('oldest_revision', '0');
    }
    return storeId;
  });
  return run.immediate();
}
