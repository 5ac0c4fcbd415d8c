/**
 * Two PostgresDatastore instances over one database stand in for two replicas: commits made through
 * one are heard of (LISTEN/NOTIFY) and read (changesSince) through the other, also after the listening
 * connection or the pooled ones were killed; GC runs on one replica at a time.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { RevisionUnavailableError } from '../../src/core/errors.js';
import { formatRelationship, parseRelationship } from '../../src/core/refs.js';
import type { Revision } from '../../src/core/revision.js';
import type { PostgresDatastoreOptions } from '../../src/store/postgres/postgres-datastore.js';
import { PostgresDatastore } from '../../src/store/postgres/postgres-datastore.js';
import { TestSchemas, adminQuery, postgresUrl } from '../support/postgres.js';

const url = postgresUrl ?? '';
const schemas = new TestSchemas();
const warnings: string[] = [];
const open = (schema: string, options: PostgresDatastoreOptions = {}) =>
  PostgresDatastore.open(url, { schema, migrate: true, poolSize: 3, warn: (m) => warnings.push(m), ...options });
const touch = (s: string) => ({ updates: [{ operation: 'touch' as const, relationship: parseRelationship(s) }] });

/** Resolves with the first head >= `rev` that `ds` announces, or rejects after `ms`. */
function heard(ds: PostgresDatastore, rev: Revision, ms = 10_000): Promise<Revision> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no onCommit with a head >= ${rev} within ${ms} ms`));
    }, ms);
    const off = ds.onCommit((head) => {
      if (head < rev) return;
      clearTimeout(timer);
      off();
      resolve(head);
    });
  });
}

async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!postgresUrl)('postgres change feed across processes', () => {
  afterAll(() => schemas.dropAll());

  it('delivers a write through A to B: onCommit, then changesSince and reads at that revision', async () => {
    const schema = schemas.create();
    const a = await open(schema);
    const b = await open(schema);
    try {
      expect(b.storeId).toBe(a.storeId);
      const waiting = heard(b, 1);
      const r1 = await a.write(touch('doc:d1#viewer@user:ana'));
      expect(await waiting).toBe(r1);
      const [c] = await b.changesSince(0);
      expect(c!.revision).toBe(r1);
      expect(c!.changes.map((x) => `${x.operation} ${formatRelationship(x.relationship)}`)).toEqual(['touch doc:d1#viewer@user:ana']);
      expect((await b.readRelationships({}, r1)).map(formatRelationship)).toEqual(['doc:d1#viewer@user:ana']);

      // A schema write and an empty write are revisions too; B hears of the newest.
      const heads: Revision[] = [];
      b.onCommit((h) => heads.push(h));
      await a.writeSchema('definition user {}', 'h1');
      const r3 = await a.write({ updates: [] });
      await until(() => heads.includes(r3));
      const feed = await b.changesSince(r1);
      expect(feed.map((x) => [x.revision, x.changes.length, x.schema?.hash])).toEqual([
        [2, 0, 'h1'],
        [3, 0, undefined],
      ]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reconnects its LISTEN connection after it is killed, and still hears of A’s writes', async () => {
    const schema = schemas.create();
    const a = await open(schema, { listen: false });
    const b = await open(schema);
    try {
      const pid = b.listenerProcessId;
      expect(pid).toBeTypeOf('number');
      const before = warnings.length;
      await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
      // A commit while B's listener is down: its notification is lost, yet after reconnecting B
      // announces the head, so nothing is missed.
      const waiting = heard(b, 1);
      const r1 = await a.write(touch('doc:d1#viewer@user:ana'));
      expect(await waiting).toBeGreaterThanOrEqual(r1);
      await until(() => b.listenerProcessId !== undefined && b.listenerProcessId !== pid);
      expect(warnings.slice(before).some((w) => w.includes('commit listener lost its connection'))).toBe(true);
      // And live notifications flow again on the new connection.
      const next = heard(b, r1 + 1);
      const r2 = await a.write(touch('doc:d2#viewer@user:ana'));
      expect(await next).toBe(r2);
      expect((await b.changesSince(r1)).map((c) => c.revision)).toEqual([r2]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('announces a commit whose notification never came, at the next heartbeat', async () => {
    const schema = schemas.create();
    const b = await open(schema, { listenHeartbeatMs: 200 });
    try {
      const waiting = heard(b, 1, 5000);
      // A commit made without NOTIFY (as if the notification were lost).
      await adminQuery(`UPDATE "${schema}".warden_head SET rev = rev + 1`);
      expect(await waiting).toBe(1);
      expect(await b.changesSince(0)).toEqual([{ revision: 1, changes: [] }]);
    } finally {
      await b.close();
    }
  });

  it('recovers its pool after its connections are killed (as in a database restart)', async () => {
    const schema = schemas.create();
    const name = `warden-test-${schema}`.slice(0, 63);
    const ds = await open(schema, { applicationName: name, listen: false });
    try {
      const r1 = await ds.write(touch('doc:d1#viewer@user:ana'));
      await Promise.all([ds.headRevision(), ds.readRelationships({}, r1), ds.changesSince(0)]);
      const killed = await adminQuery<{ ok: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      expect(killed.length).toBeGreaterThan(0);
      // Reads and writes carry on with new connections (a read on a dead connection is retried once).
      expect(await ds.headRevision()).toBe(r1);
      expect((await ds.readRelationships({}, r1)).map(formatRelationship)).toEqual(['doc:d1#viewer@user:ana']);
      await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      expect(await ds.write(touch('doc:d2#viewer@user:ana'))).toBe(r1 + 1);
      expect(await ds.changesSince(r1)).toHaveLength(1);
    } finally {
      await ds.close();
    }
  });

  it('collects garbage on one replica at a time, and every replica refuses revisions below the horizon', async () => {
    const schema = schemas.create();
    const a = await open(schema, { listen: false, gcBatchSize: 7 });
    const b = await open(schema, { listen: false });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const rels = Array.from({ length: 30 }, (_, i) => parseRelationship(`doc:d${i}#viewer@user:ana`));
      await a.write({ updates: rels.map((relationship) => ({ operation: 'touch', relationship })) }); // 1
      await a.writeSchema('definition one {}', 'h1'); // 2
      await a.write({ updates: rels.slice(0, 20).map((relationship) => ({ operation: 'delete', relationship })) }); // 3
      await a.writeSchema('definition two {}', 'h2'); // 4
      const r5 = await a.write(touch('doc:late#viewer@user:ana')); // 5

      // While another replica holds the GC lock, this one does nothing.
      await holder.query('SELECT pg_advisory_lock(hashtext($1))', [`warden_gc:${schema}`]);
      expect(await a.collectGarbage(4)).toBe(0);
      expect(await b.oldestReadableRevision()).toBe(0);
      await holder.query('SELECT pg_advisory_unlock(hashtext($1))', [`warden_gc:${schema}`]);

      // In batches of 7: all 20 deleted rows go, the persisted horizon moves for every replica.
      expect(await a.collectGarbage(4)).toBe(20);
      expect(await b.oldestReadableRevision()).toBe(4);
      await expect(b.readRelationships({}, 3)).rejects.toBeInstanceOf(RevisionUnavailableError);
      await expect(b.changesSince(2)).rejects.toBeInstanceOf(RevisionUnavailableError);
      expect(await b.countRelationships({}, 4)).toBe(10);
      expect(await b.countRelationships({}, r5)).toBe(11);
      expect((await b.readSchema(4))?.hash).toBe('h2');
      expect((await b.changesSince(4)).map((c) => c.revision)).toEqual([5]);
      const left = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".warden_schemas`);
      expect(Number(left[0]!.n)).toBe(1);
      // The horizon never moves back, nor past the head.
      expect(await b.collectGarbage(2)).toBe(0);
      expect(await b.oldestReadableRevision()).toBe(4);
      expect(await b.collectGarbage(1000)).toBe(0);
      expect(await a.oldestReadableRevision()).toBe(r5);
      // Commit times map a GC window (a duration) to a revision; older times give the horizon.
      expect(await a.revisionAt(new Date(Date.now() + 60_000))).toBe(r5);
      expect(await a.revisionAt(new Date(0))).toBe(r5);
    } finally {
      await holder.end();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
