/**
 * Two `warden serve` processes (A and B) over one PostgreSQL schema, as an operator runs them:
 * `warden migrate` once, then one `serve` per replica. A zookie minted by A makes B wait until it has
 * applied that revision, so a check on B never misses a write made on A; B's Watch delivers A's
 * writes in revision order; a zookie from another store is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSchemas, postgresUrl } from '../support/postgres.js';
import { ensureDist } from './support/dist.js';
import {
  allowed,
  checkAt,
  get,
  lookupResources,
  openWatch,
  post,
  revisionOf,
  write,
  writeSchema,
  type ErrorBody,
  type WatchEventLine,
} from './support/http-client.js';
import { migrate, startReplica, type WardenProcess } from './support/warden-process.js';

const url = postgresUrl ?? '';

describe.skipIf(!postgresUrl)('two replicas over one PostgreSQL schema (separate processes)', () => {
  const schemas = new TestSchemas();
  const started: WardenProcess[] = [];
  let a: WardenProcess;
  let b: WardenProcess;

  beforeAll(async () => {
    await ensureDist();
    const schema = schemas.create();
    await migrate(url, schema);
    [a, b] = await Promise.all([startReplica({ url, schema, name: 'A' }), startReplica({ url, schema, name: 'B' })]);
    started.push(a, b);
    await writeSchema(a.httpUrl);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await schemas.dropAll();
  }, 60_000);

  it('both are ready', async () => {
    for (const p of [a, b]) expect((await get<{ ready: boolean }>(p.httpUrl, '/readyz')).body).toEqual({ ready: true });
  });

  it('a write on A, checked on B at once with A\'s zookie, is always seen (200 writes, deletes too)', async () => {
    const misses: string[] = [];
    for (let i = 0; i < 200; i++) {
      const rel = `doc:a${i}#viewer@user:u${i}`;
      const z = await write(a.httpUrl, 'touch', rel);
      if (!(await allowed(b.httpUrl, `doc:a${i}`, 'view', `user:u${i}`, z))) misses.push(`touch ${rel} at ${revisionOf(z)}`);
      if (i % 10 === 9) {
        const zd = await write(a.httpUrl, 'delete', rel);
        if (await allowed(b.httpUrl, `doc:a${i}`, 'view', `user:u${i}`, zd)) misses.push(`delete ${rel} at ${revisionOf(zd)}`);
      }
    }
    expect(misses).toEqual([]);
  }, 120_000);

  it('the other way round too, with writes on both interleaved', async () => {
    const misses: string[] = [];
    for (let i = 0; i < 50; i++) {
      const [writer, reader] = i % 2 === 0 ? [b, a] : [a, b];
      const z = await write(writer.httpUrl, 'touch', `doc:x${i}#viewer@user:v${i}`);
      if (!(await allowed(reader.httpUrl, `doc:x${i}`, 'view', `user:v${i}`, z))) misses.push(`${writer.name} -> ${reader.name}: doc:x${i}`);
    }
    expect(misses).toEqual([]);
  }, 60_000);

  it('Watch on B delivers the writes made on A in revision order, none missing, none extra', async () => {
    const start = await write(a.httpUrl, 'touch', 'doc:w-start#viewer@user:w');
    const watch = await openWatch(b.httpUrl, start);
    try {
      // Four writers at once on A, so that revisions interleave across requests.
      const written = new Map<string, number>(); // "op rel" -> revision A returned
      const writer = async (k: number) => {
        for (let i = 0; i < 25; i++) {
          const rel = `doc:w${k}-${i}#viewer@user:w${k}`;
          written.set(`touch ${rel}`, revisionOf(await write(a.httpUrl, 'touch', rel)));
        }
        for (let i = 0; i < 5; i++) {
          const rel = `doc:w${k}-${i}#viewer@user:w${k}`;
          written.set(`delete ${rel}`, revisionOf(await write(a.httpUrl, 'delete', rel)));
        }
      };
      await Promise.all([0, 1, 2, 3].map(writer));
      const last = Math.max(...written.values());
      const changes = (events: readonly WatchEventLine[]) => events.filter((e) => e.type === 'changes');
      await watch.until((events) => changes(events).some((e) => revisionOf(e.zookie) >= last), 30_000);

      const seen = new Map<string, number>();
      const revisions = changes(watch.events).map((e) => revisionOf(e.zookie));
      for (const e of changes(watch.events)) {
        for (const c of e.changes ?? []) {
          const key = `${c.operation} ${c.relationship}`;
          expect(seen.has(key), `delivered twice: ${key}`).toBe(false);
          seen.set(key, revisionOf(e.zookie));
        }
      }
      expect(watch.events.some((e) => e.error)).toBe(false);
      expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
      expect(new Set(revisions).size).toBe(revisions.length);
      expect(revisions[0]).toBeGreaterThan(revisionOf(start));
      expect(seen).toEqual(written);
    } finally {
      watch.close();
    }
  }, 120_000);

  it('B honours A\'s zookie (same store); a zookie from another store is refused with a clear error', async () => {
    const z = await write(a.httpUrl, 'touch', 'doc:z1#viewer@user:zed');
    expect(await allowed(b.httpUrl, 'doc:z1', 'view', 'user:zed', z)).toBe(true);
    expect(await lookupResources(b.httpUrl, 'doc', 'view', 'user:zed', z)).toEqual(['z1']);

    // Another store: its own schema, its own replica, so its own store id.
    const other = schemas.create();
    await migrate(url, other);
    const c = await startReplica({ url, schema: other, name: 'C' });
    started.push(c);
    await writeSchema(c.httpUrl);
    const zc = await write(c.httpUrl, 'touch', 'doc:z1#viewer@user:zed');

    const refused = await checkAt(b.httpUrl, 'doc:z1', 'view', 'user:zed', zc);
    expect(refused.status).toBe(400);
    expect((refused.body as ErrorBody).error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((refused.body as ErrorBody).error.message).toMatch(/zookie was issued by another store \(.+\), not by this one \(.+\)/);
    const back = await checkAt(c.httpUrl, 'doc:z1', 'view', 'user:zed', z);
    expect(back.status).toBe(400);
    expect((back.body as ErrorBody).error.message).toMatch(/another store/);
    // Watch refuses it too, before streaming anything.
    const w = await post<ErrorBody>(b.httpUrl, '/v1/watch', { afterZookie: zc });
    expect(w.status).toBe(400);
    expect(w.body.error.message).toMatch(/another store/);
    // And a token that is no zookie at all.
    const bad = await checkAt(b.httpUrl, 'doc:z1', 'view', 'user:zed', 'not-a-zookie');
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).error.message).toMatch(/malformed zookie/);
  }, 120_000);
});
