/** Every route's happy path over a real socket, with the pinned shapes checked exactly. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeWardenService } from './fake-service.js';
import { SCHEMA, postJson, serveFake, type FakeServer } from './helpers.js';

let srv: FakeServer;
let service: FakeWardenService;

beforeAll(async () => {
  service = new FakeWardenService();
  srv = await serveFake({ service });
});
afterAll(() => srv.close());

const json = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> });

describe('pinned routes', () => {
  it('POST /v1/schema {schema} -> {zookie}', async () => {
    const r = await json(await postJson(`${srv.url}/v1/schema`, { schema: SCHEMA }));
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body).toEqual({ zookie: expect.any(String) });
    expect(service.schema).toBe(SCHEMA);
  });

  it('GET /v1/schema -> {schema, zookie}', async () => {
    const r = await json(await fetch(`${srv.url}/v1/schema`));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ schema: SCHEMA, zookie: expect.any(String) });
  });

  it('GET /v1/schema takes its consistency as one query parameter', async () => {
    const z = service.zookie();
    expect((await fetch(`${srv.url}/v1/schema?atLeastAsFresh=${z}`)).status).toBe(200);
    expect(service.calls.at(-1)).toEqual({ op: 'readSchema', req: { consistency: { atLeastAsFresh: z } } });
    await fetch(`${srv.url}/v1/schema?fullyConsistent=true`);
    expect(service.calls.at(-1)).toEqual({ op: 'readSchema', req: { consistency: { fullyConsistent: true } } });
    const two = await json(await fetch(`${srv.url}/v1/schema?fullyConsistent=true&atExactSnapshot=${z}`));
    expect(two.status).toBe(400);
    expect((two.body.error as { message: string }).message).toMatch(/at most one/);
    const unknown = await json(await fetch(`${srv.url}/v1/schema?consistency=full`));
    expect(unknown).toMatchObject({ status: 400, body: { error: { message: 'query: unknown field "consistency"' } } });
    const notTrue = await json(await fetch(`${srv.url}/v1/schema?fullyConsistent=yes`));
    expect(notTrue).toMatchObject({ status: 400, body: { error: { message: 'fullyConsistent: expected "true"' } } });
    const bad = await json(await fetch(`${srv.url}/v1/schema?atLeastAsFresh=nope`));
    expect(bad).toMatchObject({ status: 400, body: { error: { reason: 'ZOOKIE_INVALID' } } });
  });

  it('POST /v1/relationships/write {updates, preconditions?} -> {zookie}', async () => {
    const r = await json(
      await postJson(`${srv.url}/v1/relationships/write`, {
        updates: [
          { operation: 'touch', relationship: 'team:sales#member@user:ana' },
          { operation: 'create', relationship: 'channel:wa1#send@team:sales#member' },
          { operation: 'touch', relationship: 'channel:wa2#send@user:bob' },
        ],
        preconditions: [{ operation: 'must_not_match', filter: { resourceType: 'team', resourceId: 'sales' } }],
      }),
    );
    expect(r).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: { zookie: service.zookie() } });
    expect(service.rels.has('channel:wa1#send@team:sales#member')).toBe(true);
  });

  it('a write whose precondition fails is 412 and writes nothing', async () => {
    const before = [...service.rels];
    const r = await json(
      await postJson(`${srv.url}/v1/relationships/write`, {
        updates: [{ operation: 'touch', relationship: 'team:x#member@user:zed' }],
        preconditions: [{ operation: 'must_match', filter: { resourceType: 'team', resourceId: 'nope' } }],
      }),
    );
    expect(r.status).toBe(412);
    expect(r.body).toEqual({ error: { code: 'FAILED_PRECONDITION', reason: 'PRECONDITION_FAILED', message: expect.any(String) } });
    expect([...service.rels]).toEqual(before);
  });

  it('a create of an existing relationship is 409', async () => {
    const r = await json(
      await postJson(`${srv.url}/v1/relationships/write`, { updates: [{ operation: 'create', relationship: 'team:sales#member@user:ana' }] }),
    );
    expect(r).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_EXISTS', reason: 'RELATIONSHIP_EXISTS' } } });
  });

  it('POST /v1/permissions/check {resource, permission, subject, consistency?} -> {allowed, zookie}', async () => {
    const yes = await json(
      await postJson(`${srv.url}/v1/permissions/check`, {
        resource: 'team:sales',
        permission: 'member',
        subject: 'user:ana',
        consistency: { atLeastAsFresh: service.zookie() },
      }),
    );
    expect(yes).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: { allowed: true, zookie: service.zookie() } });
    const no = await json(await postJson(`${srv.url}/v1/permissions/check`, { resource: 'team:sales', permission: 'member', subject: 'user:eve' }));
    expect(no.body).toEqual({ allowed: false, zookie: expect.any(String) });
  });

  it('passes every consistency shape to the service unchanged', async () => {
    const z = service.zookie();
    for (const consistency of [{ minimizeLatency: true }, { atLeastAsFresh: z }, { atExactSnapshot: z }, { fullyConsistent: true }]) {
      const req = { resource: 'team:sales', permission: 'member', subject: 'user:ana', consistency };
      expect((await postJson(`${srv.url}/v1/permissions/check`, req)).status).toBe(200);
      expect(service.calls.at(-1)).toEqual({ op: 'check', req });
    }
  });

  it('POST /v1/permissions/lookup-resources -> {resources, zookie}', async () => {
    const r = await json(
      await postJson(`${srv.url}/v1/permissions/lookup-resources`, { resourceType: 'channel', permission: 'send', subject: 'user:bob' }),
    );
    expect(r).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: { resources: ['wa2'], zookie: expect.any(String) } });
  });

  it('POST /v1/permissions/check-bulk -> {results, zookie}, a bad item failing alone', async () => {
    const r = await json(
      await postJson(`${srv.url}/v1/permissions/check-bulk`, {
        items: [
          { resource: 'team:sales', permission: 'member', subject: 'user:ana' },
          { resource: 'not an object', permission: 'member', subject: 'user:ana' },
          { resource: 'team:sales', permission: 'member', subject: 'user:eve' },
        ],
      }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      results: [
        { allowed: true },
        { error: { code: 'INVALID_ARGUMENT', reason: 'RELATIONSHIP_SYNTAX', message: expect.any(String) } },
        { allowed: false },
      ],
      zookie: expect.any(String),
    });
  });

  it('POST /v1/permissions/expand -> {tree, zookie}', async () => {
    const r = await json(await postJson(`${srv.url}/v1/permissions/expand`, { resource: 'team:sales', permission: 'member', maxDepth: 3 }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      tree: { kind: 'union', object: 'team:sales#member', children: [{ kind: 'leaf', object: 'team:sales#member', subjects: ['user:ana'] }] },
      zookie: expect.any(String),
    });
    expect(service.calls.at(-1)?.req).toEqual({ resource: 'team:sales', permission: 'member', maxDepth: 3 });
  });

  it('POST /v1/permissions/lookup-subjects -> {subjects, zookie}', async () => {
    const r = await json(
      await postJson(`${srv.url}/v1/permissions/lookup-subjects`, { resource: 'team:sales', permission: 'member', subjectType: 'user' }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ subjects: [{ id: 'ana' }], zookie: expect.any(String) });
  });

  it('POST /v1/relationships/read -> {relationships, zookie}', async () => {
    const r = await json(await postJson(`${srv.url}/v1/relationships/read`, { filter: { resourceType: 'channel' } }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      relationships: ['channel:wa1#send@team:sales#member', 'channel:wa2#send@user:bob'],
      zookie: expect.any(String),
    });
    const paged = await json(await postJson(`${srv.url}/v1/relationships/read`, { filter: { resourceType: 'channel' }, limit: 1 }));
    expect(paged.body).toEqual({ relationships: ['channel:wa1#send@team:sales#member'], cursor: expect.any(String), zookie: expect.any(String) });
    const next = await json(
      await postJson(`${srv.url}/v1/relationships/read`, { filter: { resourceType: 'channel' }, limit: 1, cursor: paged.body.cursor }),
    );
    expect(next.body).toEqual({ relationships: ['channel:wa2#send@user:bob'], zookie: expect.any(String) });
  });

  it('POST /v1/relationships/delete -> {zookie, deleted, partial}', async () => {
    await postJson(`${srv.url}/v1/relationships/write`, {
      updates: ['doc:1', 'doc:2', 'doc:3'].map((d) => ({ operation: 'touch', relationship: `${d}#viewer@user:ana` })),
    });
    const r = await json(await postJson(`${srv.url}/v1/relationships/delete`, { filter: { resourceType: 'doc' }, limit: 2 }));
    expect(r).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: { zookie: expect.any(String), deleted: 2, partial: true } });
    const rest = await json(await postJson(`${srv.url}/v1/relationships/delete`, { filter: { resourceType: 'doc' } }));
    expect(rest.body).toEqual({ zookie: expect.any(String), deleted: 1, partial: false });
  });

  it('POST /v1/relationships/import (text lines) -> {count, zookie}', async () => {
    const res = await fetch(`${srv.url}/v1/relationships/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '// a comment\nteam:ops#member@user:carl\r\n\nteam:ops#member@user:dana\n',
    });
    const r = await json(res);
    expect(r).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: { count: 2, zookie: service.zookie() } });
    expect(service.rels.has('team:ops#member@user:dana')).toBe(true);
  });

  it('GET /healthz and GET /readyz', async () => {
    expect(await json(await fetch(`${srv.url}/healthz`))).toMatchObject({ status: 200, body: { ok: true } });
    expect(await json(await fetch(`${srv.url}/readyz`))).toMatchObject({ status: 200, body: { ready: true } });
    service.isReady = false;
    try {
      expect(await json(await fetch(`${srv.url}/readyz`))).toMatchObject({
        status: 503,
        body: { ready: false, reason: 'catching up with the change feed' },
      });
    } finally {
      service.isReady = true;
    }
  });

  it('GET /readyz is 503, not 500, when the readiness check itself throws', async () => {
    const ready = service.ready;
    service.ready = () => Promise.reject(new Error('store unreachable'));
    const log = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await json(await fetch(`${srv.url}/readyz`));
      expect(r).toEqual({ status: 503, type: expect.any(String), body: { ready: false, reason: 'the readiness check failed' } });
      expect(String(log.mock.calls[0]?.[0])).toContain('store unreachable');
    } finally {
      service.ready = ready;
      log.mockRestore();
    }
  });
});
