/**
 * Replica B is killed (SIGKILL, no goodbye) while A keeps writing, and started again while A is still
 * writing: B reloads from the store, replays the feed, and then answers at_least_as_fresh for A's
 * latest zookie, and for every zookie A handed out, correctly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSchemas, postgresUrl } from '../support/postgres.js';
import { ensureDist } from './support/dist.js';
import { allowed, get, lookupResources, revisionOf, write, writeSchema } from './support/http-client.js';
import { migrate, startReplica, type WardenProcess } from './support/warden-process.js';

const url = postgresUrl ?? '';
const MAX_WRITES = 400;
const MAX_WRITING_MS = 90_000;

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!postgresUrl)('a replica restarted mid-stream', () => {
  const schemas = new TestSchemas();
  const started: WardenProcess[] = [];
  let schema: string;
  let a: WardenProcess;

  beforeAll(async () => {
    await ensureDist();
    schema = schemas.create();
    await migrate(url, schema);
    a = await startReplica({ url, schema, name: 'A' });
    started.push(a);
    await writeSchema(a.httpUrl);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await schemas.dropAll();
  }, 60_000);

  it('catches up and answers at_least_as_fresh for A\'s latest zookie', async () => {
    const b1 = await startReplica({ url, schema, name: 'B' });
    started.push(b1);

    // A writes continuously (bounded in count and time) while B dies and comes back.
    const zookies: { doc: string; zookie: string }[] = [];
    let stopWriting = false;
    const deadline = Date.now() + MAX_WRITING_MS;
    const writing = (async () => {
      for (let i = 0; i < MAX_WRITES && !stopWriting && Date.now() < deadline; i++) {
        const doc = `r${i}`;
        zookies.push({ doc, zookie: await write(a.httpUrl, 'touch', `doc:${doc}#viewer@user:ana`) });
      }
    })();

    await until(() => zookies.length >= 30, 30_000, '30 writes before the kill');
    expect(await allowed(b1.httpUrl, 'doc:r29', 'view', 'user:ana', zookies[29]!.zookie)).toBe(true);
    await b1.kill();
    const atKill = zookies.length;
    await until(() => zookies.length >= atKill + 50, 30_000, '50 writes while B is down');

    const b2 = await startReplica({ url, schema, name: 'B (restarted)' });
    started.push(b2);
    // At once, while A is still writing: B must wait for (or already hold) A's newest revision.
    const latest = zookies[zookies.length - 1]!;
    expect(await allowed(b2.httpUrl, `doc:${latest.doc}`, 'view', 'user:ana', latest.zookie)).toBe(true);
    const atRestart = zookies.length;
    await until(() => zookies.length >= atRestart + 50, 30_000, '50 writes after the restart');
    stopWriting = true;
    await writing;

    // Every zookie A handed out, before, during and after B's absence, is honoured by B.
    const misses: string[] = [];
    for (const { doc, zookie } of zookies) {
      if (!(await allowed(b2.httpUrl, `doc:${doc}`, 'view', 'user:ana', zookie))) misses.push(`${doc}@${revisionOf(zookie)}`);
    }
    expect(misses).toEqual([]);
    const last = zookies[zookies.length - 1]!.zookie;
    const docs = await lookupResources(b2.httpUrl, 'doc', 'view', 'user:ana', last);
    expect(docs.sort()).toEqual(zookies.map((z) => z.doc).sort());
    expect((await get<{ ready: boolean }>(b2.httpUrl, '/readyz')).body).toEqual({ ready: true });
  }, 180_000);
});
