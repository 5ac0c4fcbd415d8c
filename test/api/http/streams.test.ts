/** Import bodies, the NDJSON export and watch streams, and paging. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeWardenService } from './fake-service.js';
import { ndjson, postJson, readNdjsonUntil, serveFake, until, type FakeServer } from './helpers.js';

let srv: FakeServer;
let service: FakeWardenService;
const MAX = 4096;

beforeAll(async () => {
  service = new FakeWardenService();
  srv = await serveFake({ service, maxBodyBytes: MAX });
});
afterAll(() => srv.close());

function importBody(body: NonNullable<RequestInit['body']>, contentType = 'text/plain'): Promise<Response> {
  return fetch(`${srv.url}/v1/relationships/import`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    pull(c) {
      const next = chunks.shift();
      if (next === undefined) c.close();
      else c.enqueue(enc.encode(next));
    },
  });
}

describe('import', () => {
  it('reads NDJSON lines', async () => {
    const body = ['{"relationship":"doc:n1#viewer@user:ana"}', '  {"relationship":"doc:n2#viewer@user:ana"}  ', ''].join('\n');
    const res = await importBody(body, 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ count: 2, zookie: service.zookie() });
    expect(service.rels.has('doc:n2#viewer@user:ana')).toBe(true);
  });

  it('reads lines split anywhere across chunks, with CRLF, a BOM and no final newline', async () => {
    const res = await importBody(streamOf(['\uFEFFdoc:c1#vie', 'wer@user:bob\r', '\ndoc:c2#viewer@us', 'er:bob\r\n\r\ndoc:c3', '#viewer@user:bob']));
    expect(await res.json()).toEqual({ count: 3, zookie: expect.any(String) });
    expect(['doc:c1', 'doc:c2', 'doc:c3'].every((d) => service.rels.has(`${d}#viewer@user:bob`))).toBe(true);
  });

  it('hands lines to the service as they arrive, without buffering the body', async () => {
    let sent = 0;
    const seen: number[] = [];
    const original = service.importRelationships.bind(service);
    const spy = vi.spyOn(service, 'importRelationships').mockImplementation(async (lines, signal) => {
      async function* observe() {
        for await (const l of lines) {
          seen.push(sent);
          yield l;
        }
      }
      return original(observe(), signal);
    });
    try {
      const enc = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (sent === 5) return c.close();
          await new Promise((r) => setTimeout(r, 20));
          sent++;
          c.enqueue(enc.encode(`doc:s${sent}#viewer@user:ana\n`));
        },
      });
      const res = await importBody(body);
      expect(await res.json()).toMatchObject({ count: 5 });
      // The first line reached the service before the last one was sent.
      expect(seen[0]).toBeLessThan(5);
    } finally {
      spy.mockRestore();
    }
  });

  it('names the bad line', async () => {
    const res = await importBody('doc:1#viewer@user:ana\n// fine\nnot a relationship\n');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^line 3: /);
  });

  it('refuses invalid UTF-8 naming the line', async () => {
    const res = await importBody(new Uint8Array([...new TextEncoder().encode('doc:1#viewer@user:ana\n'), 0xff, 0xfe, 0x0a]));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: 'line 2: not valid UTF-8' } });
  });

  it('has no total size limit, but refuses a line longer than maxBodyBytes with 413', async () => {
    const many = Array.from({ length: 500 }, (_, i) => `doc:big${i}#viewer@user:ana`).join('\n');
    expect(many.length).toBeGreaterThan(MAX);
    expect(await (await importBody(many)).json()).toMatchObject({ count: 500 });
    const res = await importBody(`doc:1#viewer@user:ana\n${'x'.repeat(MAX + 1)}\n`);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { code: 'RESOURCE_EXHAUSTED', reason: 'REQUEST_TOO_LARGE', message: `line 2 is longer than ${MAX} bytes` },
    });
  });

  it('an empty body imports nothing', async () => {
    const res = await importBody('');
    expect(await res.json()).toEqual({ count: 0, zookie: expect.any(String) });
  });
});

describe('export', () => {
  beforeAll(async () => {
    await postJson(`${srv.url}/v1/relationships/write`, {
      updates: Array.from({ length: 7 }, (_, i) => ({ operation: 'touch', relationship: `folder:f${i}#viewer@user:ana` })),
    });
  });

  it('streams relationship lines, a cursor line after each page, then the zookie and count', async () => {
    const res = await postJson(`${srv.url}/v1/relationships/export`, { filter: { resourceType: 'folder' }, limit: 3 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = await ndjson(res);
    const rels = Array.from({ length: 7 }, (_, i) => ({ relationship: `folder:f${i}#viewer@user:ana` }));
    expect(lines).toEqual([
      ...rels.slice(0, 3),
      { cursor: expect.any(String) },
      ...rels.slice(3, 6),
      { cursor: expect.any(String) },
      rels[6],
      { zookie: expect.any(String), count: 7 },
    ]);
    // A cursor line resumes after its page.
    const cursor = (lines[3] as { cursor: string }).cursor;
    const rest = await ndjson(await postJson(`${srv.url}/v1/relationships/export`, { filter: { resourceType: 'folder' }, cursor }));
    expect(rest).toEqual([...rels.slice(3), { zookie: expect.any(String), count: 4 }]);
  });

  it('takes no body at all', async () => {
    const res = await fetch(`${srv.url}/v1/relationships/export`, { method: 'POST' });
    expect(res.status).toBe(200);
    const lines = await ndjson(res);
    expect(lines.at(-1)).toEqual({ zookie: expect.any(String), count: service.rels.size });
  });

  it('imports into another server unchanged', async () => {
    const exported = await (await postJson(`${srv.url}/v1/relationships/export`, { limit: 2 })).text();
    const other = await serveFake();
    try {
      const res = await fetch(`${other.url}/v1/relationships/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: exported });
      expect(await res.json()).toMatchObject({ count: service.rels.size });
      expect([...other.service.rels].sort()).toEqual([...service.rels].sort());
    } finally {
      await other.close();
    }
  });

  it('a bad request is a proper 4xx, not a stream', async () => {
    const res = await postJson(`${srv.url}/v1/relationships/export`, { consistency: { atExactSnapshot: 'garbage' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { reason: 'ZOOKIE_INVALID' } });
  });

  it('an error after the first page ends the stream with an error line', async () => {
    const log = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const spy = vi.spyOn(service, 'exportRelationships').mockImplementation(async function* () {
      yield { relationships: ['folder:f0#viewer@user:ana'], cursor: 'c1', zookie: 'fz1' };
      throw new Error('disk on fire at /var/secret');
    });
    try {
      const res = await postJson(`${srv.url}/v1/relationships/export`, {});
      expect(res.status).toBe(200);
      expect(await ndjson(res)).toEqual([
        { relationship: 'folder:f0#viewer@user:ana' },
        { cursor: 'c1' },
        { error: { code: 'INTERNAL', reason: 'INTERNAL', message: 'internal error' } },
      ]);
      expect(log.mock.calls.map((c) => String(c[0])).join('')).toContain('disk on fire');
    } finally {
      spy.mockRestore();
      log.mockRestore();
    }
  });

  it('reads no further than the client, and stops the service when the client hangs up', async () => {
    // 4 MB of relationships: more than the socket buffers hold, so the stream must wait for the client.
    const rows = 4000;
    const pad = 'p'.repeat(1000);
    const own = await serveFake();
    try {
      await own.service.writeRelationships({
        updates: Array.from({ length: rows }, (_, i) => ({ operation: 'touch' as const, relationship: `log:${pad}${i}#viewer@user:ana` })),
      });
      const res = await postJson(`${own.url}/v1/relationships/export`, { limit: 1 });
      const got = await readNdjsonUntil(res, (v) => v.length >= 3);
      expect(got.length).toBeGreaterThanOrEqual(3);
      await until(() => own.service.exportsAborted === 1);
      expect(own.service.exportPages).toBeLessThan(rows);
    } finally {
      await own.close();
    }
  });
});

describe('watch', () => {
  it('streams changes and heartbeats as NDJSON WatchEvents', async () => {
    const from = service.zookie();
    const res = await postJson(`${srv.url}/v1/watch`, { afterZookie: from, heartbeatMs: 150 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const write = await postJson(`${srv.url}/v1/relationships/write`, {
      updates: [
        { operation: 'touch', relationship: 'team:w#member@user:ana' },
        { operation: 'delete', relationship: 'team:sales#member@user:nobody' },
      ],
    });
    const { zookie } = (await write.json()) as { zookie: string };
    const events = await readNdjsonUntil(res, (v) => v.some((e) => (e as { type: string }).type === 'heartbeat'));
    expect(events[0]).toEqual({
      type: 'changes',
      zookie,
      changes: [
        { operation: 'touch', relationship: 'team:w#member@user:ana' },
        { operation: 'delete', relationship: 'team:sales#member@user:nobody' },
      ],
    });
    expect(events.at(-1)).toEqual({ type: 'heartbeat', zookie });
  });

  it('aborts the service iterator when the client disconnects', async () => {
    await until(() => service.watchesEnded === service.watchesStarted);
    const started = service.watchesStarted;
    const ended = service.watchesEnded;
    const res = await postJson(`${srv.url}/v1/watch`, { heartbeatMs: 60_000 });
    expect(res.status).toBe(200);
    await until(() => service.watchesStarted === started + 1);
    expect(service.watchesEnded).toBe(ended);
    await res.body!.cancel();
    // The fake's watch only ends through its abort signal (the heartbeat is a minute away).
    await until(() => service.watchesEnded === ended + 1);
  });

  it('with no body watches from now', async () => {
    const res = await fetch(`${srv.url}/v1/watch`, { method: 'POST' });
    expect(res.status).toBe(200);
    await res.body!.cancel();
    expect(service.calls.at(-1)).toEqual({ op: 'watch', req: {} });
  });

  it('a bad zookie or heartbeat is a proper 4xx, not a stream', async () => {
    const bad = await postJson(`${srv.url}/v1/watch`, { afterZookie: 'garbage' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { reason: 'ZOOKIE_INVALID' } });
    const hb = await postJson(`${srv.url}/v1/watch`, { heartbeatMs: 5 });
    expect(hb.status).toBe(400);
  });
});

describe('lookup-resources paging', () => {
  it('returns every result exactly once across pages', async () => {
    const ids = Array.from({ length: 53 }, (_, i) => `ch${String(i).padStart(3, '0')}`);
    await postJson(`${srv.url}/v1/relationships/write`, {
      updates: ids.map((id) => ({ operation: 'touch', relationship: `channel:${id}#send@user:pager` })),
    });
    for (const limit of [1, 7, 53, 100]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await postJson(`${srv.url}/v1/permissions/lookup-resources`, {
          resourceType: 'channel',
          permission: 'send',
          subject: 'user:pager',
          limit,
          ...(cursor ? { cursor } : {}),
        });
        const body = (await res.json()) as { resources: string[]; cursor?: string; zookie: string };
        expect(Object.keys(body).sort()).toEqual(cursor === undefined && body.cursor === undefined ? ['resources', 'zookie'] : expect.any(Array));
        expect(body.resources.length).toBeLessThanOrEqual(limit);
        seen.push(...body.resources);
        cursor = body.cursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(ids);
      expect(pages).toBe(Math.max(1, Math.ceil(ids.length / limit)));
    }
  });
});
