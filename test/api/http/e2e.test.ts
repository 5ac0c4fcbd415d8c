/**
 * The HTTP API through the real server (src/server: memory datastore, real service and engine), over a
 * socket: the pinned shapes, read-your-writes with zookies, paging, import/export/watch streams, auth on
 * every /v1 route, and the random-body fuzz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import { DEFAULT_LIMITS } from '../../../src/service/types.js';
import { fuzzPostRoutes } from './fuzz-support.js';
import { V1_ROUTES, ndjson, readNdjsonUntil, requestFor } from './helpers.js';

const KEY = 'e2e-key';
const AUTH = { authorization: `Bearer ${KEY}` };
const MAX_BODY = 256 * 1024;

const SCHEMA = `definition user {}

definition team {
  relation member: user
}

definition channel {
  relation assigned_user: user
  relation assigned_team: team
  permission send = assigned_user + assigned_team->member
}`;

let server: RunningServer;
let base: string;

beforeAll(async () => {
  server = await startServer({
    ...DEFAULT_CONFIG,
    datastore: 'memory',
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    bootstrap: false,
    presharedKey: KEY,
    quantizationMs: 0,
    limits: { ...DEFAULT_LIMITS, maxRequestBytes: MAX_BODY, maxPageSize: 500 },
  });
  base = `http://127.0.0.1:${server.httpPort}`;
});
afterAll(() => server?.close());

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function write(...relationships: string[]): Promise<string> {
  const r = await post('/v1/relationships/write', { updates: relationships.map((relationship) => ({ operation: 'touch', relationship })) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.zookie as string;
}

describe('the real server over HTTP', () => {
  it('writes and reads the schema with the pinned shapes', async () => {
    const w = await post('/v1/schema', { schema: SCHEMA });
    expect(w).toEqual({ status: 200, body: { zookie: expect.any(String) } });
    const res = await fetch(`${base}/v1/schema?atLeastAsFresh=${encodeURIComponent(w.body.zookie as string)}`, { headers: AUTH });
    const r = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(r).toEqual({ schema: expect.stringContaining('definition channel'), zookie: expect.any(String) });
  });

  it('a schema that does not parse is a 400 naming line:column', async () => {
    const r = await post('/v1/schema', { schema: 'definition user {\n  relation : user\n}' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT', reason: 'SCHEMA_INVALID', message: expect.stringMatching(/^\d+:\d+/) } });
  });

  it('reads its own writes with the zookie', async () => {
    const zookie = await write('team:sales#member@user:ana', 'channel:wa1#assigned_team@team:sales');
    const r = await post('/v1/permissions/check', {
      resource: 'channel:wa1',
      permission: 'send',
      subject: 'user:ana',
      consistency: { atLeastAsFresh: zookie },
    });
    expect(r).toEqual({ status: 200, body: { allowed: true, zookie: expect.any(String) } });
    const no = await post('/v1/permissions/check', { resource: 'channel:wa1', permission: 'send', subject: 'user:eve', consistency: { fullyConsistent: true } });
    expect(no.body.allowed).toBe(false);
  });

  it('refuses a relationship the schema does not allow, writing nothing', async () => {
    const r = await post('/v1/relationships/write', {
      updates: [
        { operation: 'touch', relationship: 'team:x#member@user:zed' },
        { operation: 'touch', relationship: 'team:x#member@channel:wa1' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    const read = await post('/v1/relationships/read', { filter: { resourceType: 'team', resourceId: 'x' }, consistency: { fullyConsistent: true } });
    expect(read.body).toEqual({ relationships: [], zookie: expect.any(String) });
  });

  it('rejects a malformed zookie', async () => {
    const r = await post('/v1/permissions/check', { resource: 'channel:wa1', permission: 'send', subject: 'user:ana', consistency: { atLeastAsFresh: 'garbage' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { reason: 'ZOOKIE_INVALID' } });
  });

  it('pages lookup-resources, every result exactly once', async () => {
    const ids = Array.from({ length: 230 }, (_, i) => `c${String(i).padStart(4, '0')}`);
    const half = ids.length / 2;
    const zookie = await write(
      'team:pagers#member@user:pat',
      ...ids.slice(0, half).map((id) => `channel:${id}#assigned_team@team:pagers`),
      ...ids.slice(half).map((id) => `channel:${id}#assigned_user@user:pat`),
    );
    for (const limit of [1, 17, 230, 500]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const r = await post('/v1/permissions/lookup-resources', {
          resourceType: 'channel',
          permission: 'send',
          subject: 'user:pat',
          limit,
          ...(cursor ? { cursor } : { consistency: { atLeastAsFresh: zookie } }),
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const resources = r.body.resources as string[];
        expect(resources.length).toBeLessThanOrEqual(limit);
        seen.push(...resources);
        cursor = r.body.cursor as string | undefined;
      } while (cursor);
      expect(seen.sort()).toEqual(ids);
    }
  });

  it('lookup-subjects, expand and check-bulk answer with their shapes', async () => {
    const ls = await post('/v1/permissions/lookup-subjects', { resource: 'channel:wa1', permission: 'send', subjectType: 'user', consistency: { fullyConsistent: true } });
    expect(ls).toEqual({ status: 200, body: { subjects: [{ id: 'ana' }], zookie: expect.any(String) } });
    const ex = await post('/v1/permissions/expand', { resource: 'channel:wa1', permission: 'send', consistency: { fullyConsistent: true } });
    expect(ex.status).toBe(200);
    expect(ex.body).toEqual({ tree: expect.objectContaining({ kind: expect.any(String), object: 'channel:wa1#send' }), zookie: expect.any(String) });
    const cb = await post('/v1/permissions/check-bulk', {
      items: [
        { resource: 'channel:wa1', permission: 'send', subject: 'user:ana' },
        { resource: 'channel:wa1', permission: 'nope', subject: 'user:ana' },
      ],
      consistency: { fullyConsistent: true },
    });
    expect(cb.status).toBe(200);
    expect(cb.body.results).toEqual([{ allowed: true }, { error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) }]);
  });

  it('imports text lines and NDJSON, and exports what it imported', async () => {
    const text = await fetch(`${base}/v1/relationships/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...AUTH },
      body: '// two members\nteam:imp#member@user:i1\nteam:imp#member@user:i2\n',
    });
    expect(await text.json()).toEqual({ count: 2, zookie: expect.any(String) });
    const nd = await fetch(`${base}/v1/relationships/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...AUTH },
      body: '{"relationship":"team:imp#member@user:i3"}\n{"relationship":"team:imp#member@user:i4"}\n',
    });
    const { zookie } = (await nd.json()) as { zookie: string };
    const bad = await fetch(`${base}/v1/relationships/import`, { method: 'POST', headers: AUTH, body: 'team:imp#member@user:i5\nteam:imp#bogus@user:i6\n' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: expect.stringMatching(/^line 2: /) } });

    const res = await fetch(`${base}/v1/relationships/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ filter: { resourceType: 'team', resourceId: 'imp' }, limit: 2, consistency: { atLeastAsFresh: zookie } }),
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = await ndjson(res);
    const rels = lines.filter((l) => 'relationship' in (l as object)).map((l) => (l as { relationship: string }).relationship);
    // i5 was imported before the bad line: batches before it stay.
    expect(rels.filter((r) => /user:i[1-4]$/.test(r)).sort()).toEqual(['i1', 'i2', 'i3', 'i4'].map((u) => `team:imp#member@user:${u}`));
    expect(lines.at(-1)).toEqual({ zookie: expect.any(String), count: rels.length });
    expect(lines.some((l) => 'cursor' in (l as object))).toBe(true);
  });

  it('watch streams a write as it commits', async () => {
    const before = await write('team:watched#member@user:w0');
    const res = await fetch(`${base}/v1/watch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ afterZookie: before, heartbeatMs: 200 }),
    });
    expect(res.status).toBe(200);
    const zookie = await write('team:watched#member@user:w1');
    const events = await readNdjsonUntil(res, (v) => v.some((e) => (e as { zookie?: string }).zookie === zookie));
    expect(events).toContainEqual({ type: 'changes', zookie, changes: [{ operation: 'touch', relationship: 'team:watched#member@user:w1' }] });
  });

  it('every /v1 route needs the key, and works with it', async () => {
    for (const r of V1_ROUTES) {
      const denied = await requestFor(base, r, {});
      expect(denied.status, r.path).toBe(401);
      await denied.arrayBuffer();
      const abort = new AbortController();
      const ok = await requestFor(base, r.path === '/v1/schema' && r.method === 'POST' ? { ...r, body: { schema: SCHEMA } } : r, AUTH, abort.signal);
      expect(ok.status, `${r.method} ${r.path}`).toBe(200);
      if (r.endless) abort.abort();
      else await ok.arrayBuffer();
    }
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) expect((await fetch(base + path)).status).toBe(200);
  });

  it('a JSON body over the limit is 413', async () => {
    const res = await fetch(`${base}/v1/permissions/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ resource: 'channel:wa1', permission: 'send', subject: `user:${'a'.repeat(MAX_BODY)}` }),
    });
    expect(res.status).toBe(413);
  });

  it('answers random bodies with a 2xx or a 4xx JSON error, and keeps answering', async () => {
    await fuzzPostRoutes(base, Number(process.env.WARDEN_FUZZ_RUNS ?? 300), AUTH);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await post('/v1/schema', { schema: SCHEMA })).status).toBe(200);
    const r = await post('/v1/permissions/check', { resource: 'channel:wa1', permission: 'send', subject: 'user:ana' });
    expect(r.status).toBe(200);
  }, 120_000);
});
