/**
 * A file in the V1 layout, with history (deletes, re-creates, usersets, wildcards, schemas), opens
 * under the current layout and reads exactly as the same history does on the memory store: every
 * revision, the change feed, counts, schemas, store id. Afterwards it behaves as a new file does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { RelationshipExistsError } from '../../src/core/errors.js';
import { formatRelationship, parseRelationship } from '../../src/core/refs.js';
import type { Datastore, UpdateOperation } from '../../src/store/datastore.js';
import { MemoryDatastore } from '../../src/store/memory/memory-datastore.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { SqliteDatastore } from '../../src/store/sqlite/sqlite-datastore.js';
import { SqliteV1Writer } from './support/sqlite-v1.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-v1-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Step = { schema: string } | { updates: [UpdateOperation, string][] };

const HISTORY: Step[] = [
  { schema: 'definition user {}' },
  { updates: [['touch', 'doc:d1#viewer@user:ana'], ['touch', 'doc:d1#viewer@user:bob'], ['touch', 'doc:d2#viewer@team:t1#member']] },
  { updates: [['create', 'team:t1#member@user:cat'], ['touch', 'doc:d3#viewer@user:*']] },
  { updates: [['delete', 'doc:d1#viewer@user:ana'], ['touch', 'doc:d1#viewer@user:bob']] },
  { updates: [['touch', 'doc:d1#viewer@user:ana']] },
  { schema: 'definition user {}\ndefinition team {}' },
  { updates: [['delete', 'doc:d1#viewer@user:ana'], ['delete', 'doc:d3#viewer@user:*'], ['delete', 'doc:nope#viewer@user:x']] },
  { updates: [['touch', 'doc:d1#viewer@user:ana'], ['touch', 'folder:f1#parent@doc:d1']] },
  { updates: [] },
];

async function replay(steps: Step[], write: (s: Step) => Promise<number> | number): Promise<void> {
  for (const s of steps) await write(s);
}

const updatesOf = (s: { updates: [UpdateOperation, string][] }) =>
  s.updates.map(([operation, r]) => ({ operation, relationship: parseRelationship(r) }));

async function view(ds: Datastore, head: number) {
  const revisions = [];
  for (let r = 1; r <= head; r++) {
    revisions.push({
      r,
      rels: (await ds.readRelationships({}, r)).map(formatRelationship),
      bySubject: (await ds.readRelationships({ subject: { type: 'user', id: 'ana' } }, r)).map(formatRelationship),
      count: await ds.countRelationships({ resourceType: 'doc' }, r),
      schema: (await ds.readSchema(r))?.hash,
    });
  }
  const feed = (await ds.changesSince(0)).map((rc) => ({
    revision: rc.revision,
    schema: rc.schema?.hash,
    changes: rc.changes.map((c) => `${c.operation} ${formatRelationship(c.relationship)}`).sort(),
  }));
  return { revisions, feed };
}

describe('SQLite V1 -> V2 migration', () => {
  it('reads a V1 file exactly as before, then behaves as a new file', async () => {
    const path = join(dir, 'v1.db');
    const v1 = new SqliteV1Writer(path, 'store-v1');
    await replay(HISTORY, (s) => ('schema' in s ? v1.writeSchema(s.schema, `h${s.schema.length}`) : v1.write(updatesOf(s))));
    v1.close();

    const reference = new MemoryDatastore();
    await replay(HISTORY, (s) => ('schema' in s ? reference.writeSchema(s.schema, `h${s.schema.length}`) : reference.write({ updates: updatesOf(s) })));
    const head = await reference.headRevision();

    const ds = new SqliteDatastore(path);
    try {
      expect(ds.storeId).toBe('store-v1');
      expect(await ds.headRevision()).toBe(head);
      expect(await view(ds, head)).toEqual(await view(reference, head));
      const raw = new Sqlite(path, { readonly: true });
      expect(raw.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
      expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'relationships_v2'").pluck().get()).toBe(0);
      raw.close();

      // The unique-live rule still holds on migrated rows, and new writes land after the old history.
      await expect(ds.write({ updates: [{ operation: 'create', relationship: parseRelationship('doc:d1#viewer@user:bob') }] })).rejects.toBeInstanceOf(
        RelationshipExistsError,
      );
      const next = await ds.write({ updates: [{ operation: 'delete', relationship: parseRelationship('doc:d1#viewer@user:bob') }] });
      expect(next).toBe(head + 1);
      expect((await ds.changesSince(head)).map((rc) => rc.changes.map((c) => `${c.operation} ${formatRelationship(c.relationship)}`))).toEqual([
        ['delete doc:d1#viewer@user:bob'],
      ]);
      // GC drops migrated dead rows too.
      expect(await ds.collectGarbage(next)).toBeGreaterThanOrEqual(3);
      expect((await ds.readRelationships({}, next)).map(formatRelationship)).toEqual([
        'doc:d1#viewer@user:ana',
        'doc:d2#viewer@team:t1#member',
        'folder:f1#parent@doc:d1',
        'team:t1#member@user:cat',
      ]);
    } finally {
      await ds.close();
    }
    // And it opens again without migrating twice.
    const again = new SqliteDatastore(path);
    expect(await again.headRevision()).toBe(head + 1);
    await again.close();
  });
});
