/** Every RPC end to end: a grpc-js client over a socket against startServer (memory datastore). */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenGrpcClient, reasonOf } from '../../../src/api/grpc/client.js';
import type { Message } from '../../../src/api/grpc/codec.js';
import { E2E_SCHEMA, startRealServer, type RealServer } from './real-server.js';
import { collect, failure } from './setup.js';

let s: RealServer;
let zookie: string;

const touch = (...rels: string[]) => ({ updates: rels.map((relationship) => ({ operation: 'OPERATION_TOUCH', relationship })) });
const fresh = () => ({ atLeastAsFresh: zookie });

beforeAll(async () => {
  s = await startRealServer();
  await s.client.unary('schema', 'WriteSchema', { schema: E2E_SCHEMA });
  const w = await s.client.unary(
    'relationships',
    'WriteRelationships',
    touch(
      'team:sales#member@user:ana',
      'team:sales#member@user:bob',
      'channel:wa1#assigned_team@team:sales#member',
      'channel:wa2#assigned_user@user:ana',
      'channel:wa1#banned@user:bob',
      'channel:lobby#public@user:*',
      'channel:lobby#banned@user:eve',
    ),
  );
  zookie = String(w.zookie);
});
afterAll(() => s?.close());

describe('schema', () => {
  it('reads back the schema it was given', async () => {
    const r = await s.client.unary('schema', 'ReadSchema', { consistency: fresh() });
    expect(r.schema).toMatch(/definition channel/);
    expect(r.zookie).toBeTruthy();
  });

  it('a schema that does not parse is INVALID_ARGUMENT naming line:column', async () => {
    const err = await failure(s.client.unary('schema', 'WriteSchema', { schema: 'definition {' }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^1:\d+: /);
    expect(reasonOf(err)).toBe('SCHEMA_INVALID');
  });
});

describe('permissions', () => {
  it('Check sees the write it was given the zookie of', async () => {
    const ask = (resource: string, permission: string, subject: string) =>
      s.client.unary('permissions', 'Check', { resource, permission, subject, consistency: fresh() }).then((r) => r.allowed);
    expect(await ask('channel:wa1', 'send', 'user:ana')).toBe(true);
    expect(await ask('channel:wa1', 'send', 'user:bob')).toBe(false);
    expect(await ask('channel:wa2', 'send', 'user:bob')).toBe(false);
    expect(await ask('channel:lobby', 'view', 'user:zed')).toBe(true);
    expect(await ask('channel:lobby', 'view', 'user:eve')).toBe(false);
  });

  it('CheckBulk answers in order with per-item errors', async () => {
    const r = await s.client.unary('permissions', 'CheckBulk', {
      items: [
        { resource: 'channel:wa1', permission: 'send', subject: 'user:ana' },
        { resource: 'channel:wa1', permission: 'nope', subject: 'user:ana' },
        { resource: 'channel:wa2', permission: 'send', subject: 'user:bob' },
      ],
      consistency: fresh(),
    });
    const results = r.results as Message[];
    expect(results.map((x) => x.allowed)).toEqual([true, false, false]);
    expect(results[0]!.error).toBeNull();
    expect((results[1]!.error as Message).code).toBe('FAILED_PRECONDITION');
    expect(results[2]!.error).toBeNull();
  });

  it('Expand returns a tree rooted at the permission', async () => {
    const r = await s.client.unary('permissions', 'Expand', { resource: 'channel:wa1', permission: 'send', consistency: fresh() });
    const tree = r.tree as Message;
    expect(tree.object).toBe('channel:wa1#send');
    expect(tree.kind).toBe('KIND_EXCLUSION');
    const text = JSON.stringify(tree);
    expect(text).toContain('team:sales#member');
    expect(text).toContain('user:bob');
  });

  it('LookupSubjects returns the wildcard with its exclusions', async () => {
    const msgs = await collect(s.client.serverStream('permissions', 'LookupSubjects', { resource: 'channel:lobby', permission: 'view', subjectType: 'user', consistency: fresh() }));
    expect(msgs.flatMap((m) => m.subjects as Message[])).toContainEqual({ subjectId: '*', excludedSubjectIds: ['eve'] });
  });

  it('Check errors: bad syntax, unknown permission, malformed zookie', async () => {
    const syntax = await failure(s.client.unary('permissions', 'Check', { resource: 'channel', permission: 'send', subject: 'user:ana' }));
    expect(syntax.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(syntax.details).toMatch(/channel/);
    const unknown = await failure(s.client.unary('permissions', 'Check', { resource: 'channel:wa1', permission: 'fly', subject: 'user:ana' }));
    expect(unknown.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(unknown.details).toMatch(/fly/);
    const zk = await failure(
      s.client.unary('permissions', 'Check', { resource: 'channel:wa1', permission: 'send', subject: 'user:ana', consistency: { atLeastAsFresh: 'garbage!' } }),
    );
    expect(zk.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(reasonOf(zk)).toBe('ZOOKIE_INVALID');
  });
});

describe('relationships', () => {
  it('a subject type the schema does not allow is refused, and nothing is written', async () => {
    const err = await failure(s.client.unary('relationships', 'WriteRelationships', touch('channel:x1#assigned_user@user:ana', 'channel:x1#assigned_user@team:sales')));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    const read = await collect(s.client.serverStream('relationships', 'ReadRelationships', { filter: { resourceType: 'channel', resourceId: 'x1' }, consistency: { fullyConsistent: true } }));
    expect(read.flatMap((m) => m.relationships as string[])).toEqual([]);
  });

  it('preconditions guard a write', async () => {
    const err = await failure(
      s.client.unary('relationships', 'WriteRelationships', {
        ...touch('channel:wa9#assigned_user@user:ana'),
        preconditions: [{ operation: 'OPERATION_MUST_MATCH', filter: { resourceType: 'channel', resourceId: 'nope' } }],
      }),
    );
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  describe('thousands of relationships', () => {
    const n = 2500;
    const rels = Array.from({ length: n }, (_, i) => `channel:bulk${String(i).padStart(5, '0')}#assigned_user@user:carl`);
    let consistency: Message;

    beforeAll(async () => {
      // Twice: an import is a touch, so the second run changes nothing and counts the same.
      for (let run = 0; run < 2; run++) {
        const call = s.client.clientStream('relationships', 'ImportRelationships');
        for (let i = 0; i < n; i += 700) await call.send({ relationships: rels.slice(i, i + 700) });
        const imported = await call.finish();
        expect(imported.count).toBe(n);
        consistency = { atLeastAsFresh: imported.zookie };
      }
    });

    it('LookupResources pages through them with limit and after_cursor, each exactly once', async () => {
      const seen: string[] = [];
      let cursor = '';
      do {
        const msgs = await collect(
          s.client.serverStream('permissions', 'LookupResources', { resourceType: 'channel', permission: 'send', subject: 'user:carl', consistency, limit: 900, cursor }),
        );
        seen.push(...msgs.flatMap((m) => m.resourceIds as string[]));
        cursor = String(msgs.at(-1)!.afterCursor);
      } while (cursor && seen.length <= n);
      expect(seen).toEqual(rels.map((r) => r.slice('channel:'.length, r.indexOf('#'))));
    });

    it('ReadRelationships streams them across pages', async () => {
      const read = await collect(s.client.serverStream('relationships', 'ReadRelationships', { filter: { resourceIdPrefix: 'bulk', resourceType: 'channel' }, consistency }));
      expect(read.length).toBeGreaterThan(1);
      expect(read.flatMap((m) => m.relationships as string[])).toEqual(rels);
    });

    it('ExportRelationships streams them at one revision', async () => {
      const exported = await collect(s.client.serverStream('relationships', 'ExportRelationships', { consistency }));
      expect(exported.flatMap((m) => m.relationships as string[])).toEqual(expect.arrayContaining(rels));
      expect(new Set(exported.map((m) => m.zookie)).size).toBe(1);
    });

    it('DeleteRelationships deletes them by filter, in limited rounds', async () => {
      const d1 = await s.client.unary('relationships', 'DeleteRelationships', { filter: { resourceType: 'channel', subject: 'user:carl' }, limit: 1000 });
      expect(d1).toMatchObject({ deletedCount: 1000, partial: true });
      const d2 = await s.client.unary('relationships', 'DeleteRelationships', { filter: { resourceType: 'channel', subject: 'user:carl' } });
      expect(d2).toMatchObject({ deletedCount: 1500, partial: false });
    });
  });

  it('LookupSubjects pages through thousands of subjects with limit and cursor, each exactly once', async () => {
    const members = Array.from({ length: 2100 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    const w = await s.client.unary(
      'relationships',
      'WriteRelationships',
      touch('channel:bigc#assigned_team@team:big#member', ...members.map((m) => `team:big#member@user:${m}`)),
    );
    const seen: string[] = [];
    let cursor = '';
    let calls = 0;
    do {
      const msgs = await collect(
        s.client.serverStream('permissions', 'LookupSubjects', {
          resource: 'channel:bigc',
          permission: 'send',
          subjectType: 'user',
          consistency: { atLeastAsFresh: w.zookie },
          limit: 1500,
          cursor,
        }),
      );
      seen.push(...msgs.flatMap((m) => (m.subjects as Message[]).map((x) => String(x.subjectId))));
      cursor = String(msgs.at(-1)!.afterCursor);
      calls++;
    } while (cursor && calls < 5);
    expect(calls).toBe(2);
    expect(seen).toEqual(members);
  });

  it('a bad relationship in an import is INVALID_ARGUMENT naming its line', async () => {
    const call = s.client.clientStream('relationships', 'ImportRelationships');
    await call.send({ relationships: ['channel:i1#assigned_user@user:ana', 'channel:i2#assigned_user'] });
    const err = await failure(call.finish());
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^line 2: /);
  });
});

describe('watch', () => {
  it('delivers changes after the zookie in revision order', async () => {
    const start = String((await s.client.unary('relationships', 'WriteRelationships', touch('channel:w0#assigned_user@user:ana'))).zookie);
    const written: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const rel = `channel:w${i}#assigned_user@user:ana`;
      await s.client.unary('relationships', 'WriteRelationships', touch(rel));
      written.push(rel);
    }
    const ac = new AbortController();
    const got: string[] = [];
    const zookies: string[] = [];
    try {
      for await (const m of s.client.serverStream('watch', 'Watch', { afterZookie: start, heartbeatMs: 200 }, { signal: ac.signal })) {
        for (const c of m.changes as Message[]) got.push(String(c.relationship));
        if (!m.heartbeat) zookies.push(String(m.zookie));
        if (got.length >= 3 || m.heartbeat) ac.abort();
      }
    } catch (e) {
      expect((e as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
    }
    expect(got).toEqual(written);
    expect(new Set(zookies).size).toBe(3);
  });
});

describe('auth', () => {
  it('with a key: refused without it (unary and streaming), allowed with it; health needs none', async () => {
    const locked = await startRealServer({ presharedKey: 'k' });
    try {
      const anon = new WardenGrpcClient(locked.endpoint);
      try {
        expect((await failure(anon.unary('schema', 'ReadSchema', {}))).code).toBe(grpc.status.UNAUTHENTICATED);
        expect((await failure(collect(anon.serverStream('relationships', 'ExportRelationships', {})))).code).toBe(grpc.status.UNAUTHENTICATED);
        expect(await anon.unary('health', 'Check', {})).toEqual({ status: 'SERVING' });
      } finally {
        anon.close();
      }
      await locked.client.unary('schema', 'WriteSchema', { schema: E2E_SCHEMA });
    } finally {
      await locked.close();
    }
  });
});
