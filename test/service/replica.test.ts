/**
 * The replica over a real SQLite file: its own commits are applied from the store's hand-over without
 * reading them back; anything else (another connection's writes, deletes by filter) comes from the
 * feed; either way every revision reaches the index once, in order. Start-up loads the head in one
 * pass and keeps history from there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RevisionUnavailableError } from '../../src/core/errors.js';
import { formatRelationship, parseRelationship } from '../../src/core/refs.js';
import type { Revision } from '../../src/core/revision.js';
import { Replica, type FollowedIndex, type ReplicaOptions } from '../../src/service/replica.js';
import type { Datastore, RevisionChanges } from '../../src/store/datastore.js';
import { TimedDatastore } from '../../src/store/proxy/timed-datastore.js';
import { RelationshipIndex } from '../../src/store/relationship-index.js';
import { SqliteDatastore } from '../../src/store/sqlite/sqlite-datastore.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-replica-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `r-${n++}.db`);

const touch = (...rels: string[]) => ({ updates: rels.map((r) => ({ operation: 'touch' as const, relationship: parseRelationship(r) })) });
const remove = (...rels: string[]) => ({ updates: rels.map((r) => ({ operation: 'delete' as const, relationship: parseRelationship(r) })) });

/** A RelationshipIndex that records the revisions applied to it. */
function recording(index = new RelationshipIndex()): FollowedIndex & { applied: Revision[]; index: RelationshipIndex } {
  const applied: Revision[] = [];
  return {
    applied,
    index,
    get head() {
      return index.head;
    },
    get liveCount() {
      return index.liveCount;
    },
    apply(rc: RevisionChanges) {
      applied.push(rc.revision);
      index.apply(rc);
    },
    load: (rels, at) => index.load(rels, at),
    snapshot: (rev) => index.snapshot(rev),
  };
}

/** The store's datastore with every call counted by method. */
function counted(ds: Datastore): { ds: Datastore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return { ds: new TimedDatastore(ds, { observe: (m) => calls.set(m, (calls.get(m) ?? 0) + 1) }), calls };
}

async function expectSameAsStore(ds: Datastore, index: RelationshipIndex, from: Revision, to: Revision): Promise<void> {
  for (let r = from; r <= to; r++) {
    expect(index.read(r, {}).map(formatRelationship), `revision ${r}`).toEqual((await ds.readRelationships({}, r)).map(formatRelationship));
  }
}

async function started(ds: Datastore, index: FollowedIndex, options: ReplicaOptions = {}): Promise<Replica> {
  const replica = new Replica(ds, index, { onError: (e) => expect.fail(String(e)), ...options });
  await replica.start();
  return replica;
}

describe('Replica over SQLite', () => {
  it('applies its own commits from the hand-over, in order, without reading them back', async () => {
    const store = new SqliteDatastore(freshPath());
    const { ds, calls } = counted(store);
    const index = recording();
    const replica = await started(ds, index);
    try {
      const before = calls.get('changesSince') ?? 0;
      await ds.writeSchema('definition user {}', 'h1');
      for (let i = 0; i < 20; i++) await ds.write(touch(`doc:d${i}#viewer@user:u${i % 3}`, `doc:d${i}#owner@team:t${i}#member`));
      await ds.write({ updates: [...remove('doc:d3#viewer@user:u0').updates, ...touch('doc:d3#viewer@user:u9').updates] });
      await ds.write({ updates: [{ operation: 'create', relationship: parseRelationship('doc:new#viewer@user:z') }] });
      const head = await ds.headRevision();
      await replica.waitForRevision(head, 2000);
      expect(index.applied).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(calls.get('changesSince') ?? 0).toBe(before);
      expect(replica.schemaAt(head)?.hash).toBe('h1');
      await expectSameAsStore(ds, index.index, 1, head);
    } finally {
      replica.stop();
      await ds.close();
    }
  });

  it('reads from the feed what it was not handed: deletes by filter, another connection, gaps', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path);
    const other = new SqliteDatastore(path);
    const index = recording();
    const replica = await started(ds, index);
    try {
      await ds.write(touch('doc:a#viewer@user:ana'));
      await other.write(touch('doc:b#viewer@user:ana', 'doc:c#viewer@user:bob'));
      await ds.write(touch('doc:d#viewer@user:ana')); // handed over, but revision 2 is not applied yet
      await ds.deleteRelationships({ subject: { type: 'user', id: 'bob' } });
      await other.writeSchema('definition user {}', 'h');
      await ds.write(remove('doc:a#viewer@user:ana'));
      const head = await ds.headRevision();
      await replica.waitForRevision(head, 2000);
      expect(index.applied).toEqual([1, 2, 3, 4, 5, 6]);
      expect(replica.head).toBe(6);
      expect(replica.schemaAt(5)?.hash).toBe('h');
      await expectSameAsStore(ds, index.index, 1, head);
    } finally {
      replica.stop();
      await other.close();
      await ds.close();
    }
  });

  it('catches up with an import in bounded reads of the feed', async () => {
    const store = new SqliteDatastore(freshPath());
    const { ds, calls } = counted(store);
    const index = recording();
    const replica = await started(ds, index, { batchChanges: 25 });
    try {
      async function* batches() {
        for (let b = 0; b < 8; b++) yield Array.from({ length: 10 }, (_, i) => parseRelationship(`doc:b${b}i${i}#viewer@user:u${i}`));
      }
      const last = await ds.importRelationships(batches());
      await replica.catchUp();
      expect(replica.head).toBe(last);
      expect(index.applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(index.liveCount).toBe(80);
      // 25 changes per read: three revisions at a time, and one read that finds the end.
      expect(calls.get('changesSince')).toBeGreaterThanOrEqual(4);
    } finally {
      replica.stop();
      await ds.close();
    }
  });

  it('starts from the head in one pass with a snapshot, from the oldest revision without; refuses what is before', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path);
    await ds.writeSchema('definition user {}', 'h1');
    for (let i = 0; i < 30; i++) await ds.write(touch(`doc:d${i}#viewer@user:u${i % 4}`, `team:t${i % 5}#member@user:u${i}`));
    await ds.write(remove('doc:d1#viewer@user:u1', 'doc:d2#viewer@user:u2'));
    await ds.collectGarbage(5);
    for (const [options, from] of [
      [{ snapshot: () => ds.snapshotLive() }, 'head'],
      [{}, 'oldest'],
    ] as [ReplicaOptions, string][]) {
      const head = await ds.headRevision();
      const start = from === 'head' ? head : await ds.oldestReadableRevision();
      const index = recording();
      const replica = await started(ds, index, options);
      try {
        expect(replica.loadedAt, from).toBe(start);
        expect(replica.head).toBe(head);
        expect(index.applied).toEqual(Array.from({ length: head - start }, (_, i) => start + i + 1));
        expect(index.liveCount).toBe(await ds.countRelationships({}, head));
        expect(replica.schemaAt(head)?.hash).toBe('h1');
        await expectSameAsStore(ds, index.index, start, head);
        expect(() => index.snapshot(start - 1)).toThrow(RevisionUnavailableError);
        const next = await ds.write(touch('doc:after#viewer@user:u1'));
        await replica.waitForRevision(next, 2000);
        expect(index.applied.at(-1)).toBe(next);
        await expectSameAsStore(ds, index.index, start, next);
      } finally {
        replica.stop();
      }
    }
    await ds.close();
  });

  it('reads the start-up snapshot page by page, live rows only', async () => {
    const ds = new SqliteDatastore(freshPath());
    try {
      async function* batches() {
        for (let b = 0; b < 3; b++) yield Array.from({ length: 9_000 }, (_, i) => parseRelationship(`doc:b${b}i${i}#viewer@user:u${i % 11}`));
      }
      await ds.importRelationships(batches());
      await ds.write(remove('doc:b0i0#viewer@user:u0'));
      const snapshot = ds.snapshotLive();
      expect(snapshot.revision).toBe(4);
      const sizes = [...snapshot.pages].map((p) => p.length);
      expect(sizes).toEqual([10_000, 10_000, 6_999]);
    } finally {
      await ds.close();
    }
  });
});
