/**
 * A SQLite file in the V1 layout (schema version 1), written the way Warden wrote V1 files: the first
 * migration's DDL, and the same statements for a touch, a create, a delete and a schema write, each in
 * its own transaction at the next revision. Used to prove that such a file migrates forward intact.
 */
import Sqlite from 'better-sqlite3';
import type { Relationship } from '../../../src/core/refs.js';
import { ELLIPSIS } from '../../../src/core/refs.js';
import { migrate } from '../../../src/store/sqlite/migrations.js';

const COLUMNS = 'resource_type, resource_id, relation, subject_type, subject_id, subject_relation';
const KEY = 'resource_type = ? AND resource_id = ? AND relation = ? AND subject_type = ? AND subject_id = ? AND subject_relation = ?';

function key(r: Relationship): string[] {
  const srel = r.subject.relation;
  return [r.resource.type, r.resource.id, r.relation, r.subject.type, r.subject.id, srel === undefined || srel === ELLIPSIS ? '' : srel];
}

export class SqliteV1Writer {
  private readonly db: Sqlite.Database;

  constructor(path: string, storeId: string) {
    this.db = new Sqlite(path);
    this.db.pragma('journal_mode = WAL');
    // The first migration alone is the V1 layout, as a V1 Warden created it.
    migrate(this.db, storeId, 1);
  }

  write(updates: readonly { operation: 'touch' | 'create' | 'delete'; relationship: Relationship }[]): number {
    return this.db.transaction(() => {
      const rev = this.next();
      for (const u of updates) {
        const k = key(u.relationship);
        if (u.operation === 'delete') {
          this.db.prepare(`UPDATE relationships SET deleted_rev = ? WHERE ${KEY} AND deleted_rev IS NULL`).run(rev, ...k);
        } else {
          const conflict = u.operation === 'touch' ? ` ON CONFLICT (${COLUMNS}) WHERE deleted_rev IS NULL DO NOTHING` : '';
          this.db.prepare(`INSERT INTO relationships (${COLUMNS}, created_rev) VALUES (?, ?, ?, ?, ?, ?, ?)${conflict}`).run(...k, rev);
        }
      }
      return rev;
    }).immediate();
  }

  writeSchema(text: string, hash: string): number {
    return this.db.transaction(() => {
      const rev = this.next();
      this.db.prepare('INSERT INTO schemas (rev, text, hash) VALUES (?, ?, ?)').run(rev, text, hash);
      return rev;
    }).immediate();
  }

  close(): void {
    this.db.close();
  }

  private next(): number {
    const rev = (this.db.prepare('SELECT coalesce(max(rev), 0) AS head FROM revisions').get() as { head: number }).head + 1;
    this.db.prepare('INSERT INTO revisions (rev, committed_at) VALUES (?, ?)').run(rev, Date.now());
    return rev;
  }
}
