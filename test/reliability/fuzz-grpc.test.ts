/**
 * The gRPC edge over a real socket: a grpc-js client sends Check, WriteRelationships, LookupResources
 * and ImportRelationships requests with random field values (valid, mutated and arbitrary strings,
 * enums out of range, zookies and cursors valid, stale, forged or garbled) to startServer with a memory
 * datastore. Every answer is a success or a clear status (never INTERNAL, never UNKNOWN) with a message
 * and a `warden-reason`; afterwards the server still passes a health check and answers a valid Check.
 * (HTTP JSON bodies are fuzzed in test/api/http/fuzz.test.ts.)
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenGrpcClient, reasonOf } from '../../src/api/grpc/client.js';
import type { Message } from '../../src/api/grpc/codec.js';
import { DEFAULT_CONFIG } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { mutatedArb } from './support/mutate.js';

const RUNS = Number(process.env.WARDEN_FUZZ_RUNS ?? 250);
const CALL_DEADLINE_MS = 5_000;

const SCHEMA = `definition user {}
definition team {
  relation member: user
}
definition channel {
  relation assigned_user: user
  relation assigned_team: team#member
  relation banned: user
  relation public: user:*
  permission send = (assigned_user + assigned_team) - banned
  permission view = send + public - banned
}
definition sentinel {
  relation viewer: user
}
`;
// The fuzzed writes draw from the channel/team/user vocabulary, so this one stays put.
const SENTINEL = { resource: 'sentinel:keep', permission: 'viewer', subject: 'user:ok' };

/** Statuses that a bad request may get; INTERNAL and UNKNOWN would mean an unhandled failure. */
const CLEAR = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.UNAVAILABLE,
]);

const REF_CHARS = [...'abcxyz_019:#@*/|=+- \n', '...', '\u0000', '\u00e9', '\ud83d\ude00'];
const REF_TOKENS = ['channel', 'team', 'user', 'member', 'send', 'view', 'wa1', 'sales', '*', '...', ':', '#', '@', 'x'.repeat(1100)];

function wireString(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    // Valid often enough that whole requests get past validation into the engine and the store.
    { weight: 7, arbitrary: fc.constantFrom(...valid) },
    { weight: 4, arbitrary: mutatedArb(valid, REF_CHARS, REF_TOKENS, 3) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(5_000)) },
  );
}

const OBJECTS = ['channel:wa1', 'channel:wa2', 'channel:lobby', 'team:sales', 'user:ana', 'nope:1', 'channel:*'];
const SUBJECTS = ['user:ana', 'user:bob', 'user:*', 'team:sales#member', 'user:ana#...', 'channel:wa1#send'];
const PERMISSIONS = ['send', 'view', 'member', 'assigned_team', 'banned', 'nope'];
const TYPES = ['channel', 'team', 'user', 'sentinel', 'nope'];
const RELATIONSHIPS = [
  'channel:wa1#assigned_team@team:sales#member',
  'channel:wa2#assigned_user@user:ana',
  'team:sales#member@user:bob',
  'channel:lobby#public@user:*',
  'channel:wa1#banned@user:eve',
  'channel:wa1#send@user:ana',
  'team:sales#member@user:*',
];

describe('gRPC requests with random field values', () => {
  let server: RunningServer;
  let client: WardenGrpcClient;
  /** Tokens the server handed out, for the fuzz to reuse and garble. */
  const zookies: string[] = [];
  const cursors: string[] = [];
  const codes = new Map<string, number>();

  const consistency: fc.Arbitrary<Message | undefined> = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    fc.constantFrom({ minimizeLatency: true }, { minimizeLatency: false }, { fullyConsistent: true }, { fullyConsistent: false }),
    fc
      .tuple(fc.constantFrom('atLeastAsFresh', 'atExactSnapshot'), fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }), fc.constant('zookie')))
      .map(([k, v]) => ({ [k]: v === 'zookie' ? (zookies[0] ?? '') : v })),
    fc.tuple(fc.constantFrom('atLeastAsFresh', 'atExactSnapshot'), fc.nat()).map(([k, i]) => ({ [k]: zookies.length ? zookies[i % zookies.length]! : '' })),
    fc.tuple(fc.constantFrom('atLeastAsFresh', 'atExactSnapshot'), fc.nat(), fc.nat(), fc.constantFrom('A', '-', '_', '=', '')).map(([k, i, at, c]) => {
      const z = zookies.length ? zookies[i % zookies.length]! : 'dzF8';
      return { [k]: z.slice(0, at % (z.length + 1)) + c + z.slice((at % (z.length + 1)) + 1) };
    }),
  );

  /** A failed call must carry a clear status, a message and the reason trailer from the one error path. */
  async function expectClear(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
      codes.set(`${what} OK`, (codes.get(`${what} OK`) ?? 0) + 1);
    } catch (e) {
      const err = e as grpc.ServiceError;
      const key = `${what} ${grpc.status[err.code] ?? err.code}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      expect(CLEAR.has(err.code), `${what}: ${grpc.status[err.code] ?? err.code} ${err.details}`).toBe(true);
      expect(err.details.trim().length, `${what}: empty message`).toBeGreaterThan(0);
      expect(reasonOf(err), `${what}: no warden-reason for ${err.details}`).toBeTruthy();
    }
  }

  const deadline = () => ({ deadline: Date.now() + CALL_DEADLINE_MS });

  beforeAll(async () => {
    server = await startServer({
      ...DEFAULT_CONFIG,
      datastore: 'memory',
      host: '127.0.0.1',
      httpPort: 0,
      grpcPort: 0,
      bootstrap: false,
      quantizationMs: 0,
      // A zookie from "the future" waits this long before it is refused.
      freshnessWaitMs: 50,
      shutdownGraceMs: 200,
    });
    client = new WardenGrpcClient(`127.0.0.1:${server.grpcPort}`);
    await client.unary('schema', 'WriteSchema', { schema: SCHEMA });
    const w = await client.unary('relationships', 'WriteRelationships', {
      updates: [...RELATIONSHIPS.slice(0, 5), `${SENTINEL.resource}#${SENTINEL.permission}@${SENTINEL.subject}`].map((relationship) => ({
        operation: 'OPERATION_TOUCH',
        relationship,
      })),
    });
    zookies.push(String(w.zookie));
    // A real cursor: a lookup stopped after one result.
    for await (const m of client.serverStream('permissions', 'LookupResources', { resourceType: 'channel', permission: 'view', subject: 'user:ana', limit: 1, consistency: { atLeastAsFresh: zookies[0] } })) {
      if (m.afterCursor) cursors.push(String(m.afterCursor));
    }
  });

  afterAll(async () => {
    if (process.env.WARDEN_FUZZ_VERBOSE) console.log(Object.fromEntries(codes));
    client?.close();
    await server?.close();
  });

  /** Mostly fuzzed requests, and a share of valid ones so that each run surely reaches the engine too. */
  const orValid = <T>(fuzzed: fc.Arbitrary<T>, valid: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fuzzed }, { weight: 1, arbitrary: valid });
  const validConsistency: fc.Arbitrary<Message | undefined> = fc.oneof(
    fc.constantFrom(undefined, { minimizeLatency: true }, { fullyConsistent: true }),
    fc.constant(null).map(() => ({ atLeastAsFresh: zookies[0]! })),
  );
  const CHANNELS = ['channel:wa1', 'channel:wa2', 'channel:lobby'];
  const SENDERS = ['user:ana', 'user:bob', 'team:sales#member'];

  it('Check', async () => {
    const request = orValid(
      fc.record({ resource: wireString(OBJECTS), permission: wireString(PERMISSIONS), subject: wireString(SUBJECTS), consistency }),
      fc.record({ resource: fc.constantFrom(...CHANNELS), permission: fc.constantFrom('send', 'view'), subject: fc.constantFrom(...SENDERS), consistency: validConsistency }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ consistency: c, ...fields }) => {
        await expectClear('Check', () => client.unary('permissions', 'Check', { ...fields, ...(c ? { consistency: c } : {}) }, deadline()));
      }),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('WriteRelationships (updates with any operation, preconditions with any filter)', async () => {
    const operation = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('OPERATION_TOUCH', 'OPERATION_CREATE', 'OPERATION_DELETE') },
      { weight: 1, arbitrary: fc.constant('OPERATION_UNSPECIFIED') },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 1_000 }) },
    );
    const update = fc.record({ operation, relationship: wireString(RELATIONSHIPS) });
    const filter = fc.record(
      { resourceType: wireString(TYPES), resourceId: wireString(['wa1', 'sales', '']), resourceIdPrefix: wireString(['wa', '']), relation: wireString(PERMISSIONS), subject: wireString([...SUBJECTS, 'user', 'team#member', 'user:ana#...']) },
      { requiredKeys: [] },
    );
    const precondition = fc.record({ operation: fc.oneof(fc.constantFrom('OPERATION_MUST_MATCH', 'OPERATION_MUST_NOT_MATCH', 'OPERATION_UNSPECIFIED'), fc.nat({ max: 9 })), filter });
    const request = orValid(
      fc.record({ updates: fc.array(update, { maxLength: 4 }), preconditions: fc.oneof(fc.constant([]), fc.array(precondition, { maxLength: 2 })) }),
      fc.record({
        updates: fc.uniqueArray(fc.constantFrom(...RELATIONSHIPS.slice(0, 5)), { minLength: 1, maxLength: 3 }).chain((rels) =>
          fc.tuple(...rels.map((relationship) => fc.constantFrom('OPERATION_TOUCH', 'OPERATION_DELETE').map((operation) => ({ operation, relationship })))),
        ),
        preconditions: fc.constant([]),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ updates, preconditions }) => {
        await expectClear('WriteRelationships', async () => {
          const r = await client.unary('relationships', 'WriteRelationships', { updates, preconditions }, deadline());
          if (zookies.length < 50) zookies.push(String(r.zookie));
        });
      }),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('LookupResources (with limits and cursors, valid and garbled)', async () => {
    const cursor = fc.oneof(
      { weight: 4, arbitrary: fc.constant('') },
      fc.constantFrom(...cursors, 'x'),
      mutatedArb(cursors.length ? cursors : ['abc'], [...'ABCxyz019-_=.'], ['eyJ', 'AAAA'], 2),
      fc.string({ maxLength: 60 }),
    );
    const limit = fc.oneof(fc.constant(0), fc.nat({ max: 5 }), fc.constant(4_294_967_295));
    const request = orValid(
      fc.record({ resourceType: wireString(TYPES), permission: wireString(PERMISSIONS), subject: wireString(SUBJECTS), consistency, limit, cursor }),
      fc.record({ resourceType: fc.constant('channel'), permission: fc.constantFrom('send', 'view'), subject: fc.constantFrom(...SENDERS), consistency: validConsistency, limit, cursor: fc.constant('') }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ consistency: c, ...fields }) => {
        await expectClear('LookupResources', async () => {
          let messages = 0;
          for await (const m of client.serverStream('permissions', 'LookupResources', { ...fields, ...(c ? { consistency: c } : {}) }, deadline())) {
            expect(Array.isArray(m.resourceIds)).toBe(true);
            // Bounded: the fixture has a handful of channels.
            expect(++messages).toBeLessThan(100);
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('ImportRelationships (streams of random lines)', async () => {
    const message = fc.record({ relationships: fc.array(wireString([...RELATIONSHIPS, '// a comment', '']), { maxLength: 5 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 3 }), async (messages) => {
        await expectClear('ImportRelationships', async () => {
          const call = client.clientStream('relationships', 'ImportRelationships', deadline());
          for (const m of messages) await call.send(m);
          await call.finish();
        });
      }),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('undecodable request bytes get grpc\'s own generic error, with nothing from inside the server', async () => {
    const raw = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const send = (bytes: Uint8Array) =>
        new Promise<grpc.ServiceError | undefined>((resolve) =>
          raw.makeUnaryRequest('/warden.v1.PermissionsService/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), new grpc.Metadata(), deadline(), (err) =>
            resolve(err ?? undefined),
          ),
        );
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
          const err = await send(bytes);
          if (!err) return;
          // Bytes that are not a CheckRequest: every gRPC implementation answers INTERNAL here, before any
          // handler runs; what matters is that the message says nothing about the server's inside.
          if (err.code === grpc.status.INTERNAL) expect(err.details).toBe('Error deserializing request');
          else expect(CLEAR.has(err.code), `${grpc.status[err.code]} ${err.details}`).toBe(true);
        }),
        { numRuns: 100 },
      );
    } finally {
      raw.close();
    }
  }, 20_000);

  // Found by fuzz-schema.test.ts: this used to overflow the parser's stack and answer INTERNAL.
  it('WriteSchema with thousands of nested parentheses or operators is INVALID_ARGUMENT naming line:column', async () => {
    for (const expr of [`${'('.repeat(5_000)}viewer${')'.repeat(5_000)}`, `viewer${' - viewer'.repeat(30_000)}`]) {
      const schema = `definition user {}\ndefinition doc {\n relation viewer: user\n permission view = ${expr}\n}\n`;
      const err = await client.unary('schema', 'WriteSchema', { schema }, deadline()).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err?.code, err?.details).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/^4:\d+: .*(parentheses deep|operators in one permission)/);
    }
    const r = await client.unary('schema', 'ReadSchema', { consistency: { fullyConsistent: true } }, deadline());
    expect(r.schema).toMatch(/definition sentinel/);
  });

  it('afterwards the server is healthy and answers a valid Check correctly', async () => {
    expect(await client.unary('health', 'Check', { service: '' }, deadline())).toEqual({ status: 'SERVING' });
    const r = await client.unary('permissions', 'Check', { ...SENTINEL, consistency: { fullyConsistent: true } }, deadline());
    expect(r.allowed).toBe(true);
    const denied = await client.unary('permissions', 'Check', { ...SENTINEL, subject: 'user:nobody', consistency: { fullyConsistent: true } }, deadline());
    expect(denied.allowed).toBe(false);
    // The run reached past validation: some calls of each kind succeeded.
    for (const what of ['Check', 'WriteRelationships', 'LookupResources', 'ImportRelationships']) expect(codes.get(`${what} OK`) ?? 0, what).toBeGreaterThan(0);
  });
});
