/** Streaming RPCs: paging with cursors and limits, import, export, watch order and cancellation. */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/api/grpc/codec.js';
import { createFakeService, type FakeService } from './fake-service.js';
import { collect, failure, startHarness, type Harness } from './setup.js';

let service: FakeService;
let h: Harness;

beforeEach(async () => {
  // Pages of 3 (max 5) so that small data sets span many pages.
  service = createFakeService();
  h = await startHarness(service);
  await h.client.unary('schema', 'WriteSchema', { schema: 'definition user {}' });
});
afterEach(() => h.close());

const ids = (n: number, prefix = '') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const write = (rels: string[]) =>
  h.client.unary('relationships', 'WriteRelationships', { updates: rels.map((relationship) => ({ operation: 'OPERATION_TOUCH', relationship })) });

describe('LookupResources', () => {
  beforeEach(() => write(ids(10).map((id) => `doc:${id}#viewer@user:ana`)));
  const req = { resourceType: 'doc', permission: 'viewer', subject: 'user:ana' };

  it('streams every result exactly once, one message per page, each with the zookie and a cursor', async () => {
    const msgs = await collect(h.client.serverStream('permissions', 'LookupResources', req));
    expect(msgs.map((m) => (m.resourceIds as string[]).length)).toEqual([3, 3, 3, 1]);
    expect(msgs.flatMap((m) => m.resourceIds as string[])).toEqual(ids(10));
    expect(new Set(msgs.map((m) => m.zookie))).toEqual(new Set(['z2']));
    expect(msgs.slice(0, -1).every((m) => m.afterCursor !== '')).toBe(true);
    expect(msgs.at(-1)!.afterCursor).toBe('');
  });

  it('limit caps the whole stream; after_cursor resumes exactly after it', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let calls = 0; calls < 10; calls++) {
      const msgs = await collect(h.client.serverStream('permissions', 'LookupResources', { ...req, limit: 4, cursor }));
      const got = msgs.flatMap((m) => m.resourceIds as string[]);
      expect(got.length).toBeLessThanOrEqual(4);
      seen.push(...got);
      cursor = String(msgs.at(-1)!.afterCursor);
      if (!cursor) break;
    }
    expect(seen).toEqual(ids(10));
    // The service never saw a page larger than what was left of the limit.
    const limits = service.received.filter((r) => r.method === 'lookupResources').map((r) => (r.req as { limit: number }).limit);
    expect(Math.max(...limits)).toBeLessThanOrEqual(3);
    expect(limits).toContain(1);
  });

  it('an empty answer still sends one message with the zookie', async () => {
    const msgs = await collect(h.client.serverStream('permissions', 'LookupResources', { ...req, subject: 'user:nobody' }));
    expect(msgs).toEqual([{ resourceIds: [], zookie: 'z2', afterCursor: '' }]);
  });

  it('bad input fails the stream with INVALID_ARGUMENT', async () => {
    const err = await failure(collect(h.client.serverStream('permissions', 'LookupResources', { ...req, subject: 'nope' })));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe('`subject`: `nope` is not type:id');
  });

  it('a limit above the maximum page size is fine: it caps the stream, pages stay small', async () => {
    const msgs = await collect(h.client.serverStream('permissions', 'LookupResources', { ...req, limit: 6000 }));
    expect(msgs.flatMap((m) => m.resourceIds as string[])).toEqual(ids(10));
  });
});

describe('LookupSubjects', () => {
  it('streams subjects with wildcard exclusions', async () => {
    await write([...ids(4, 'u').map((id) => `doc:1#viewer@user:${id}`), 'doc:1#viewer@user:*']);
    const msgs = await collect(h.client.serverStream('permissions', 'LookupSubjects', { resource: 'doc:1', permission: 'viewer', subjectType: 'user' }));
    const subjects = msgs.flatMap((m) => m.subjects as Message[]);
    expect(subjects).toEqual([
      { subjectId: '*', excludedSubjectIds: ['banned'] },
      ...ids(4, 'u').map((id) => ({ subjectId: id, excludedSubjectIds: [] })),
    ]);
    expect(msgs.length).toBe(2);
  });
});

describe('ReadRelationships', () => {
  it('streams the filtered relationships across pages, each exactly once', async () => {
    const all = ids(8).map((id) => `doc:${id}#viewer@user:ana`);
    await write([...all, 'folder:1#viewer@user:ana']);
    const msgs = await collect(h.client.serverStream('relationships', 'ReadRelationships', { filter: { resourceType: 'doc' } }));
    expect(msgs.flatMap((m) => m.relationships as string[])).toEqual(all);
    expect(service.received.at(-1)?.req).toMatchObject({ filter: { resourceType: 'doc' }, consistency: undefined });
  });
});

describe('ImportRelationships', () => {
  it('imports batches from a client stream and is safe to run twice', async () => {
    const rels = ids(25).map((id) => `doc:${id}#viewer@user:ana`);
    for (let run = 0; run < 2; run++) {
      const call = h.client.clientStream('relationships', 'ImportRelationships');
      for (let i = 0; i < rels.length; i += 7) await call.send({ relationships: ['// a comment', ...rels.slice(i, i + 7), ''] });
      const r = await call.finish();
      expect(r.count).toBe(25);
      expect(r.zookie).toMatch(/^z\d+$/);
    }
    const read = await collect(h.client.serverStream('relationships', 'ReadRelationships', {}));
    expect(read.flatMap((m) => m.relationships as string[])).toEqual(rels);
  });

  it('a bad line fails the import with INVALID_ARGUMENT naming it', async () => {
    const call = h.client.clientStream('relationships', 'ImportRelationships');
    await call.send({ relationships: ['doc:1#viewer@user:ana', 'garbage'] });
    const err = await failure(call.finish());
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^line 2: relationship: `garbage`/);
  });
});

describe('ExportRelationships', () => {
  it('streams every relationship in pages and resumes from a cursor', async () => {
    const all = ids(7).map((id) => `doc:${id}#viewer@user:ana`);
    await write(all);
    const msgs = await collect(h.client.serverStream('relationships', 'ExportRelationships', {}));
    expect(msgs.flatMap((m) => m.relationships as string[])).toEqual(all);
    const resumed = await collect(h.client.serverStream('relationships', 'ExportRelationships', { cursor: msgs[0]!.afterCursor }));
    expect(resumed.flatMap((m) => m.relationships as string[])).toEqual(all.slice(3));
  });

  it('many small pages arrive complete and in order (backpressure)', async () => {
    const all = ids(600).map((id) => `doc:${id}#viewer@user:ana`);
    for (let i = 0; i < all.length; i += 100) await write(all.slice(i, i + 100));
    const msgs = await collect(h.client.serverStream('relationships', 'ExportRelationships', {}));
    expect(msgs.length).toBe(200);
    expect(msgs.flatMap((m) => m.relationships as string[])).toEqual(all);
  });
});

describe('Watch', () => {
  it('delivers changes after the zookie in revision order, then heartbeats', async () => {
    const { zookie: start } = await write(['doc:1#viewer@user:a']);
    await write(['doc:2#viewer@user:b']);
    const ac = new AbortController();
    const got: Message[] = [];
    const stream = h.client.serverStream('watch', 'Watch', { afterZookie: start, heartbeatMs: 100 }, { signal: ac.signal });
    const done = (async () => {
      try {
        for await (const m of stream) {
          got.push(m);
          if (got.length === 1) await write(['doc:3#viewer@user:c']);
          if (got.some((g) => g.heartbeat)) ac.abort();
        }
      } catch (e) {
        expect((e as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
      }
    })();
    await done;
    const changes = got.filter((m) => !m.heartbeat);
    expect(changes.map((m) => m.zookie)).toEqual(['z3', 'z4']);
    expect(changes.map((m) => (m.changes as Message[])[0]!.relationship)).toEqual(['doc:2#viewer@user:b', 'doc:3#viewer@user:c']);
    expect((changes[0]!.changes as Message[])[0]!.operation).toBe('OPERATION_TOUCH');
    expect(got.at(-1)).toEqual({ zookie: 'z4', changes: [], schemaChanged: false, heartbeat: true });
  });

  it('cancelling the call aborts the service watch', async () => {
    let signal: AbortSignal | undefined;
    const inner = service.watch.bind(service);
    service.watch = (req, s) => {
      signal = s;
      return inner(req, s);
    };
    const ac = new AbortController();
    const stream = h.client.serverStream('watch', 'Watch', { heartbeatMs: 50 }, { signal: ac.signal });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ heartbeat: true });
    ac.abort();
    await expect(it.next()).rejects.toMatchObject({ code: grpc.status.CANCELLED });
    await expect.poll(() => signal?.aborted).toBe(true);
  });

  it('a bad zookie fails the stream with INVALID_ARGUMENT', async () => {
    const err = await failure(collect(h.client.serverStream('watch', 'Watch', { afterZookie: 'garbage' })));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
