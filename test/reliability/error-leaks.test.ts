/**
 * When the datastore breaks under a running server, clients get a generic error: never a stack
 * frame, SQL, a driver's message, a table, schema or file name. The store is broken for real: its
 * tables renamed away (SQLite) or its schema dropped (PostgreSQL) by another connection, and closed.
 * Every operation of both transports is tried, and so is the open readiness probe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenGrpcClient } from '../../src/api/grpc/client.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { TestSchemas, adminQuery, postgresUrl } from '../support/postgres.js';

const SCHEMA = `definition user {}
definition doc {
  relation viewer: user
  permission view = viewer
}
`;

/** What must never reach a client. */
const LEAKS: RegExp[] = [
  /\n\s+at\s/, // a stack trace
  /\bat [\w$.<>]+ \(/, // a stack frame
  /\.[cm]?[jt]s:\d+/, // a source position
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE|ALTER TABLE|DROP)\b/,
  /sqlite|no such (table|column)|does not exist|syntax error|node_modules|better-sqlite3|\bpg\b|relation "/i,
  /_gone\b|warden_test_|\/tmp\/|warden-leak-/,
];

function leaksIn(text: string): string[] {
  return LEAKS.filter((re) => re.test(text)).map((re) => `${re} in ${text.slice(0, 300)}`);
}

const FULL = { fullyConsistent: true };
const REL = 'doc:2#viewer@user:bob';

/** Every HTTP operation, each made to need the store (fully consistent reads, writes, streams). */
async function httpAnswers(base: string): Promise<{ what: string; status: number; text: string }[]> {
  const post = async (path: string, body: unknown, type = 'application/json') => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return { what: `POST ${path}`, status: res.status, text: await res.text() };
  };
  const get = async (path: string) => {
    const res = await fetch(base + path, { signal: AbortSignal.timeout(15_000) });
    return { what: `GET ${path}`, status: res.status, text: await res.text() };
  };
  // The watch stream never ends by itself: its first line (or error) is enough.
  const watch = async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 3_000);
    try {
      const res = await fetch(`${base}/v1/watch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ afterZookie: undefined, heartbeatMs: 100 }), signal: ac.signal });
      const reader = res.body!.getReader();
      const first = await reader.read().catch(() => ({ value: undefined }));
      ac.abort();
      return { what: 'POST /v1/watch', status: res.status, text: first.value ? Buffer.from(first.value).toString('utf8') : '' };
    } catch {
      return { what: 'POST /v1/watch', status: 0, text: '' };
    } finally {
      clearTimeout(timer);
    }
  };
  return [
    await post('/v1/schema', { schema: `${SCHEMA}definition team {}\n` }),
    await get('/v1/schema'),
    await post('/v1/relationships/write', { updates: [{ operation: 'touch', relationship: REL }] }),
    await post('/v1/relationships/delete', { filter: { resourceType: 'doc' } }),
    await post('/v1/relationships/read', { filter: { resourceType: 'doc' }, consistency: FULL }),
    await post('/v1/relationships/import', `${REL}\n`, 'text/plain'),
    await post('/v1/relationships/export', { consistency: FULL }),
    await post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: FULL }),
    await post('/v1/permissions/check-bulk', { items: [{ resource: 'doc:1', permission: 'view', subject: 'user:ana' }], consistency: FULL }),
    await post('/v1/permissions/expand', { resource: 'doc:1', permission: 'view', consistency: FULL }),
    await post('/v1/permissions/lookup-resources', { resourceType: 'doc', permission: 'view', subject: 'user:ana', consistency: FULL }),
    await post('/v1/permissions/lookup-subjects', { resource: 'doc:1', permission: 'view', subjectType: 'user', consistency: FULL }),
    await watch(),
    await get('/readyz'),
  ];
}

/** Every gRPC operation; the answer is the status details and every trailer value. */
async function grpcAnswers(client: WardenGrpcClient): Promise<{ what: string; code: number; text: string }[]> {
  const out: { what: string; code: number; text: string }[] = [];
  const run = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
      out.push({ what, code: 0, text: '' });
    } catch (e) {
      const err = e as grpc.ServiceError;
      const trailers = Object.values(err.metadata?.getMap() ?? {}).map(String).join(' ');
      out.push({ what, code: err.code, text: `${err.details} ${trailers}` });
    }
  };
  const deadline = () => ({ deadline: Date.now() + 15_000 });
  const drain = async (it: AsyncIterable<unknown>) => {
    for await (const _ of it) void _;
  };
  await run('WriteSchema', () => client.unary('schema', 'WriteSchema', { schema: `${SCHEMA}definition team {}\n` }, deadline()));
  await run('ReadSchema', () => client.unary('schema', 'ReadSchema', { consistency: FULL }, deadline()));
  await run('WriteRelationships', () => client.unary('relationships', 'WriteRelationships', { updates: [{ operation: 'OPERATION_TOUCH', relationship: REL }] }, deadline()));
  await run('DeleteRelationships', () => client.unary('relationships', 'DeleteRelationships', { filter: { resourceType: 'doc' } }, deadline()));
  await run('ReadRelationships', () => drain(client.serverStream('relationships', 'ReadRelationships', { filter: { resourceType: 'doc' }, consistency: FULL }, deadline())));
  await run('ExportRelationships', () => drain(client.serverStream('relationships', 'ExportRelationships', { consistency: FULL }, deadline())));
  await run('ImportRelationships', async () => {
    const c = client.clientStream('relationships', 'ImportRelationships', deadline());
    await c.send({ relationships: [REL] });
    await c.finish();
  });
  await run('Check', () => client.unary('permissions', 'Check', { resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: FULL }, deadline()));
  await run('CheckBulk', () => client.unary('permissions', 'CheckBulk', { items: [{ resource: 'doc:1', permission: 'view', subject: 'user:ana' }], consistency: FULL }, deadline()));
  await run('Expand', () => client.unary('permissions', 'Expand', { resource: 'doc:1', permission: 'view', consistency: FULL }, deadline()));
  await run('LookupResources', () => drain(client.serverStream('permissions', 'LookupResources', { resourceType: 'doc', permission: 'view', subject: 'user:ana', consistency: FULL }, deadline())));
  await run('LookupSubjects', () => drain(client.serverStream('permissions', 'LookupSubjects', { resource: 'doc:1', permission: 'view', subjectType: 'user', consistency: FULL }, deadline())));
  await run('Watch', async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 2_000);
    try {
      for await (const _ of client.serverStream('watch', 'Watch', { heartbeatMs: 100 }, { signal: ac.signal })) break;
    } catch (e) {
      if ((e as grpc.ServiceError).code !== grpc.status.CANCELLED) throw e;
    } finally {
      clearTimeout(timer);
    }
  });
  await run('Health', () => client.unary('health', 'Check', { service: '' }, deadline()));
  return out;
}

/** Runs every operation on both transports against a broken store and checks what came back. */
async function expectNoLeaks(server: RunningServer): Promise<void> {
  const base = `http://127.0.0.1:${server.httpPort}`;
  const client = new WardenGrpcClient(`127.0.0.1:${server.grpcPort}`);
  try {
    const http = await httpAnswers(base);
    const rpc = await grpcAnswers(client);
    expect(http.flatMap((a) => leaksIn(a.text).map((l) => `${a.what}: ${l}`))).toEqual([]);
    expect(rpc.flatMap((a) => leaksIn(a.text).map((l) => `${a.what}: ${l}`))).toEqual([]);
    // The store really was broken: the writes failed, each with a status that says so.
    const write = http.find((a) => a.what === 'POST /v1/relationships/write')!;
    expect([500, 503]).toContain(write.status);
    expect(JSON.parse(write.text)).toMatchObject({ error: { code: expect.stringMatching(/^(INTERNAL|UNAVAILABLE)$/), message: expect.any(String) } });
    expect([grpc.status.INTERNAL, grpc.status.UNAVAILABLE]).toContain(rpc.find((a) => a.what === 'WriteRelationships')!.code);
    // And the server itself lives on: liveness still answers.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  } finally {
    client.close();
  }
}

async function seed(server: RunningServer): Promise<void> {
  const client = new WardenGrpcClient(`127.0.0.1:${server.grpcPort}`);
  try {
    await client.unary('schema', 'WriteSchema', { schema: SCHEMA });
    await client.unary('relationships', 'WriteRelationships', { updates: [{ operation: 'OPERATION_TOUCH', relationship: 'doc:1#viewer@user:ana' }] });
  } finally {
    client.close();
  }
}

const config = (over: Partial<ServerConfig>): ServerConfig => ({
  ...DEFAULT_CONFIG,
  host: '127.0.0.1',
  httpPort: 0,
  grpcPort: 0,
  bootstrap: false,
  quantizationMs: 0,
  freshnessWaitMs: 200,
  shutdownGraceMs: 200,
  gcIntervalMs: 0,
  ...over,
});

describe('a broken SQLite store', () => {
  let dir: string;
  let dbPath: string;
  let server: RunningServer | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-leak-'));
    dbPath = join(dir, 'w.db');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tables renamed away under the running server: generic errors only', async () => {
    server = await startServer(config({ datastore: 'sqlite', datastorePath: dbPath }));
    await seed(server);
    const other = new Sqlite(dbPath);
    try {
      for (const t of ['relationships', 'revisions', 'schemas']) other.exec(`ALTER TABLE ${t} RENAME TO ${t}_gone`);
    } finally {
      other.close();
    }
    await expectNoLeaks(server);
  }, 60_000);

  it('the datastore closed under the running server: generic errors only', async () => {
    await server!.runtime.datastore.close();
    await expectNoLeaks(server!);
  }, 60_000);
});

describe.skipIf(!postgresUrl)('a broken PostgreSQL store', () => {
  const schemas = new TestSchemas();
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.close();
    await schemas.dropAll();
  });

  it('its schema dropped under the running server: generic errors only', async () => {
    const schema = schemas.create();
    server = await startServer(config({ datastore: 'postgres', datastoreUrl: postgresUrl!, datastoreSchema: schema, migrate: true }));
    await seed(server);
    await adminQuery(`DROP SCHEMA "${schema}" CASCADE`);
    await expectNoLeaks(server);
  }, 60_000);
});
