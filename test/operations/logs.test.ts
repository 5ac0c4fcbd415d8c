/**
 * Request logs on the real server: one structured line per request on either transport, with the
 * request id taken from the client (when well formed) or generated, and echoed back in the
 * `x-request-id` response header / gRPC response metadata. No line carries the key or a body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      level: 30,
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
