/** Serving the HTTP app on a real socket for the tests, and the table of every /v1 route. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createHttpApp, type HttpAppOptions } from '../../../src/api/http/app.js';
import { httpListener } from '../../../src/api/http/check-lane.js';
import { FakeWardenService } from './fake-service.js';

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serveFetch(fetch: (req: Request) => Response | Promise<Response>): Promise<Served> {
  return listenOn(serve({ fetch, port: 0, hostname: '127.0.0.1' }) as Server);
}

/** Serves once `server` listens (call its listen() first, on port 0). */
export async function listenOn(server: Server): Promise<Served> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface FakeServer extends Served {
  service: FakeWardenService;
}

export async function serveFake(opts: Partial<Omit<HttpAppOptions, 'service'>> & { service?: FakeWardenService } = {}): Promise<FakeServer> {
  const service = opts.service ?? new FakeWardenService();
  const appOptions = { maxBodyBytes: 64 * 1024, ...opts, service };
  const app = createHttpApp(appOptions);
  // As the server listens: with the check lane in front of the app (src/api/http/check-lane.ts).
  const served = await listenOn(createServer(httpListener(app, appOptions)).listen(0, '127.0.0.1'));
  return { ...served, service };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const SCHEMA = `definition user {}

definition team {
  relation member: user
}

definition channel {
  relation send: user | team#member
}`;

export interface RouteCase {
  method: 'GET' | 'POST';
  path: string;
  /** A valid body (JSON unless `contentType` says otherwise). */
  body?: unknown;
  contentType?: string;
  /** The response is an NDJSON stream that does not end by itself. */
  endless?: boolean;
}

/** Every /v1 route with a request that succeeds against a fake service holding SCHEMA and a few rows. */
export const V1_ROUTES: RouteCase[] = [
  { method: 'POST', path: '/v1/schema', body: { schema: SCHEMA } },
  { method: 'GET', path: '/v1/schema' },
  { method: 'POST', path: '/v1/relationships/write', body: { updates: [{ operation: 'touch', relationship: 'team:sales#member@user:ana' }] } },
  { method: 'POST', path: '/v1/relationships/delete', body: { filter: { resourceType: 'team', resourceId: 'nobody' } } },
  { method: 'POST', path: '/v1/relationships/read', body: { filter: { resourceType: 'team' } } },
  { method: 'POST', path: '/v1/relationships/import', body: 'team:sales#member@user:bob\n', contentType: 'text/plain' },
  { method: 'POST', path: '/v1/relationships/export', body: {} },
  { method: 'POST', path: '/v1/permissions/check', body: { resource: 'team:sales', permission: 'member', subject: 'user:ana' } },
  {
    method: 'POST',
    path: '/v1/permissions/check-bulk',
    body: { items: [{ resource: 'team:sales', permission: 'member', subject: 'user:ana' }] },
  },
  { method: 'POST', path: '/v1/permissions/expand', body: { resource: 'team:sales', permission: 'member' } },
  { method: 'POST', path: '/v1/permissions/lookup-resources', body: { resourceType: 'team', permission: 'member', subject: 'user:ana' } },
  { method: 'POST', path: '/v1/permissions/lookup-subjects', body: { resource: 'team:sales', permission: 'member', subjectType: 'user' } },
  { method: 'POST', path: '/v1/watch', body: { heartbeatMs: 100 }, endless: true },
];

export function requestFor(base: string, r: RouteCase, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  if (r.method === 'GET') return fetch(base + r.path, { headers, ...(signal ? { signal } : {}) });
  const isText = typeof r.body === 'string';
  return fetch(base + r.path, {
    method: 'POST',
    headers: { 'content-type': r.contentType ?? 'application/json', ...headers },
    body: isText ? (r.body as string) : JSON.stringify(r.body),
    ...(signal ? { signal } : {}),
  });
}

/** The NDJSON lines of a finished stream, parsed. */
export async function ndjson(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** Reads NDJSON values from a stream that may not end, until `enough` says so; then cancels it. */
export async function readNdjsonUntil(res: Response, enough: (values: unknown[]) => boolean): Promise<unknown[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const values: unknown[] = [];
  let buf = '';
  try {
    while (!enough(values)) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        values.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return values;
}

export async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
