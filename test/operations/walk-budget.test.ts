/**
 * The walk budget on its own and through the service: the dispatch cap, the deadline read from the
 * clock during a synchronous walk, and the request scope's deadline reaching the engine through the
 * request-binding decorator.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newRequestContext, runInRequest } from '../../src/api/request-context.js';
import { DeadlineExceededError, LimitExceededError } from '../../src/core/errors.js';
import { WalkBudget } from '../../src/engine/walk-budget.js';
import { RequestBoundService } from '../../src/server/decorators/request-bound-service.js';
import { SCHEMA, startObserved, type ObservedServer } from './support.js';

describe('WalkBudget', () => {
  it('allows exactly maxDispatches and counts into the shared tally', () => {
    const tally = { dispatches: 10 };
    const b = new WalkBudget({ maxDispatches: 3, tally });
    for (let i = 0; i < 3; i++) b.dispatch();
    expect(() => b.dispatch()).toThrow(LimitExceededError);
    expect(b.failure).toBeInstanceOf(LimitExceededError);
    expect(tally.dispatches).toBe(14);
  });

  it('stops at a deadline that passes during a walk, reading the clock only now and then', () => {
    let now = 1_000;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const b = new WalkBudget({ deadline: 2_000 });
      b.dispatch();
      now = 3_000;
      let ran = 0;
      expect(() => {
        for (;;) {
          b.dispatch();
          ran++;
        }
      }).toThrow(DeadlineExceededError);
      expect(ran).toBeLessThan(64);
      expect(spy.mock.calls.length).toBeLessThan(5);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses to start for a caller already gone', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => new WalkBudget({ signal: ac.signal }).dispatch()).toThrow(DeadlineExceededError);
  });
});

describe('deadlines through the service', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    s = await startObserved();
    await s.post('/v1/schema', { schema: SCHEMA });
    await s.post('/v1/relationships/write', { updates: [{ operation: 'touch', relationship: 'doc:1#viewer@user:ana' }] });
  });
  afterAll(() => s?.close());

  const req = { resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true as const } };

  it('a past deadline in CallOptions stops the walk', async () => {
    const service = s.server.runtime.service;
    await expect(service.check(req)).resolves.toMatchObject({ allowed: true });
    await expect(service.check(req, { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(DeadlineExceededError);
    const work = { dispatches: 0 };
    await service.check(req, { work });
    expect(work.dispatches).toBeGreaterThan(0);
  });

  it('the request scope’s deadline and signal reach the service through the binding decorator', async () => {
    const bound = new RequestBoundService(s.server.runtime.service);
    const expired = newRequestContext('grpc', 'r1', new AbortController().signal, Date.now() - 1);
    await expect(runInRequest(expired, () => bound.check(req))).rejects.toBeInstanceOf(DeadlineExceededError);
    const gone = new AbortController();
    gone.abort();
    const zookie = await s.futureZookie();
    const waiting = newRequestContext('http', 'r2', gone.signal);
    await expect(runInRequest(waiting, () => bound.check({ ...req, consistency: { atLeastAsFresh: zookie } } as never))).rejects.toBeInstanceOf(DeadlineExceededError);
    const ok = newRequestContext('http', 'r3', new AbortController().signal);
    await expect(runInRequest(ok, () => bound.check(req))).resolves.toMatchObject({ allowed: true });
    expect(ok.work.dispatches).toBeGreaterThan(0);
  });
});
