/**
 * The check lane (src/api/http/check-lane.ts) answers plain Check and CheckBulk requests without hono.
 * Whatever it takes or hands over, a client must see what the app alone answers: the same status,
 * body, media type and request id. Each request here goes to two real servers over one fake service
 * (the lane in front of the app, and the app alone), and the lane's hand-overs are counted so that the
 * test also says which requests the lane served itself.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/api/http/app.js';
import { withCheckLane, type AppFetch } from '../../../src/api/http/check-lane.js';
import type { EdgeObserver } from '../../../src/api/request-context.js';
import { FakeWardenService } from './fake-service.js';
import { listenOn, SCHEMA, serveFetch, type Served } from './helpers.js';

const KEY = 'lane-secret';
const MAX_BODY = 2048;

interface Answer {
  status: number;
  contentType: string | null;
  requestId: string | null;
  connection: string | null;
  body: unknown;
}

interface Case {
  name: string;
  path?: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  /** The lane answers it itself (true) or hands it to the app (false). */
  lane: boolean;
}

const auth = { authorization: `Bearer ${KEY}` };
const json = { 'content-type': 'application/json', ...auth };
const check = (o: Record<string, unknown>) => JSON.stringify({ resource: 'team:sales', permission: 'member', subject: 'user:ana', ...o });

const CASES: Case[] = [
  { name: 'a plain allowed check', body: check({}), headers: json, lane: true },
  { name: 'a plain denied check', body: check({ subject: 'user:zed' }), headers: json, lane: true },
  { name: 'a wildcard-granted check', body: check({ resource: 'team:open' }), headers: json, lane: true },
  { name: 'with a consistency', body: check({ consistency: { fullyConsistent: true } }), headers: json, lane: true },
  { name: 'with a charset', body: check({}), headers: { ...json, 'content-type': 'application/json; charset=utf-8' }, lane: true },
  { name: 'with a request id', body: check({}), headers: { ...json, 'x-request-id': 'lane-test-1' }, lane: true },
  { name: 'the service refusing a subject', body: check({ subject: 'nobody' }), headers: json, lane: true },
  { name: 'the service refusing a zookie', body: check({ consistency: { atLeastAsFresh: 'garbage' } }), headers: json, lane: true },
  { name: 'a same-origin browser', body: check({}), headers: { ...json, 'sec-fetch-site': 'same-origin' }, lane: true },
  {
    name: 'a plain bulk check with a bad item',
    path: '/v1/permissions/check-bulk',
    body: JSON.stringify({ items: [JSON.parse(check({})), JSON.parse(check({ resource: 'bad' }))] }),
    headers: json,
    lane: true,
  },
  { name: 'malformed JSON', body: '{"resource":', headers: json, lane: false },
  { name: 'JSON that is not an object', body: '[1,2]', headers: json, lane: false },
  { name: 'an extra field', body: check({ extra: 1 }), headers: json, lane: false },
  { name: 'a field of the wrong type', body: check({ subject: 7 }), headers: json, lane: false },
  { name: 'a missing field', body: JSON.stringify({ resource: 'team:sales', permission: 'member' }), headers: json, lane: false },
  { name: 'an empty body', body: '', headers: json, lane: false },
  { name: 'a bad consistency', body: check({ consistency: { minimizeLatency: false } }), headers: json, lane: false },
  { name: 'a byte-order mark', body: new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(check({}))]), headers: json, lane: false },
  // Decoded as the app decodes it (U+FFFD for the bad byte), so the lane may take it.
  { name: 'invalid UTF-8', body: new Uint8Array([...Buffer.from(check({ subject: 'user:' })).subarray(0, -2), 0xff, 0x22, 0x7d]), headers: json, lane: true },
  { name: 'another media type', body: check({}), headers: { ...json, 'content-type': 'text/plain' }, lane: false },
  { name: 'no key', body: check({}), headers: { 'content-type': 'application/json' }, lane: false },
  { name: 'a wrong key', body: check({}), headers: { ...json, authorization: 'Bearer nope' }, lane: false },
  { name: 'a cross-site browser', body: check({}), headers: { ...json, 'sec-fetch-site': 'cross-site' }, lane: false },
  { name: 'a body over the limit', body: check({ subject: `user:${'a'.repeat(MAX_BODY)}` }), headers: json, lane: false },
  { name: 'a query string', path: '/v1/permissions/check?x=1', body: check({}), headers: json, lane: false },
  { name: 'another route', path: '/v1/permissions/expand', body: JSON.stringify({ resource: 'team:sales', permission: 'member' }), headers: json, lane: false },
];

describe('the HTTP check lane answers as the app alone does', () => {
  const service = new FakeWardenService();
  const unserved: string[] = [];
  const observer: EdgeObserver = { unserved: (_ctx, outcome) => unserved.push(`${outcome.operation} ${outcome.code}`) };
  let handedOver = 0;
  let lane: Served;
  let plain: Served;

  beforeAll(async () => {
    service.schema = SCHEMA;
    service.rels.add('team:sales#member@user:ana');
    service.rels.add('team:open#member@user:*');
    const options = { service, presharedKey: KEY, maxBodyBytes: MAX_BODY, observer };
    const app = createHttpApp(options);
    const appListener = getRequestListener(app.fetch);
    const counted = (req: IncomingMessage, res: ServerResponse) => {
      handedOver++;
      return appListener(req, res);
    };
    // A request whose body the lane has read reaches the app through its fetch instead.
    const countedFetch: AppFetch = (req, env) => {
      handedOver++;
      return app.fetch(req, env);
    };
    lane = await listenOn(createServer(withCheckLane(counted, countedFetch, options)).listen(0, '127.0.0.1'));
    plain = await serveFetch(createHttpApp(options).fetch);
  });
  afterAll(async () => {
    await lane.close();
    await plain.close();
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.lane ? 'served by the lane' : 'handed to the app'}, same answer`, async () => {
      const before = handedOver;
      const viaLane = await ask(lane.url, c);
      expect(handedOver - before).toBe(c.lane ? 0 : 1);
      const viaApp = await ask(plain.url, c);
      expect(viaLane.status).toBe(viaApp.status);
      expect(viaLane.contentType).toBe(viaApp.contentType);
      expect(viaLane.body).toEqual(viaApp.body);
      expect(viaLane.requestId).toMatch(/./);
      if (c.headers?.['x-request-id'] !== undefined) expect(viaLane.requestId).toBe(c.headers['x-request-id']);
      // A refusal whose body was read keeps the connection in both.
      if (viaApp.connection === 'close') expect(viaLane.connection).toBe('close');
    });
  }

  it('reports requests the service never marked as served, as the app does', async () => {
    // The fake service marks nothing served, so each refused check is reported by both servers alike.
    unserved.length = 0;
    await ask(lane.url, CASES.find((c) => c.name === 'the service refusing a subject')!);
    await ask(plain.url, CASES.find((c) => c.name === 'the service refusing a subject')!);
    expect(unserved).toEqual(['check INVALID_ARGUMENT', 'check INVALID_ARGUMENT']);
  });

  it('a header it reads that comes twice goes to the app, which answers as it would alone', async () => {
    for (const name of ['content-type', 'authorization', 'x-request-id']) {
      const raw = ['content-type', 'application/json', 'authorization', auth.authorization, 'x-request-id', 'twice'];
      raw.push(name, raw[raw.indexOf(name) + 1]!);
      const before = handedOver;
      const viaLane = await askRaw(lane.url, raw, check({}));
      expect(handedOver - before).toBe(1);
      const viaApp = await askRaw(plain.url, raw, check({}));
      expect({ name, ...viaLane, requestId: undefined }).toEqual({ name, ...viaApp, requestId: undefined });
    }
  });

  it('a chunked body (no declared length) goes to the app and is answered', async () => {
    const before = handedOver;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from(check({})));
        controller.close();
      },
    });
    const res = await fetch(`${lane.url}/v1/permissions/check`, { method: 'POST', headers: json, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ allowed: true });
    expect(handedOver - before).toBe(1);
  });
});

async function ask(base: string, c: Case): Promise<Answer> {
  const res = await fetch(base + (c.path ?? '/v1/permissions/check'), { method: 'POST', headers: c.headers ?? {}, body: c.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Compared as text.
  }
  // Zookies carry no instance identity in the fake service: both servers answer with the same ones.
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    requestId: res.headers.get('x-request-id'),
    connection: res.headers.get('connection'),
    body,
  };
}

/** A request with exactly these header lines (fetch would join repeated ones), over a raw socket. */
async function askRaw(base: string, rawHeaders: string[], body: string): Promise<{ status: number; requestId: string | undefined; body: unknown }> {
  const { port } = new URL(base);
  const lines = ['POST /v1/permissions/check HTTP/1.1', `host: 127.0.0.1:${port}`, 'connection: close', `content-length: ${Buffer.byteLength(body)}`];
  for (let i = 0; i < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]!}: ${rawHeaders[i + 1]!}`);
  const socket = connect(Number(port), '127.0.0.1');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const [head, ...rest] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head!)?.[1]);
  const requestId = /^x-request-id: (.*)$/im.exec(head!)?.[1];
  // The answers here are small JSON bodies, sent with a length or in one chunk.
  const payload = /transfer-encoding: chunked/i.test(head!) ? rest.join('\r\n\r\n').split('\r\n')[1]! : rest.join('\r\n\r\n');
  return { status, requestId, body: JSON.parse(payload) as unknown };
}
