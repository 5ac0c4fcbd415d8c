/** Every unary RPC over a real socket, and the one error path (code, message, reason trailer). */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reasonOf } from '../../../src/api/grpc/client.js';
import { implement } from '../../../src/api/grpc/calls.js';
import { loadProtos } from '../../../src/api/grpc/proto.js';
import { createFakeService, type FakeService } from './fake-service.js';
import { failure, startHarness, type Harness } from './setup.js';

const SCHEMA = 'definition user {}\ndefinition doc { relation viewer: user }';

let service: FakeService;
let h: Harness;

beforeEach(async () => {
  service = createFakeService();
  h = await startHarness(service);
  await h.client.unary('schema', 'WriteSchema', { schema: SCHEMA });
});
afterEach(() => h.close());

const write = (...rels: string[]) =>
  h.client.unary('relationships', 'WriteRelationships', { updates: rels.map((relationship) => ({ operation: 'OPERATION_TOUCH', relationship })) });

describe('schema', () => {
  it('writes and reads the schema with zookies', async () => {
    const w = await h.client.unary('schema', 'WriteSchema', { schema: SCHEMA });
    expect(w.zookie).toBe('z2');
    const r = await h.client.unary('schema', 'ReadSchema', { consistency: { fullyConsistent: true } });
    expect(r).toEqual({ schema: SCHEMA, zookie: 'z2' });
    expect(service.received.at(-1)).toEqual({ method: 'readSchema', req: { consistency: { fullyConsistent: true } } });
  });

  it('maps a bad schema to INVALID_ARGUMENT with the message and reason', async () => {
    const err = await failure(h.client.unary('schema', 'WriteSchema', { schema: 'nonsense' }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe('1:1: expected `definition`');
    expect(reasonOf(err)).toBe('INVALID_ARGUMENT');
  });
});

describe('permissions', () => {
  it('Check answers allowed and denied, passing consistency through', async () => {
    const { zookie } = await write('doc:1#viewer@user:ana');
    const yes = await h.client.unary('permissions', 'Check', {
      resource: 'doc:1',
      permission: 'viewer',
      subject: 'user:ana',
      consistency: { atLeastAsFresh: zookie },
    });
    expect(yes).toEqual({ allowed: true, zookie: 'z2' });
    expect(service.received.at(-1)?.req).toEqual({ resource: 'doc:1', permission: 'viewer', subject: 'user:ana', consistency: { atLeastAsFresh: 'z2' } });
    const no = await h.client.unary('permissions', 'Check', { resource: 'doc:1', permission: 'viewer', subject: 'user:bob' });
    expect(no.allowed).toBe(false);
    expect(service.received.at(-1)?.req).toMatchObject({ consistency: undefined });
  });

  it.each([
    [{ minimizeLatency: true }, { minimizeLatency: true }],
    [{ atExactSnapshot: 'z1' }, { atExactSnapshot: 'z1' }],
    [{ fullyConsistent: true }, { fullyConsistent: true }],
  ])('decodes consistency %j', async (wire, decoded) => {
    await h.client.unary('permissions', 'Check', { resource: 'doc:1', permission: 'viewer', subject: 'user:ana', consistency: wire });
    expect((service.received.at(-1)?.req as { consistency: unknown }).consistency).toEqual(decoded);
  });

  it('refuses fully_consistent=false rather than guessing', async () => {
    const err = await failure(
      h.client.unary('permissions', 'Check', { resource: 'doc:1', permission: 'viewer', subject: 'user:ana', consistency: { fullyConsistent: false } }),
    );
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/fully_consistent must be true/);
  });

  it('Check with bad input is INVALID_ARGUMENT naming the problem', async () => {
    const err = await failure(h.client.unary('permissions', 'Check', { resource: 'not an object', permission: 'viewer', subject: 'user:ana' }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe('`resource`: `not an object` is not type:id');
  });

  it('an unexpected error is INTERNAL with a generic message; the details go to stderr only', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const err = await failure(h.client.unary('permissions', 'Check', { resource: 'boom:1', permission: 'viewer', subject: 'user:ana' }));
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.details).toBe('internal error');
      expect(reasonOf(err)).toBe('INTERNAL');
      expect(log).toHaveBeenCalledOnce();
      const [line, cause] = log.mock.calls[0]!;
      expect(line).toMatch(/PermissionsService\/Check/);
      expect((cause as Error).stack).toMatch(/secret/);
    } finally {
      log.mockRestore();
    }
  });

  it('CheckBulk answers item by item, with per-item errors', async () => {
    await write('doc:1#viewer@user:ana');
    const r = await h.client.unary('permissions', 'CheckBulk', {
      items: [
        { resource: 'doc:1', permission: 'viewer', subject: 'user:ana' },
        { resource: 'bad', permission: 'viewer', subject: 'user:ana' },
        { resource: 'doc:1', permission: 'viewer', subject: 'user:bob' },
      ],
    });
    expect(r.zookie).toBe('z2');
    expect(r.results).toEqual([
      { allowed: true, error: null },
      { allowed: false, error: { code: 'INVALID_ARGUMENT', reason: 'INVALID_ARGUMENT', message: '`resource`: `bad` is not type:id' } },
      { allowed: false, error: null },
    ]);
  });

  it('Expand returns the recursive tree', async () => {
    await write('doc:1#viewer@user:ana', 'doc:1#viewer@team:x#member');
    const r = await h.client.unary('permissions', 'Expand', { resource: 'doc:1', permission: 'viewer', maxDepth: 3 });
    expect(service.received.at(-1)?.req).toMatchObject({ maxDepth: 3 });
    expect(r.tree).toEqual({
      kind: 'KIND_UNION',
      object: 'doc:1#viewer',
      subjects: [],
      truncated: false,
      children: [
        { kind: 'KIND_LEAF', object: 'doc:1#viewer', subjects: ['team:x#member', 'user:ana'], children: [], truncated: false },
        { kind: 'KIND_LEAF', object: 'doc:1#nobody', subjects: [], children: [], truncated: true },
      ],
    });
  });
});

describe('relationships (unary)', () => {
  it('WriteRelationships applies touch, create and delete with preconditions', async () => {
    await write('doc:1#viewer@user:ana');
    const r = await h.client.unary('relationships', 'WriteRelationships', {
      updates: [
        { operation: 'OPERATION_CREATE', relationship: 'doc:2#viewer@user:bob' },
        { operation: 'OPERATION_DELETE', relationship: 'doc:1#viewer@user:ana' },
      ],
      preconditions: [{ operation: 'OPERATION_MUST_MATCH', filter: { resourceType: 'doc', resourceId: '1' } }],
    });
    expect(r.zookie).toBe('z3');
    expect(service.received.at(-1)?.req).toEqual({
      updates: [
        { operation: 'create', relationship: 'doc:2#viewer@user:bob' },
        { operation: 'delete', relationship: 'doc:1#viewer@user:ana' },
      ],
      preconditions: [{ operation: 'must_match', filter: { resourceType: 'doc', resourceId: '1' } }],
    });
  });

  it('maps a failed precondition to FAILED_PRECONDITION and an existing create to ALREADY_EXISTS', async () => {
    await write('doc:1#viewer@user:ana');
    const pre = await failure(
      h.client.unary('relationships', 'WriteRelationships', {
        updates: [{ operation: 'OPERATION_TOUCH', relationship: 'doc:2#viewer@user:bob' }],
        preconditions: [{ operation: 'OPERATION_MUST_NOT_MATCH', filter: { resourceType: 'doc' } }],
      }),
    );
    expect(pre.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(reasonOf(pre)).toBe('PRECONDITION_FAILED');
    const exists = await failure(
      h.client.unary('relationships', 'WriteRelationships', { updates: [{ operation: 'OPERATION_CREATE', relationship: 'doc:1#viewer@user:ana' }] }),
    );
    expect(exists.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(exists.details).toMatch(/already exists/);
  });

  it('refuses an update or precondition without an operation', async () => {
    const u = await failure(h.client.unary('relationships', 'WriteRelationships', { updates: [{ relationship: 'doc:1#viewer@user:ana' }] }));
    expect(u.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(u.details).toBe('updates[0].operation must be OPERATION_TOUCH, OPERATION_CREATE or OPERATION_DELETE');
    const p = await failure(
      h.client.unary('relationships', 'WriteRelationships', {
        updates: [{ operation: 'OPERATION_TOUCH', relationship: 'doc:1#viewer@user:ana' }],
        preconditions: [{ filter: {} }],
      }),
    );
    expect(p.details).toBe('preconditions[0].operation must be OPERATION_MUST_MATCH or OPERATION_MUST_NOT_MATCH');
  });

  it('DeleteRelationships deletes by filter with a limit and reports partial', async () => {
    await write('doc:1#viewer@user:a', 'doc:2#viewer@user:b', 'doc:3#viewer@user:c', 'other:1#viewer@user:a');
    const first = await h.client.unary('relationships', 'DeleteRelationships', { filter: { resourceType: 'doc' }, limit: 2 });
    expect(first).toEqual({ zookie: 'z3', deletedCount: 2, partial: true });
    expect(service.received.at(-1)?.req).toEqual({ filter: { resourceType: 'doc' }, limit: 2, preconditions: [] });
    const rest = await h.client.unary('relationships', 'DeleteRelationships', { filter: { resourceType: 'doc' } });
    expect(rest).toEqual({ zookie: 'z4', deletedCount: 1, partial: false });
    expect(service.received.at(-1)?.req).toMatchObject({ limit: undefined });
  });
});

describe('server construction', () => {
  it('refuses a handler table that does not match the proto', () => {
    const { schema } = loadProtos();
    const run = async () => ({});
    expect(() => implement(schema, { WriteSchema: { kind: 'unary', run } })).toThrow(/ReadSchema: no unary handler/);
    expect(() => implement(schema, { WriteSchema: { kind: 'unary', run }, ReadSchema: { kind: 'unary', run }, Extra: { kind: 'unary', run } })).toThrow(
      /not in the proto: Extra/,
    );
  });

  it('refuses a request larger than maxMessageBytes with RESOURCE_EXHAUSTED', async () => {
    const small = await startHarness(createFakeService(), { maxMessageBytes: 1024 });
    try {
      const err = await failure(small.client.unary('schema', 'WriteSchema', { schema: `definition user {}\n//${'x'.repeat(4096)}` }));
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      await small.close();
    }
  });
});
