/** With a preshared key every /v1 route, streams included, needs the bearer token; probes and docs stay open. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeWardenService } from './fake-service.js';
import { SCHEMA, V1_ROUTES, requestFor, serveFake, until, type FakeServer } from './helpers.js';

const KEY = 'sekrit-key';
const OPEN = ['/healthz', '/readyz', '/openapi.json', '/docs'];

async function seeded(): Promise<FakeWardenService> {
  const service = new FakeWardenService();
  await service.writeSchema({ schema: SCHEMA });
  await service.writeRelationships({ updates: [{ operation: 'touch', relationship: 'team:sales#member@user:ana' }] });
  return service;
}

/** Sends the request and, for an endless stream, checks the status then hangs up. */
async function statusOf(base: string, r: (typeof V1_ROUTES)[number], headers: Record<string, string>): Promise<number> {
  const abort = new AbortController();
  const res = await requestFor(base, r, headers, abort.signal);
  if (r.endless) abort.abort();
  else await res.arrayBuffer();
  return res.status;
}

describe('with a preshared key', () => {
  let srv: FakeServer;
  beforeAll(async () => {
    srv = await serveFake({ presharedKey: KEY, service: await seeded() });
  });
  afterAll(() => srv.close());

  it.each(V1_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s needs the key', async (_name, r) => {
    const callsBefore = srv.service.calls.length;
    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: KEY },
      { authorization: `Basic ${KEY}` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of refused) {
      const res = await requestFor(srv.url, r, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', reason: 'UNAUTHENTICATED', message: expect.stringMatching(/Bearer/) } });
    }
    // The service never saw the refused requests.
    expect(srv.service.calls.length).toBe(callsBefore);
    expect(await statusOf(srv.url, r, { authorization: `Bearer ${KEY}` })).toBe(200);
    expect(await statusOf(srv.url, r, { authorization: `bearer   ${KEY}` })).toBe(200);
  });

  it('a refused watch starts no watch', async () => {
    const watch = V1_ROUTES.find((r) => r.path === '/v1/watch')!;
    const before = srv.service.watchesStarted;
    expect((await requestFor(srv.url, watch, {})).status).toBe(401);
    expect(srv.service.watchesStarted).toBe(before);
  });

  it('an unauthenticated oversized body is refused as 401 before it is read', async () => {
    const res = await fetch(`${srv.url}/v1/permissions/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024),
    });
    expect(res.status).toBe(401);
  });

  it.each(OPEN)('%s stays open', async (path) => {
    expect((await fetch(srv.url + path)).status).toBe(200);
  });

  it('unknown /v1 routes are 401 before 404, so that they reveal nothing', async () => {
    expect((await fetch(`${srv.url}/v1/nope`)).status).toBe(401);
    expect((await fetch(`${srv.url}/v1/nope`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });
});

describe('without a key', () => {
  let srv: FakeServer;
  beforeAll(async () => {
    srv = await serveFake({ service: await seeded() });
  });
  afterAll(() => srv.close());

  it.each(V1_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s needs no header', async (_name, r) => {
    expect(await statusOf(srv.url, r, {})).toBe(200);
    // Any Authorization header is ignored rather than refused.
    expect(await statusOf(srv.url, r, { authorization: 'Bearer whatever' })).toBe(200);
  });

  it('watch streams were all closed', async () => {
    await until(() => srv.service.watchesEnded === srv.service.watchesStarted);
  });
});
