/**
 * /readyz and request behaviour while the database is unreachable, for a real `warden serve` whose
 * connection to PostgreSQL passes through a proxy the test controls (the shared server keeps running
 * for everyone else): not ready while it is gone, every request answered (UNAVAILABLE, never a hang),
 * and back to ready, with writes working, once it returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSchemas, postgresUrl } from '../support/postgres.js';
import { ensureDist } from './support/dist.js';
import { allowed, checkAt, get, post, write, writeSchema, type ErrorBody } from './support/http-client.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { migrate, runWarden, startReplica, type WardenProcess } from './support/warden-process.js';

const url = postgresUrl ?? '';

interface Ready {
  ready: boolean;
  reason?: string;
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!postgresUrl)('readiness while PostgreSQL is unreachable', () => {
  const schemas = new TestSchemas();
  let proxy: TcpProxy;
  let r: WardenProcess | undefined;
  let zookie: string;

  beforeAll(async () => {
    await ensureDist();
    proxy = TcpProxy.forUrl(url);
    await proxy.start();
    const schema = schemas.create();
    await migrate(url, schema);
    r = await startReplica({ url: proxy.rewrite(url), schema, name: 'R' });
    await writeSchema(r.httpUrl);
    zookie = await write(r.httpUrl, 'touch', 'doc:1#viewer@user:ana');
  }, 300_000);

  afterAll(async () => {
    await r?.stop();
    await proxy?.close();
    await schemas.dropAll();
  }, 60_000);

  it('refuses to start against a port where no PostgreSQL listens, with a clear message and in bounded time', async () => {
    const started = Date.now();
    const bad = new URL(url);
    bad.port = '1';
    const out = await runWarden(['serve', '--datastore', 'postgres', '--datastore-url', bad.toString(), '--http-port', '0', '--grpc-port', '0'], 30_000);
    expect(out.code).toBe(2);
    expect(out.output).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1\//);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('is ready, then not ready while the database is down, then ready again', async () => {
    const base = r!.httpUrl;
    expect((await get<Ready>(base, '/readyz')).body).toEqual({ ready: true });

    await proxy.cut();
    const notReady = await get<Ready>(base, '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.ready).toBe(false);
    expect(notReady.body.reason).toMatch(/^datastore unavailable: /);
    // The process itself is alive: liveness stays green, so an orchestrator drains it rather than killing it.
    expect((await get<{ ok: boolean }>(base, '/healthz')).status).toBe(200);

    // Everything that needs the database answers UNAVAILABLE (503) within the connection timeouts.
    const w = await post<ErrorBody>(base, '/v1/relationships/write', { updates: [{ operation: 'touch', relationship: 'doc:2#viewer@user:ana' }] });
    expect(w.status).toBe(503);
    expect(w.body.error.code).toBe('UNAVAILABLE');
    expect(w.body.error.message).not.toMatch(/127\.0\.0\.1|ECONN|SELECT/); // no internals leak to clients
    const full = await post<ErrorBody>(base, '/v1/permissions/check', {
      resource: 'doc:1',
      permission: 'view',
      subject: 'user:ana',
      consistency: { fullyConsistent: true },
    });
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe('UNAVAILABLE');
    // A read the in-memory index can answer without the database still does (minimize_latency).
    const cached = await checkAt(base, 'doc:1', 'view', 'user:ana');
    expect(cached.status).toBe(200);

    await proxy.restore();
    await until(async () => (await get<Ready>(base, '/readyz')).status === 200, 30_000, 'ready after the database returns');
    const z = await write(base, 'touch', 'doc:3#viewer@user:ana');
    expect(await allowed(base, 'doc:3', 'view', 'user:ana', z)).toBe(true);
    expect(await allowed(base, 'doc:1', 'view', 'user:ana', zookie)).toBe(true);
  }, 120_000);

  it('answers (not ready, UNAVAILABLE) when the network swallows packets, instead of hanging', async () => {
    const base = r!.httpUrl;
    expect((await get<Ready>(base, '/readyz')).status).toBe(200);
    proxy.blackhole();
    try {
      // Bounded by the store's client-side query timeout (statement timeout + 5 s) plus one reconnect.
      const probe = await get<Ready>(base, '/readyz', 60_000);
      expect(probe.status).toBe(503);
      const w = await post<ErrorBody>(base, '/v1/relationships/write', { updates: [{ operation: 'touch', relationship: 'doc:4#viewer@user:ana' }] }, 90_000);
      expect(w.status).toBe(503);
      expect(w.body.error.code).toBe('UNAVAILABLE');
      console.info(`readiness under a blackholed network: /readyz answered in ${Math.round(probe.ms)} ms, a write failed in ${Math.round(w.ms)} ms`);
    } finally {
      await proxy.cut(); // drop the stuck connections so that the next ones start clean
      await proxy.restore();
    }
    await until(async () => (await get<Ready>(base, '/readyz')).status === 200, 30_000, 'ready after the network returns');
    expect(await allowed(base, 'doc:1', 'view', 'user:ana', await write(base, 'touch', 'doc:5#viewer@user:ana'))).toBe(true);
  }, 240_000);
});
