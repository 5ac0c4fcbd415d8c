import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import { parseRelationship } from '../../src/core/refs.js';
import type { Datastore } from '../../src/store/datastore.js';
import { PostgresDatastore } from '../../src/store/postgres/postgres-datastore.js';
import { TestSchemas, dropSchema, postgresUrl } from '../support/postgres.js';
import { runDatastoreSuite } from './datastore-suite.js';

const url = postgresUrl ?? '';
const schemas = new TestSchemas();
const open = (schema: string) => PostgresDatastore.open(url, { schema, migrate: true, poolSize: 4, applicationName: 'warden-test' });

describe.skipIf(!postgresUrl)('postgres', () => {
  afterAll(() => schemas.dropAll());

  runDatastoreSuite(
    'postgres',
    () => open(schemas.create()),
    (ds: Datastore) => dropSchema((ds as PostgresDatastore).schema),
  );

  describe('PostgresDatastore', () => {
    it('orders and pages with JavaScript string order whatever the collation (COLLATE "C")', async () => {
      const ds = await open(schemas.create());
      try {
        // Upper case before lower case, `_` between them, digits before letters: a locale collation
        // ("en_US") would interleave cases and ignore punctuation.
        const ids = ['b', 'B', 'a_1', 'a-1', 'A', '_x', '10', '9', 'a=b', 'a|b', 'a+b', 'a/b'];
        const r = await ds.write({ updates: ids.map((id) => ({ operation: 'touch', relationship: parseRelationship(`doc:${id}#viewer@user:u`) })) });
        const read = (await ds.readRelationships({}, r)).map((x) => x.resource.id);
        expect(read).toEqual([...ids].sort());
        const page: string[] = [];
        let after;
        for (;;) {
          const p = await ds.readRelationships({}, r, { limit: 5, after });
          page.push(...p.map((x) => x.resource.id));
          if (p.length < 5) break;
          after = p[p.length - 1];
        }
        expect(page).toEqual([...ids].sort());
        // `_` in a prefix is literal, not a LIKE wildcard.
        expect((await ds.readRelationships({ resourceIdPrefix: 'a_' }, r)).map((x) => x.resource.id)).toEqual(['a_1']);
      } finally {
        await ds.close();
      }
    });

    it('keeps its store id across reopenings, and two schemas are two stores', async () => {
      const name = schemas.create();
      const a = await open(name);
      const b = await open(name);
      const c = await open(schemas.create());
      try {
        expect(a.storeId).toMatch(/^[0-9a-f-]{36}$/);
        expect(b.storeId).toBe(a.storeId);
        expect(c.storeId).not.toBe(a.storeId);
      } finally {
        await Promise.all([a.close(), b.close(), c.close()]);
      }
    });

    it('names the relationship that a refused create already holds', async () => {
      const ds = await open(schemas.create());
      try {
        await ds.write({ updates: [{ operation: 'touch', relationship: parseRelationship('doc:d2#viewer@user:b') }] });
        const bad = ds.write({
          updates: ['doc:d1#viewer@user:a', 'doc:d2#viewer@user:b', 'doc:d3#viewer@user:c'].map((s) => ({
            operation: 'create' as const,
            relationship: parseRelationship(s),
          })),
        });
        await expect(bad).rejects.toThrow('cannot create relationship `doc:d2#viewer@user:b`: it already exists');
        expect(await ds.headRevision()).toBe(1);
        // The refused revision was given back: the next write gets 2, and the feed has no hole.
        const r = await ds.write({ updates: [{ operation: 'touch', relationship: parseRelationship('doc:d1#viewer@user:a') }] });
        expect(r).toBe(2);
        expect((await ds.changesSince(0)).map((c) => c.revision)).toEqual([1, 2]);
      } finally {
        await ds.close();
      }
    });

    it('writes a 10,000-update batch (touch, then delete half and create others) in one revision each', async () => {
      const ds = await open(schemas.create());
      try {
        const rels = Array.from({ length: 10_000 }, (_, i) => parseRelationship(`doc:d${i % 700}#viewer@user:u${i}`));
        const r1 = await ds.write({ updates: rels.map((relationship) => ({ operation: 'touch', relationship })) });
        const updates = [
          ...rels.slice(0, 5000).map((relationship) => ({ operation: 'delete' as const, relationship })),
          ...Array.from({ length: 5000 }, (_, i) => ({ operation: 'create' as const, relationship: parseRelationship(`team:t${i}#member@user:u${i}`) })),
        ];
        const r2 = await ds.write({ updates });
        expect([r1, r2]).toEqual([1, 2]);
        expect(await ds.countRelationships({}, 1)).toBe(10_000);
        expect(await ds.countRelationships({}, 2)).toBe(10_000);
        expect(await ds.countRelationships({ resourceType: 'doc' }, 2)).toBe(5000);
        const [, c2] = await ds.changesSince(0);
        expect(c2!.changes.filter((c) => c.operation === 'delete')).toHaveLength(5000);
        expect(c2!.changes.filter((c) => c.operation === 'touch')).toHaveLength(5000);
      } finally {
        await ds.close();
      }
    });

    it('reports readiness, and refuses every call once closed', async () => {
      const ds = await open(schemas.create());
      expect(await ds.ready()).toBe(true);
      expect(ds.listening).toBe(true);
      await ds.close();
      expect(await ds.ready()).toBe(false);
      await ds.close();
      await expect(ds.headRevision()).rejects.toBeInstanceOf(UnavailableError);
      await expect(ds.write({ updates: [] })).rejects.toThrow('the datastore is closed');
      await expect(ds.changesSince(0)).rejects.toBeInstanceOf(UnavailableError);
    });

    it('fails fast and clearly when no server answers', async () => {
      const started = Date.now();
      const opening = PostgresDatastore.open('postgres://postgres@127.0.0.1:1/test', { connectTimeoutMs: 1000 });
      await expect(opening).rejects.toBeInstanceOf(UnavailableError);
      await expect(opening).rejects.toThrow(/cannot reach PostgreSQL at 127\.0\.0\.1:1\/test/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('bounds every wait: a write stuck behind a held head lock fails with UNAVAILABLE, no SQL in the message', async () => {
      const ds = await open(schemas.create());
      const quick = await PostgresDatastore.open(url, { schema: ds.schema, statementTimeoutMs: 200, listen: false });
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`UPDATE "${ds.schema}".warden_head SET rev = rev + 1`);
        const err = await quick.write({ updates: [] }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnavailableError);
        expect((err as Error).message).toBe('the PostgreSQL database did not answer within 200 ms; retry later');
        // Reads do not wait for writers.
        expect(await quick.headRevision()).toBe(0);
        await holder.query('ROLLBACK');
        expect(await quick.write({ updates: [] })).toBe(1);
        expect(await ds.write({ updates: [] })).toBe(2);
      } finally {
        await holder.end();
        await Promise.all([quick.close(), ds.close()]);
      }
    });
  });
});
