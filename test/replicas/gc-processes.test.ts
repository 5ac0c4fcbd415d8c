/**
 * Garbage collection with two `warden serve` processes and a short window (`--gc-window 1s
 * --gc-interval 200ms`): history older than the window goes from the store (one replica at a time) and
 * from both processes' in-memory indexes; a zookie older than the window is then refused by both with
 * a clear error, while fresh ones keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSchemas, adminQuery, postgresUrl } from '../support/postgres.js';
import { ensureDist } from './support/dist.js';
import { allowed, checkAt, post, write, writeSchema, type ErrorBody } from './support/http-client.js';
import { migrate, startReplica, type WardenProcess } from './support/warden-process.js';

const url = postgresUrl ?? '';
const GC_FLAGS = ['--gc-window', '1s', '--gc-interval', '200ms'];
const GC_LINE = /gc: history before revision \d+ dropped \(window 1s\): \d+ store rows, [1-9]\d* index entries/;

const exactly = (base: string, zookie: string) =>
  post<{ allowed: boolean } | ErrorBody>(base, '/v1/permissions/check', {
    resource: 'doc:g0',
    permission: 'view',
    subject: 'user:ana',
    consistency: { atExactSnapshot: zookie },
  });

async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!postgresUrl)('garbage collection across replica processes', () => {
  const schemas = new TestSchemas();
  const started: WardenProcess[] = [];
  let schema: string;

  beforeAll(async () => {
    await ensureDist();
    schema = schemas.create();
    await migrate(url, schema);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await schemas.dropAll();
  }, 60_000);

  it('drops old history from the store and from both indexes; old zookies are refused by both', async () => {
    const [a, b] = await Promise.all([
      startReplica({ url, schema, name: 'A', extraArgs: GC_FLAGS }),
      startReplica({ url, schema, name: 'B', extraArgs: GC_FLAGS }),
    ]);
    started.push(a, b);
    await writeSchema(a.httpUrl);
    const rels = Array.from({ length: 20 }, (_, i) => `doc:g${i}#viewer@user:ana`);
    const old = await write(a.httpUrl, 'touch', ...rels);
    await write(a.httpUrl, 'delete', ...rels);
    // Inside the window, the past is readable on both (B reads it from its own index).
    for (const p of [a, b]) expect((await exactly(p.httpUrl, old)).body).toMatchObject({ allowed: true });

    const deadRows = async () =>
      Number((await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".warden_relationships WHERE deleted_rev < 9223372036854775807`))[0]!.n);
    expect(await deadRows()).toBe(20);
    await until(async () => (await deadRows()) === 0, 20_000, 'deleted rows collected from the store');
    await until(() => GC_LINE.test(a.output()) && GC_LINE.test(b.output()), 20_000, 'both processes collected their index');

    const fresh = (base: string, zookie: string) => checkAt(base, 'doc:g0', 'view', 'user:ana', zookie);
    for (const p of [a, b]) {
      for (const ask of [exactly, fresh]) {
        // A replica caches the store's horizon for about a second: an at_least_as_fresh read (which is
        // evaluated at a newer revision anyway) may still pass within that second.
        let refused: Awaited<ReturnType<typeof ask>> | undefined;
        await until(async () => (refused = await ask(p.httpUrl, old)).status !== 200, 10_000, `${p.name} refuses the old zookie`);
        expect(refused!.status, p.name).toBe(412);
        expect((refused!.body as ErrorBody).error.code).toBe('FAILED_PRECONDITION');
        // The store's horizon, or the index's own refusal of a snapshot it no longer holds.
        expect((refused!.body as ErrorBody).error.message).toMatch(/older than the garbage-collection window|older than the oldest readable revision .* \(garbage-collected\)/);
      }
    }
    // Fresh history is untouched, on both.
    const z = await write(b.httpUrl, 'touch', 'doc:fresh#viewer@user:ana');
    expect(await allowed(a.httpUrl, 'doc:fresh', 'view', 'user:ana', z)).toBe(true);
    expect(await allowed(b.httpUrl, 'doc:fresh', 'view', 'user:ana', z)).toBe(true);
    expect(a.output() + b.output()).not.toMatch(/gc failed/);
  }, 120_000);
});
