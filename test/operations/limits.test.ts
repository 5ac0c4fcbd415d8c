/**
 * Limits and back-pressure on the real server: the concurrency bound answers 429 / RESOURCE_EXHAUSTED
 * past it and frees its places when requests end; a gRPC deadline and a closed HTTP connection stop a
 * waiting read (a zookie for a revision not reached yet) instead of leaving it to wait out its timeout;
 * a closed connection ends a watch and an export; the per-request dispatch cap fails a walk that is too
 * big, for the whole call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcUnary, SCHEMA, startObserved, until, type ObservedServer } from './support.js';

const inFlight = (s: ObservedServer) => s.server.metrics.inFlight.get().then((m) => m.values.reduce((n, v) => n + v.value, 0));

/** Opens an HTTP watch and waits for its headers: from then on the server holds a place for it. */
async function openWatch(s: ObservedServer): Promise<AbortController> {
  const ac = new AbortController();
  const res = await fetch(`${s.base}/v1/watch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: ac.signal });
  expect(res.status).toBe(200);
  return ac;
}

describe('the concurrency limit', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    s = await startObserved({ maxConcurrentRequests: 2 });
    expect((await s.post('/v1/schema', { schema: SCHEMA })).status).toBe(200);
  });
  afterAll(() => s?.close());

  it('refuses calls past it with 429 / RESOURCE_EXHAUSTED, and serves again once a place frees', async () => {
    const watches = [await openWatch(s), await openWatch(s)];
    await until(async () => (await inFlight(s)) === 2, 2_000, 'two watches in flight');

    const refused = await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'RESOURCE_EXHAUSTED', reason: 'LIMIT_EXCEEDED', message: expect.stringMatching(/limit of 2 concurrent requests/) } });
    const grpcRefused = await grpcUnary(s.grpcAddress, 'permissions', 'Check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' });
    expect(grpcRefused.error?.code).toBe(8); // RESOURCE_EXHAUSTED
    const exportRefused = await fetch(`${s.base}/v1/relationships/export`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(exportRefused.status).toBe(429);
    await exportRefused.body?.cancel();

    watches[0]!.abort();
    await until(async () => (await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' })).status === 200, 5_000, 'a freed place');
    watches[1]!.abort();
    await until(async () => (await inFlight(s)) === 0, 5_000, 'the watches to end');
  });
});

describe('deadlines and hang-ups', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    // Long enough that only a deadline or a hang-up can end the waits below within the test's bounds.
    s = await startObserved({ freshnessWaitMs: 60_000 });
    expect((await s.post('/v1/schema', { schema: SCHEMA })).status).toBe(200);
  });
  afterAll(() => s?.close());

  it('a gRPC deadline stops an at_least_as_fresh wait with DEADLINE_EXCEEDED', async () => {
    const zookie = await s.futureZookie();
    const started = Date.now();
    const r = await grpcUnary(
      s.grpcAddress,
      'permissions',
      'Check',
      { resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: { atLeastAsFresh: zookie } },
      { metadata: { 'x-request-id': 'deadline-1' }, deadlineMs: 300 },
    );
    expect(r.error?.code).toBe(4); // DEADLINE_EXCEEDED
    expect(Date.now() - started).toBeLessThan(5_000);
    // The server stopped waiting too: its request ended, as DEADLINE_EXCEEDED, long before the 60 s wait.
    await until(() => s.requests().some((l) => l.requestId === 'deadline-1'), 5_000, 'the server to end the call');
    expect(s.requests().find((l) => l.requestId === 'deadline-1')).toMatchObject({ code: 'DEADLINE_EXCEEDED', operation: 'check' });
    expect(await inFlight(s)).toBe(0);
  });

  it('a closed HTTP connection stops a waiting read', async () => {
    const zookie = await s.futureZookie();
    const ac = new AbortController();
    const pending = fetch(`${s.base}/v1/permissions/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'hangup-1' },
      body: JSON.stringify({ resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: { atLeastAsFresh: zookie } }),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    await until(async () => (await inFlight(s)) === 1, 2_000, 'the read to be waiting');
    ac.abort();
    await pending;
    await until(() => s.requests().some((l) => l.requestId === 'hangup-1'), 5_000, 'the server to end the read');
    expect(s.requests().find((l) => l.requestId === 'hangup-1')).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(await inFlight(s)).toBe(0);
  });

  it('a closed HTTP connection ends a watch and an export', async () => {
    const watch = await openWatch(s);
    await until(async () => (await inFlight(s)) === 1, 2_000, 'the watch to start');
    watch.abort();
    await until(async () => (await inFlight(s)) === 0, 5_000, 'the watch to end');

    // ~30 MB of export: far more than the socket buffers hold, so a client that stops reading stalls it.
    const pad = 'x'.repeat(500);
    const lines = Array.from({ length: 30_000 }, (_, i) => `doc:${pad}-${i}#viewer@user:${pad}-${i}`).join('\n');
    const imported = await fetch(`${s.base}/v1/relationships/import`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: lines });
    expect(imported.status).toBe(200);
    const ac = new AbortController();
    const res = await fetch(`${s.base}/v1/relationships/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 100 }),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    // Read one chunk, then hang up: the server pulls pages only as the client reads, so it is mid-export.
    const reader = res.body!.getReader();
    await reader.read();
    expect(await inFlight(s)).toBe(1);
    ac.abort();
    await until(async () => (await inFlight(s)) === 0, 5_000, 'the export to end');
    const exportLine = s.requests().find((l) => l.operation === 'exportRelationships');
    expect(exportLine?.code).toMatch(/^(CANCELLED|DEADLINE_EXCEEDED)$/);
  });
});

describe('the dispatch cap', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    s = await startObserved({ limits: { ...(await import('../../src/service/types.js')).DEFAULT_LIMITS, maxDispatchesPerRequest: 5 } });
    expect((await s.post('/v1/schema', { schema: SCHEMA })).status).toBe(200);
    // A chain of ten nested groups: checking the doc walks all of them.
    const updates = [{ operation: 'touch', relationship: 'doc:deep#viewer@group:g0#member' }];
    for (let i = 0; i < 10; i++) updates.push({ operation: 'touch', relationship: `group:g${i}#member@group:g${i + 1}#member` });
    updates.push({ operation: 'touch', relationship: 'group:g10#member@user:ana' }, { operation: 'touch', relationship: 'doc:flat#viewer@user:ana' });
    expect((await s.post('/v1/relationships/write', { updates })).status).toBe(200);
  });
  afterAll(() => s?.close());

  it('answers a small walk and fails a big one with RESOURCE_EXHAUSTED naming the cap', async () => {
    const small = await s.post('/v1/permissions/check', { resource: 'doc:flat', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true } });
    expect(small.body).toMatchObject({ allowed: true });

    const big = await s.post('/v1/permissions/check', { resource: 'doc:deep', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true } });
    expect(big.status).toBe(429);
    expect(big.body).toMatchObject({ error: { code: 'RESOURCE_EXHAUSTED', reason: 'LIMIT_EXCEEDED', message: expect.stringMatching(/more than 5 dispatches/) } });

    const grpc = await grpcUnary(s.grpcAddress, 'permissions', 'Check', { resource: 'doc:deep', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true } });
    expect(grpc.error?.code).toBe(8);
  });

  it('fails a whole CheckBulk, not the item that happened to reach the cap', async () => {
    const r = await s.post('/v1/permissions/check-bulk', {
      items: [
        { resource: 'doc:flat', permission: 'view', subject: 'user:ana' },
        { resource: 'doc:deep', permission: 'view', subject: 'user:ana' },
      ],
      consistency: { fullyConsistent: true },
    });
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ error: { reason: 'LIMIT_EXCEEDED' } });
  });

  it('caps lookups too', async () => {
    const r = await s.post('/v1/permissions/lookup-resources', { resourceType: 'doc', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true } });
    expect(r.status).toBe(429);
  });
});
