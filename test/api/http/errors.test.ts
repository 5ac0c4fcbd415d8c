/** Every failure leaves as `{error: {code, reason, message}}` with the right status, and nothing leaks. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpApp } from '../../../src/api/http/app.js';
import { FakeWardenService } from './fake-service.js';
import { postJson, serveFake, type FakeServer } from './helpers.js';

let srv: FakeServer;
const MAX = 2048;

beforeAll(async () => {
  srv = await serveFake({ maxBodyBytes: MAX });
});
afterAll(() => srv.close());

async function error(res: Response) {
  const body = (await res.json()) as { error: { code: string; reason: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'reason']);
  return { status: res.status, ...body.error };
}

const check = (body: unknown) => postJson(`${srv.url}/v1/permissions/check`, body);

describe('validation', () => {
  it('names a field of the wrong type', async () => {
    const e = await error(await check({ resource: 5, permission: 'member', subject: 'user:ana' }));
    expect(e).toEqual({ status: 400, code: 'INVALID_ARGUMENT', reason: 'INVALID_REQUEST', message: 'resource: expected a string, got a number' });
  });

  it('names a missing field', async () => {
    const e = await error(await check({ permission: 'member', subject: 'user:ana' }));
    expect(e.status).toBe(400);
    expect(e.message).toBe('resource: required, expected a string');
  });

  it('reports every bad field, with nested paths', async () => {
    const e = await error(
      await postJson(`${srv.url}/v1/relationships/write`, {
        updates: [{ operation: 'touch', relationship: 'a:b#c@d:e' }, { operation: 'upsert', relationship: 7 }],
      }),
    );
    expect(e.status).toBe(400);
    expect(e.message).toContain('updates[1].operation: expected one of "touch", "create", "delete"');
    expect(e.message).toContain('updates[1].relationship: expected a string, got a number');
  });

  it('refuses unknown fields, so that a misspelt consistency is never silently ignored', async () => {
    const e = await error(await check({ resource: 'team:a', permission: 'member', subject: 'user:ana', consistancy: { fullyConsistent: true } }));
    expect(e).toMatchObject({ status: 400, message: 'body: unknown field "consistancy"' });
  });

  it('explains the four consistency shapes', async () => {
    for (const consistency of [{ fullyConsistent: false }, { atLeastAsFresh: 1 }, {}, { minimizeLatency: true, fullyConsistent: true }, 'full']) {
      const e = await error(await check({ resource: 'team:a', permission: 'member', subject: 'user:ana', consistency }));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^consistency: expected one of \{"minimizeLatency":true\}, \{"atLeastAsFresh":"<zookie>"\}/);
    }
  });

  it('refuses a body that is not an object', async () => {
    for (const body of ['[]', '42', 'null', '"x"']) {
      const e = await error(await check(body));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^body: expected an object, got/);
    }
  });

  it('refuses a non-integer or non-positive limit', async () => {
    for (const limit of [0, -1, 1.5, '10']) {
      const e = await error(await postJson(`${srv.url}/v1/permissions/lookup-resources`, { resourceType: 'doc', permission: 'view', subject: 'user:a', limit }));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^limit: /);
    }
  });

  it('passes service errors through with their status', async () => {
    const syntax = await error(await check({ resource: 'nocolon', permission: 'member', subject: 'user:ana' }));
    expect(syntax).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT', reason: 'RELATIONSHIP_SYNTAX' });
    const zookie = await error(await check({ resource: 'team:a', permission: 'member', subject: 'user:ana', consistency: { atExactSnapshot: 'bogus' } }));
    expect(zookie).toMatchObject({ status: 400, reason: 'ZOOKIE_INVALID' });
    const limit = await error(
      await postJson(`${srv.url}/v1/permissions/lookup-resources`, { resourceType: 'doc', permission: 'view', subject: 'user:a', limit: 1_000_000 }),
    );
    expect(limit).toMatchObject({ status: 429, code: 'RESOURCE_EXHAUSTED', reason: 'LIMIT_EXCEEDED' });
  });
});

describe('transport errors', () => {
  it('malformed JSON is 400', async () => {
    for (const body of ['{', '{"resource":', "{'a':1}", '']) {
      const e = await error(await check(body));
      expect(e).toEqual({ status: 400, code: 'INVALID_ARGUMENT', reason: 'BAD_REQUEST', message: 'malformed JSON in request body' });
    }
  });

  it('a body that is not JSON is 415', async () => {
    const res = await fetch(`${srv.url}/v1/permissions/check`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(await error(res)).toMatchObject({ status: 415, reason: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('a body larger than maxBodyBytes is 413, with and without a content-length', async () => {
    const big = { resource: 'team:a', permission: 'member', subject: `user:${'x'.repeat(MAX)}` };
    const e = await error(await check(big));
    expect(e).toEqual({ status: 413, code: 'RESOURCE_EXHAUSTED', reason: 'REQUEST_TOO_LARGE', message: `request body is larger than ${MAX} bytes` });
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(JSON.stringify(big)));
        c.close();
      },
    });
    const res = await fetch(`${srv.url}/v1/permissions/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(await error(res)).toMatchObject({ status: 413, reason: 'REQUEST_TOO_LARGE' });
    // Just under the limit still works.
    expect((await check({ resource: 'team:a', permission: 'member', subject: 'user:ana' })).status).toBe(200);
  });

  it('a body refused unread closes its connection, and the requests after it are unharmed', async () => {
    const keyed = await serveFake({ maxBodyBytes: MAX, presharedKey: 'k' });
    const auth = { authorization: 'Bearer k' };
    const ok = { resource: 'team:a', permission: 'member', subject: 'user:ana' };
    try {
      for (let round = 0; round < 3; round++) {
        const tooBig = await postJson(`${keyed.url}/v1/permissions/check`, { ...ok, subject: `user:${'x'.repeat(300_000)}` }, auth);
        expect(tooBig.status).toBe(413);
        expect(tooBig.headers.get('connection')).toBe('close');
        await tooBig.arrayBuffer();
        const unauthenticated = await postJson(`${keyed.url}/v1/permissions/check`, 'x'.repeat(300_000));
        expect(unauthenticated.status).toBe(401);
        expect(unauthenticated.headers.get('connection')).toBe('close');
        await unauthenticated.arrayBuffer();
        for (let i = 0; i < 5; i++) {
          const res = await postJson(`${keyed.url}/v1/permissions/check`, ok, auth);
          expect(res.status).toBe(200);
          expect(res.headers.get('connection')).toBe('keep-alive');
          await res.arrayBuffer();
        }
      }
      // A request whose body was read keeps its connection even when it fails.
      const invalid = await postJson(`${keyed.url}/v1/permissions/check`, { resource: 1 }, auth);
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('connection')).toBe('keep-alive');
    } finally {
      await keyed.close();
    }
  });

  it('an unknown route is a 404 JSON error', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/v1/nope'],
      ['GET', '/v1/permissions/check'],
      ['DELETE', '/v1/schema'],
    ] as const) {
      const e = await error(await fetch(srv.url + path, { method }));
      expect(e).toEqual({ status: 404, code: 'NOT_FOUND', reason: 'ROUTE_NOT_FOUND', message: `no route for ${method} ${path}` });
    }
  });

  it('refuses requests a browser marks cross-site', async () => {
    const res = await postJson(`${srv.url}/v1/relationships/write`, { updates: [] }, { 'sec-fetch-site': 'cross-site' });
    expect(await error(res)).toMatchObject({ status: 403, reason: 'CROSS_SITE_REQUEST' });
    expect((await postJson(`${srv.url}/v1/relationships/write`, { updates: [] }, { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });
});

describe('unexpected errors', () => {
  it('are a 500 "internal error", with the stack logged and never sent', async () => {
    const log = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      srv.service.explodeOn = 'check';
      const res = await check({ resource: 'team:a', permission: 'member', subject: 'user:ana' });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', reason: 'INTERNAL', message: 'internal error' } });
      expect(text).not.toMatch(/kaboom|secret/);
      expect(log.mock.calls.map((c) => String(c[0])).join('')).toMatch(/POST \/v1\/permissions\/check failed: Error: kaboom[\s\S]*at /);
    } finally {
      log.mockRestore();
    }
    // And the server keeps answering.
    expect((await check({ resource: 'team:a', permission: 'member', subject: 'user:ana' })).status).toBe(200);
  });

  it('app.request() gives the same error bodies in-process', async () => {
    const app = createHttpApp({ service: new FakeWardenService(), maxBodyBytes: 100 });
    const res = await app.request('/v1/permissions/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resource":1}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  });
});
