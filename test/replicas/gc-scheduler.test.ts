/**
 * The GC scheduler: a short window drops history from the store and from the replica's own index, the
 * index never goes past the store's horizon, failures are logged and retried instead of thrown, and
 * over PostgreSQL two replicas' schedulers share the work without removing anything twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RevisionUnavailableError } from '../../src/core/errors.js';
import { parseRelationship } from '../../src/core/refs.js';
import type { Revision } from '../../src/core/revision.js';
import { GcScheduler, formatDuration, parseDuration, type GcDeps } from '../../src/server/gc.js';
import { Replica } from '../../src/service/replica.js';
import type { Datastore, WriteBatch } from '../../src/store/datastore.js';
import { MemoryDatastore } from '../../src/store/memory/memory-datastore.js';
import { PostgresDatastore } from '../../src/store/postgres/postgres-datastore.js';
import { RelationshipIndex } from '../../src/store/relationship-index.js';
import { SqliteDatastore } from '../../src/store/sqlite/sqlite-datastore.js';
import { TestSchemas, postgresUrl } from '../support/postgres.js';

const touch = (...rels: string[]): WriteBatch => ({ updates: rels.map((r) => ({ operation: 'touch', relationship: parseRelationship(r) })) });
const del = (...rels: string[]): WriteBatch => ({ updates: rels.map((r) => ({ operation: 'delete', relationship: parseRelationship(r) })) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { log: () => undefined, warn: () => undefined };

/** Writes `n` relationships and deletes them again: 2n dead versions of history, then one live write. */
async function churn(ds: Datastore, n: number, tag: string): Promise<{ before: Revision; after: Revision }> {
  const rels = Array.from({ length: n }, (_, i) => `doc:${tag}${i}#viewer@user:u${i}`);
  const before = await ds.write(touch(...rels));
  await ds.write(del(...rels));
  return { before, after: await ds.headRevision() };
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${ms} ms`);
    await sleep(10);
  }
}

describe('durations', () => {
  it('parses the forms the flags accept and refuses the rest', () => {
    expect(parseDuration('24h', 'gc-window')).toBe(86_400_000);
    expect(parseDuration('30m', 'gc-window')).toBe(1_800_000);
    expect(parseDuration('1h30m', 'gc-window')).toBe(5_400_000);
    expect(parseDuration('500ms', 'gc-window')).toBe(500);
    expect(parseDuration('2d', 'gc-window')).toBe(172_800_000);
    expect(parseDuration('0', 'gc-interval')).toBe(0);
    for (const bad of ['', '24', 'h', '1.5h', '-1h', '24 h', '5x']) {
      expect(() => parseDuration(bad, 'gc-window')).toThrow(/--gc-window must be a duration/);
    }
  });

  it('prints the largest whole unit', () => {
    expect(formatDuration(86_400_000)).toBe('24h');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  it('refuses a window of 0 (every zookie would expire at once)', () => {
    const ds = new MemoryDatastore();
    expect(() => new GcScheduler({ datastore: ds, ...quiet }, { windowMs: 0, intervalMs: 1000 })).toThrow(/GC window/);
  });
});

describe('GcScheduler over SQLite', () => {
  it('drops history older than the window from the store and from the replica index, and keeps the rest', async () => {
    const ds = new SqliteDatastore(':memory:');
    const index = new RelationshipIndex();
    const replica = new Replica(ds, index);
    await replica.start();
    try {
      const old = await churn(ds, 50, 'old');
      await replica.catchUp();
      // Wide margins on both sides of the cutoff: a loaded machine may pause for a while anywhere here.
      await sleep(700);
      const recent = await churn(ds, 20, 'new');
      await replica.catchUp();
      const gc = new GcScheduler({ datastore: ds, revisionAt: (t) => ds.revisionAt(t), index, ...quiet }, { windowMs: 350, intervalMs: 0 });
      const r = await gc.runOnce();

      expect(r.target).toBe(old.after);
      expect(r.horizon).toBe(old.after);
      expect(r.storeRows).toBe(50);
      expect(r.indexEntries).toBe(50);
      expect(await ds.oldestReadableRevision()).toBe(old.after);
      expect(index.oldest).toBe(old.after);
      await expect(ds.readRelationships({}, old.before)).rejects.toThrow(RevisionUnavailableError);
      expect(() => index.snapshot(old.before)).toThrow(RevisionUnavailableError);
      // Inside the window everything is still readable, in the store and in memory.
      expect(await ds.countRelationships({}, recent.before)).toBe(20);
      expect(index.snapshot(recent.before)).toBeDefined();

      // Nothing new is old enough: a second run removes nothing.
      expect(await gc.runOnce()).toMatchObject({ storeRows: 0, indexEntries: 0 });
    } finally {
      replica.stop();
      await ds.close();
    }
  });

  it('keeps the index at the store horizon when the store collected less than asked', async () => {
    const ds = new SqliteDatastore(':memory:');
    const index = new RelationshipIndex();
    const replica = new Replica(ds, index);
    await replica.start();
    try {
      await churn(ds, 5, 'a');
      await replica.catchUp();
      const horizonBefore = await ds.oldestReadableRevision();
      // A store that declines to collect (as when another replica holds the PostgreSQL GC lock).
      const declining: GcDeps['datastore'] = {
        headRevision: () => ds.headRevision(),
        oldestReadableRevision: () => ds.oldestReadableRevision(),
        collectGarbage: async () => 0,
      };
      const gc = new GcScheduler({ datastore: declining, revisionAt: (t) => ds.revisionAt(t), index, ...quiet }, { windowMs: 1, intervalMs: 0 });
      await sleep(5);
      const r = await gc.runOnce();
      expect(r.target).toBeGreaterThan(horizonBefore);
      expect(r.horizon).toBe(horizonBefore);
      expect(r.indexEntries).toBe(0);
      expect(index.oldest).toBe(horizonBefore);
    } finally {
      replica.stop();
      await ds.close();
    }
  });
});

describe('GcScheduler on a timer', () => {
  it('collects the memory store by its own samples of the head (the memory store keeps no commit times)', async () => {
    const ds = new MemoryDatastore();
    let now = 1_000_000;
    const logs: string[] = [];
    const gc = new GcScheduler({ datastore: ds, now: () => now, log: (m) => logs.push(m), warn: (m) => logs.push(`warn ${m}`) }, { windowMs: 1000, intervalMs: 20 });
    const old = await churn(ds, 10, 'm');
    gc.start();
    try {
      // The start sample says: by t=1_000_000 the head was old.after.
      await sleep(5);
      now = 1_000_800;
      await churn(ds, 3, 'n');
      await sleep(60);
      expect(await ds.oldestReadableRevision()).toBe(0); // nothing is older than 1 s yet
      // The cutoff (1_000_500) falls between the samples at 1_000_000 (old.after) and 1_000_800.
      now = 1_001_500;
      await until(() => logs.length > 0, 2000);
      expect(await ds.oldestReadableRevision()).toBe(old.after);
      expect(logs[0]).toMatch(/^gc: history before revision \d+ dropped \(window 1s\): 10 store rows, 0 index entries/);
    } finally {
      await gc.stop();
      await ds.close();
    }
  });

  it('logs a failed run, keeps its schedule and never rejects', async () => {
    let calls = 0;
    const warnings: string[] = [];
    const failing: GcDeps['datastore'] = {
      headRevision: async () => 10,
      oldestReadableRevision: async () => 0,
      collectGarbage: async () => {
        calls++;
        throw new Error('the PostgreSQL database is unreachable; retry later');
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const gc = new GcScheduler({ datastore: failing, revisionAt: async () => 5, log: () => undefined, warn: (m) => warnings.push(m) }, { windowMs: 1000, intervalMs: 10 });
    try {
      gc.start();
      await until(() => calls >= 3, 2000);
      await gc.stop();
      const after = calls;
      await sleep(50);
      expect(calls).toBe(after); // stopped means stopped
      expect(warnings[0]).toBe('gc failed, retrying in 10ms: the PostgreSQL database is unreachable; retry later');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await gc.stop();
    }
  });

  it('an interval of 0 never runs', async () => {
    let calls = 0;
    const ds = new MemoryDatastore();
    const counting: GcDeps['datastore'] = {
      headRevision: () => ds.headRevision(),
      oldestReadableRevision: () => ds.oldestReadableRevision(),
      collectGarbage: async (b) => {
        calls++;
        return ds.collectGarbage(b);
      },
    };
    const gc = new GcScheduler({ datastore: counting, ...quiet }, { windowMs: 1, intervalMs: 0 });
    gc.start();
    await sleep(30);
    await gc.stop();
    expect(calls).toBe(0);
  });
});

describe.skipIf(!postgresUrl)('GcScheduler over PostgreSQL, two replicas', () => {
  const schemas = new TestSchemas();
  afterAll(() => schemas.dropAll());

  it('both collect their own index; the store rows are removed once in all', async () => {
    const schema = schemas.create();
    const open = () => PostgresDatastore.open(postgresUrl!, { schema, migrate: true, poolSize: 3, warn: () => undefined });
    const a = await open();
    const b = await open();
    const ia = new RelationshipIndex();
    const ib = new RelationshipIndex();
    const ra = new Replica(a, ia);
    const rb = new Replica(b, ib);
    await ra.start();
    await rb.start();
    try {
      const old = await churn(a, 200, 'p');
      await sleep(1000);
      const recent = await churn(b, 10, 'q');
      await ra.waitForRevision(recent.after, 5000);
      await rb.waitForRevision(recent.after, 5000);
      const gcOf = (ds: PostgresDatastore, index: RelationshipIndex) =>
        new GcScheduler({ datastore: ds, revisionAt: (t) => ds.revisionAt(t), index, ...quiet }, { windowMs: 500, intervalMs: 0 });
      const ga = gcOf(a, ia);
      const gb = gcOf(b, ib);
      const [x, y] = await Promise.all([ga.runOnce(), gb.runOnce()]);
      expect(x.storeRows + y.storeRows).toBe(200);
      // The one that lost the lock race may not see the new horizon yet: its index waits for the next run.
      for (const [r, index] of [[x, ia], [y, ib]] as const) {
        expect(r.horizon).toBeLessThanOrEqual(old.after);
        expect(index.oldest).toBe(r.horizon);
      }
      const [x2, y2] = [await ga.runOnce(), await gb.runOnce()];
      expect(x2.storeRows + y2.storeRows).toBe(0);
      expect([x2.horizon, y2.horizon]).toEqual([old.after, old.after]);
      expect([x.indexEntries + x2.indexEntries, y.indexEntries + y2.indexEntries]).toEqual([200, 200]);
      expect([ia.oldest, ib.oldest]).toEqual([old.after, old.after]);
      await expect(b.readRelationships({}, old.before)).rejects.toThrow(RevisionUnavailableError);
      expect(await a.countRelationships({}, recent.before)).toBe(10);
    } finally {
      ra.stop();
      rb.stop();
      await a.close();
      await b.close();
    }
  });
});
