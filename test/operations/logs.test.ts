/**
 * Request logs on the real server: one structured line per request on either transport, with the
 * request id taken from the client (when well formed) or generated, and echoed back in the
 * `x-request-id` response header / gRPC response metadata. No line carries the key or a body.
 * Successful requests are logged at debug; failed and slow ones at info, internal errors at error.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/api/grpc/codec.js';
import { loadProtos } from '../../src/api/grpc/proto.js';
import { DEFAULT_LIMITS } from '../../src/service/types.js';
import { requestLevel } from '../../src/server/decorators/logging-service.js';
import { grpcUnary, SCHEMA, startObserved, until, type LogLine, type ObservedServer } from './support.js';

const KEY = 'logs-key-do-not-print';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request logs', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    s = await startObserved({ presharedKey: KEY }, KEY);
    expect((await s.post('/v1/schema', { schema: SCHEMA })).status).toBe(200);
    expect((await s.post('/v1/relationships/write', { updates: [{ operation: 'touch', relationship: 'doc:secret-doc#viewer@user:ana' }] })).status).toBe(200);
  });
  afterAll(() => s?.close());

  const lineFor = (id: string): LogLine | undefined => s.requests().find((l) => l.requestId === id);

  it('writes one line per HTTP request with the client’s request id, and echoes it', async () => {
    const r = await s.post('/v1/permissions/check', { resource: 'doc:secret-doc', permission: 'view', subject: 'user:ana' }, { 'x-request-id': 'req-http-1' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('req-http-1');
    const lines = s.requests().filter((l) => l.requestId === 'req-http-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      name: 'warden',
      msg: 'request',
      requestId: 'req-http-1',
      transport: 'http',
      operation: 'check',
      code: 'OK',
      durationMs: expect.any(Number),
      dispatches: expect.any(Number),
      zookie: r.body.zookie,
    });
  });

  it('generates an id when none (or a malformed one) is sent', async () => {
    const none = await s.post('/v1/permissions/check', { resource: 'doc:secret-doc', permission: 'view', subject: 'user:bob' });
    const id = none.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    expect(lineFor(id)).toMatchObject({ operation: 'check', code: 'OK' });

    const bad = await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:bob' }, { 'x-request-id': 'has spaces "and quotes"' });
    expect(bad.headers.get('x-request-id')).toMatch(UUID);
  });

  it('writes one line per gRPC call with the id from the metadata, echoed in the response metadata', async () => {
    const r = await grpcUnary(
      s.grpcAddress,
      'permissions',
      'Check',
      { resource: 'doc:secret-doc', permission: 'view', subject: 'user:ana' },
      { metadata: { authorization: `Bearer ${KEY}`, 'x-request-id': 'req-grpc-1' } },
    );
    expect(r.error).toBeUndefined();
    expect(r.headers?.get('x-request-id')).toEqual(['req-grpc-1']);
    const lines = s.requests().filter((l) => l.requestId === 'req-grpc-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ transport: 'grpc', operation: 'check', code: 'OK', zookie: r.response!.zookie });

    const generated = await grpcUnary(s.grpcAddress, 'schema', 'ReadSchema', {}, { metadata: { authorization: `Bearer ${KEY}` } });
    const id = String(generated.headers?.get('x-request-id')[0]);
    expect(id).toMatch(UUID);
    expect(lineFor(id)).toMatchObject({ transport: 'grpc', operation: 'readSchema', code: 'OK' });
  });

  it('logs failures with their code and reason, including requests refused before the service', async () => {
    await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'nope', subject: 'user:ana' }, { 'x-request-id': 'req-fail' });
    expect(lineFor('req-fail')).toMatchObject({ operation: 'check', code: 'FAILED_PRECONDITION', reason: 'UNKNOWN_RELATION', error: expect.stringContaining('nope') });

    const noKey = await fetch(`${s.base}/v1/relationships/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-nokey', authorization: 'Bearer wrong-key' },
      body: JSON.stringify({ updates: [] }),
    });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('x-request-id')).toBe('req-nokey');
    expect(lineFor('req-nokey')).toMatchObject({ transport: 'http', operation: 'writeRelationships', code: 'UNAUTHENTICATED' });

    const grpcNoKey = await grpcUnary(s.grpcAddress, 'permissions', 'Check', { resource: 'doc:1', permission: 'view', subject: 'user:a' }, { metadata: { 'x-request-id': 'req-grpc-nokey' } });
    expect(grpcNoKey.error?.code).toBe(16);
    await until(() => lineFor('req-grpc-nokey') !== undefined, 2_000, 'the refused call’s line');
    expect(lineFor('req-grpc-nokey')).toMatchObject({ transport: 'grpc', operation: 'check', code: 'UNAUTHENTICATED', reason: 'UNAUTHENTICATED' });

    const badBody = await s.post('/v1/permissions/check', { resource: 42 }, { 'x-request-id': 'req-badbody' });
    expect(badBody.status).toBe(400);
    expect(lineFor('req-badbody')).toMatchObject({ operation: 'check', code: 'INVALID_ARGUMENT' });
  });

  it('never writes the key, a body or a header into the log', () => {
    const all = JSON.stringify(s.lines);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('user:ana');
    expect(all).not.toMatch(/authorization/i);
    // One line per request: the ids above each appear once.
    for (const id of ['req-http-1', 'req-grpc-1', 'req-nokey', 'req-grpc-nokey']) expect(s.requests().filter((l) => l.requestId === id)).toHaveLength(1);
  });
});

describe('request log levels', () => {
  it('puts successes at debug, failures and slow requests at info, internal errors at error', () => {
    expect(requestLevel('OK', 3, 1_000)).toBe('debug');
    expect(requestLevel('CANCELLED', 3, 1_000)).toBe('debug');
    expect(requestLevel('OK', 1_000, 1_000)).toBe('info');
    expect(requestLevel('INVALID_ARGUMENT', 3, 1_000)).toBe('info');
    expect(requestLevel('DEADLINE_EXCEEDED', 3, 1_000)).toBe('info');
    expect(requestLevel('INTERNAL', 3, 1_000)).toBe('error');
  });

  describe('at the default level (info)', () => {
    let s: ObservedServer;
    beforeAll(async () => {
      s = await startObserved({ logLevel: 'info' });
      await s.post('/v1/schema', { schema: SCHEMA });
    });
    afterAll(() => s?.close());

    it('writes no line for a successful Check, and still echoes its request id', async () => {
      const r = await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' }, { 'x-request-id': 'quiet-1' });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-request-id')).toBe('quiet-1');
      const g = await grpcUnary(s.grpcAddress, 'permissions', 'Check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' }, { metadata: { 'x-request-id': 'quiet-2' } });
      expect(g.error).toBeUndefined();
      expect(s.requests().filter((l) => l.requestId === 'quiet-1' || l.requestId === 'quiet-2')).toEqual([]);
    });

    it('writes a failed request at info', async () => {
      await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'nope', subject: 'user:ana' }, { 'x-request-id': 'loud-1' });
      expect(s.requests().find((l) => l.requestId === 'loud-1')).toMatchObject({ level: 30, code: 'FAILED_PRECONDITION' });
    });
  });

  it('writes a successful request slower than --slow-request-ms at info, marked slow', async () => {
    // 0 ms: every request is "slow", so the test does not depend on timing.
    const s = await startObserved({ logLevel: 'info', slowRequestMs: 0 });
    try {
      await s.post('/v1/schema', { schema: SCHEMA });
      await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' }, { 'x-request-id': 'slow-1' });
      expect(s.requests().find((l) => l.requestId === 'slow-1')).toMatchObject({ level: 30, code: 'OK', slow: true, operation: 'check' });
    } finally {
      await s.close();
    }
  });
});

/**
 * The scope is current only while a service method is being called (api/request-context.ts), so each
 * route must enter it around its call: every one of them is logged with the client's request id.
 */
describe('every route reports its request with the request id', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    // Pages of one: a streamed lookup of ana's two documents calls the service twice.
    s = await startObserved({ limits: { ...DEFAULT_LIMITS, defaultPageSize: 1 } });
    await s.post('/v1/schema', { schema: SCHEMA });
    const updates = ['doc:1#viewer@user:ana', 'doc:5#viewer@user:ana'].map((relationship) => ({ operation: 'touch', relationship }));
    await s.post('/v1/relationships/write', { updates });
  });
  afterAll(() => s?.close());

  // A line from the service decorators counts dispatches; the edge observer's fallback line (for a
  // request the service never saw in scope) does not, and the service's own line then has no id.
  const loggedAs = (id: string) =>
    s
      .requests()
      .filter((l) => l.requestId === id)
      .map((l) => `${String(l.transport)} ${String(l.operation)}${typeof l.dispatches === 'number' ? '' : ' (not in scope)'}`);
  afterAll(() => expect(s.requests().filter((l) => l.requestId === undefined)).toEqual([]));

  it('over HTTP', async () => {
    const posts: [string, string, unknown][] = [
      ['check', '/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' }],
      ['check', '/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true } }],
      ['checkBulk', '/v1/permissions/check-bulk', { items: [{ resource: 'doc:1', permission: 'view', subject: 'user:ana' }] }],
      ['expand', '/v1/permissions/expand', { resource: 'doc:1', permission: 'view' }],
      ['lookupResources', '/v1/permissions/lookup-resources', { resourceType: 'doc', permission: 'view', subject: 'user:ana' }],
      ['lookupSubjects', '/v1/permissions/lookup-subjects', { resource: 'doc:1', permission: 'view', subjectType: 'user' }],
      ['writeRelationships', '/v1/relationships/write', { updates: [{ operation: 'touch', relationship: 'doc:2#viewer@user:bob' }] }],
      ['readRelationships', '/v1/relationships/read', { filter: { resourceType: 'doc' } }],
      ['deleteRelationships', '/v1/relationships/delete', { filter: { resourceType: 'doc', resourceId: '2' } }],
      ['writeSchema', '/v1/schema', { schema: SCHEMA }],
    ];
    for (const [operation, path, body] of posts) {
      const id = `route-${operation}-${path.length}-${JSON.stringify(body).length}`;
      expect((await s.post(path, body, { 'x-request-id': id })).status).toBe(200);
      expect(loggedAs(id)).toEqual([`http ${operation}`]);
    }
    const read = await fetch(`${s.base}/v1/schema`, { headers: { 'x-request-id': 'route-readSchema' } });
    expect(read.status).toBe(200);
    expect(loggedAs('route-readSchema')).toEqual(['http readSchema']);
    const exported = await fetch(`${s.base}/v1/relationships/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'route-export' },
      body: '{}',
    });
    expect(exported.status).toBe(200);
    await exported.text();
    await until(() => loggedAs('route-export').length > 0, 2_000, 'the export line');
    expect(loggedAs('route-export')).toEqual(['http exportRelationships']);
    const imported = await fetch(`${s.base}/v1/relationships/import`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'route-import' },
      body: 'doc:3#viewer@user:cy\n',
    });
    expect(imported.status).toBe(200);
    expect(loggedAs('route-import')).toEqual(['http importRelationships']);
  });

  it('over gRPC, each page of a streamed lookup included', async () => {
    const def = loadProtos().permissions.LookupResources as grpc.MethodDefinition<Message, Message>;
    const client = new grpc.Client(s.grpcAddress, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-request-id', 'route-grpc-lookup');
    const call = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, { resourceType: 'doc', permission: 'view', subject: 'user:ana' }, md);
    for await (const _ of call) {
      // drained
    }
    client.close();
    await until(() => loggedAs('route-grpc-lookup').length > 1, 2_000, 'the lines of both pages');
    expect(loggedAs('route-grpc-lookup')).toEqual(['grpc lookupResources', 'grpc lookupResources']);
  });
});
