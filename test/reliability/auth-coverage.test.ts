/**
 * The preshared key on the real composition root (startServer), complementing the adapter tests in
 * test/api/{grpc,http}/auth.test.ts, which run each adapter over a fake service with a hand-kept route
 * list. Here: every gRPC method the .proto files define and every /v1 route the OpenAPI document lists
 * (so a route added later is covered without editing this file), each with every malformed
 * `authorization` value below, is refused; a refused write, import or delete changes nothing; a key
 * of any length is compared without failing (the comparison hashes both sides first, so lengths that
 * differ cannot throw or short-circuit).
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenGrpcClient, type WardenServiceKey } from '../../src/api/grpc/client.js';
import type { Message } from '../../src/api/grpc/codec.js';
import { loadProtos } from '../../src/api/grpc/proto.js';
import { DEFAULT_CONFIG } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

const KEY = 'k3y-for-the-reliability-tests';
const SCHEMA = `definition user {}
definition doc {
  relation viewer: user
  permission view = viewer
}
`;
const PROBE = 'doc:probe#viewer@user:mallory';

/** `authorization` values that must all be refused (undefined: no header at all). */
const REFUSED: (string | undefined)[] = [
  undefined,
  '',
  'Bearer',
  'Bearer ',
  'Bearer wrong',
  KEY,
  `Basic ${KEY}`,
  `Bearer ${KEY}x`,
  `Bearer x${KEY}`,
  `Bearer ${KEY} ${KEY}`,
  `Bearer ${KEY.slice(0, -1)}`,
  // Long, but within both transports' header limits (grpc-js: 8 KiB of metadata, Node: 16 KiB).
  `Bearer ${'k'.repeat(4 * 1024)}`,
];

const WARDEN_SERVICES: WardenServiceKey[] = ['permissions', 'relationships', 'schema', 'watch'];

/** A plausible request for each method, so that a missing guard would let it do real work. */
const REQUESTS: Record<string, Message> = {
  Check: { resource: 'doc:1', permission: 'view', subject: 'user:ana' },
  CheckBulk: { items: [{ resource: 'doc:1', permission: 'view', subject: 'user:ana' }] },
  Expand: { resource: 'doc:1', permission: 'view' },
  LookupResources: { resourceType: 'doc', permission: 'view', subject: 'user:ana' },
  LookupSubjects: { resource: 'doc:1', permission: 'view', subjectType: 'user' },
  WriteRelationships: { updates: [{ operation: 'OPERATION_TOUCH', relationship: PROBE }] },
  DeleteRelationships: { filter: { resourceType: 'doc' } },
  ReadRelationships: { filter: { resourceType: 'doc' } },
  ImportRelationships: { relationships: [PROBE] },
  ExportRelationships: {},
  Watch: { heartbeatMs: 50 },
  WriteSchema: { schema: `${SCHEMA}definition mallory {}\n` },
  ReadSchema: {},
};

/** Calls a method over a raw channel with exactly the given `authorization` value; resolves to the status code. */
function callWith(port: number, service: WardenServiceKey, name: string, authorization: string | undefined): Promise<grpc.ServiceError | undefined> {
  const m = loadProtos()[service][name] as grpc.MethodDefinition<Message, Message>;
  const request = REQUESTS[name] ?? {};
  const md = new grpc.Metadata();
  if (authorization !== undefined) md.set('authorization', authorization);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const options = { deadline: Date.now() + 10_000 };
  return new Promise<grpc.ServiceError | undefined>((resolve) => {
    const done = (err: grpc.ServiceError | null | undefined) => {
      client.close();
      resolve(err ?? undefined);
    };
    if (m.requestStream) {
      const call = client.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, md, options, (err) => done(err));
      call.write(request);
      call.end();
    } else if (m.responseStream) {
      const call = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, request, md, options);
      // The first message proves the call was let in; Watch would not end by itself.
      call.on('data', () => {
        call.cancel();
        done(undefined);
      });
      call.on('error', (err: grpc.ServiceError) => done(err.code === grpc.status.CANCELLED ? undefined : err));
      call.on('end', () => done(undefined));
    } else {
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, md, options, (err) => done(err));
    }
  });
}

describe('the preshared key on the real server', () => {
  let server: RunningServer;
  let base: string;
  let keyed: WardenGrpcClient;

  beforeAll(async () => {
    server = await startServer({
      ...DEFAULT_CONFIG,
      datastore: 'memory',
      host: '127.0.0.1',
      httpPort: 0,
      grpcPort: 0,
      bootstrap: false,
      quantizationMs: 0,
      shutdownGraceMs: 200,
      presharedKey: KEY,
    });
    base = `http://127.0.0.1:${server.httpPort}`;
    keyed = new WardenGrpcClient(`127.0.0.1:${server.grpcPort}`, { token: KEY });
    await keyed.unary('schema', 'WriteSchema', { schema: SCHEMA });
    await keyed.unary('relationships', 'WriteRelationships', { updates: [{ operation: 'OPERATION_TOUCH', relationship: 'doc:1#viewer@user:ana' }] });
  });

  afterAll(async () => {
    keyed?.close();
    await server?.close();
  });

  /** What a refused call could have changed: the relationships and the schema, read with the key. */
  async function state(): Promise<string> {
    const rels: string[] = [];
    for await (const m of keyed.serverStream('relationships', 'ExportRelationships', { consistency: { fullyConsistent: true } })) {
      rels.push(...(m.relationships as string[]));
    }
    const schema = await keyed.unary('schema', 'ReadSchema', { consistency: { fullyConsistent: true } });
    return JSON.stringify({ rels: rels.sort(), schema: schema.schema });
  }

  const methods = () => WARDEN_SERVICES.flatMap((s) => Object.keys(loadProtos()[s]).map((n) => [s, n] as const));

  it('gRPC: every method of every Warden service refuses every malformed authorization, and changes nothing', async () => {
    const before = await state();
    const letIn: string[] = [];
    for (const [service, name] of methods()) {
      expect(REQUESTS[name], `no request for ${name}: add one`).toBeDefined();
      for (const auth of REFUSED) {
        const err = await callWith(server.grpcPort, service, name, auth);
        if (err?.code !== grpc.status.UNAUTHENTICATED) letIn.push(`${name} with ${JSON.stringify(auth?.slice(0, 40))}: ${err ? `${grpc.status[err.code]} ${err.details}` : 'OK'}`);
      }
    }
    expect(letIn).toEqual([]);
    expect(await state()).toBe(before);
  }, 60_000);

  it('gRPC: with the key every method is let in (the guard refuses only what it should)', async () => {
    const refused: string[] = [];
    for (const [service, name] of methods()) {
      if (name === 'WriteSchema' || name === 'DeleteRelationships') continue; // would change the fixture
      const err = await callWith(server.grpcPort, service, name, `Bearer ${KEY}`);
      if (err?.code === grpc.status.UNAUTHENTICATED) refused.push(name);
    }
    expect(refused).toEqual([]);
  }, 60_000);

  it('HTTP: every /v1 route of the OpenAPI document refuses every malformed authorization, and changes nothing', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ path, method: method.toUpperCase() })));
    expect(routes.length).toBeGreaterThanOrEqual(13);
    const before = await state();
    const letIn: string[] = [];
    const bodies: Record<string, { type: string; body: string }> = {
      '/v1/relationships/import': { type: 'text/plain', body: `${PROBE}\n` },
      '/v1/relationships/write': { type: 'application/json', body: JSON.stringify({ updates: [{ operation: 'touch', relationship: PROBE }] }) },
      '/v1/relationships/delete': { type: 'application/json', body: JSON.stringify({ filter: { resourceType: 'doc' } }) },
      '/v1/schema': { type: 'application/json', body: JSON.stringify({ schema: `${SCHEMA}definition mallory {}\n` }) },
    };
    for (const { path, method } of routes) {
      for (const auth of REFUSED) {
        const b = method === 'GET' ? undefined : (bodies[path] ?? { type: 'application/json', body: '{}' });
        const ac = new AbortController();
        const res = await fetch(base + path, {
          method,
          headers: { ...(b ? { 'content-type': b.type } : {}), ...(auth !== undefined ? { authorization: auth } : {}) },
          ...(b ? { body: b.body } : {}),
          signal: ac.signal,
        });
        if (res.status !== 401) letIn.push(`${method} ${path} with ${JSON.stringify(auth?.slice(0, 40))}: ${res.status}`);
        ac.abort();
      }
    }
    expect(letIn).toEqual([]);
    expect(await state()).toBe(before);
  }, 60_000);
});
