/**
 * The check lane: Check and CheckBulk answered straight from Node's request, in front of hono.
 *
 * These are the calls made thousands of times a second, and on loopback the framework around them (a
 * web Request and Response per call, routing, the async middleware frames, the response adapter)
 * cost more CPU than the check: ~49 µs of server CPU per HTTP Check against ~26 µs for an echo
 * server on the same hono stack (bench/wire, small workload, quiet machine).
 *
 * The lane takes a request only when the app would decide everything about it the same way from its
 * headers and a plain body: POST to the exact path, a declared length within the limit, plain JSON
 * (plain-check.ts's media type), not a cross-site browser, the key when one is set, and a body of the
 * shape the route's schema accepts unchanged (plain-check.ts). Anything else goes to the app as it is;
 * a request whose body was already read is handed over as a rebuilt Request with that body. So every
 * refusal keeps its one spelling (http-errors.ts), and only the service's own errors are written
 * here, through the same describeHttpError.
 */
import { getRequestListener } from '@hono/node-server';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { operationName, REQUEST_ID_KEY, newRequestContext, requestIdFrom, runInRequest, type EdgeObserver, type RequestContext } from '../request-context.js';
import { bearerChecker } from '../auth.js';
import type { WardenService } from '../../service/types.js';
import { isPlainCheck, isPlainCheckBulk, PLAIN_JSON } from './plain-check.js';
import { describeHttpError, logUnexpected } from './http-errors.js';
import { checkBulkRoute, checkRoute } from './permission-routes.js';
import { NodeResponseCancelSource } from './request-scope.js';
import { isCrossSite } from './app.js';

export interface CheckLaneOptions {
  readonly service: WardenService;
  readonly presharedKey?: string | undefined;
  readonly maxBodyBytes: number;
  readonly observer?: EdgeObserver | undefined;
}

/** What the app's fetch is called with: @hono/node-server's env, which the request scope reads. */
export type AppFetch = (req: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => Response | Promise<Response>;

interface LaneRoute {
  readonly operation: string;
  readonly accepts: (body: unknown) => boolean;
  readonly call: (body: never) => Promise<unknown>;
}

/** `fallback` is the app's own listener (@hono/node-server's); `fetch` the app, for a request whose body the lane read. */
export function withCheckLane(fallback: RequestListener, fetch: AppFetch, o: CheckLaneOptions): RequestListener {
  const routes = new Map<string, LaneRoute>([
    [checkRoute.path, { operation: operationName('Check'), accepts: isPlainCheck, call: (b) => o.service.check(b) }],
    [checkBulkRoute.path, { operation: operationName('CheckBulk'), accepts: isPlainCheckBulk, call: (b) => o.service.checkBulk(b) }],
  ]);
  const checkKey = bearerChecker(o.presharedKey);
  const keyAccepted = (header: string | undefined): boolean => {
    if (checkKey === undefined) return true;
    try {
      checkKey(header);
      return true;
    } catch {
      return false;
    }
  };
  return (req, res) => {
    const route = req.method === 'POST' ? routes.get(req.url ?? '') : undefined;
    const h = route === undefined ? undefined : laneHeaders(req.rawHeaders);
    if (h === undefined || !headersAdmit(h, o.maxBodyBytes) || !keyAccepted(h.authorization)) {
      void fallback(req, res);
      return;
    }
    readBody(req, (bytes) => {
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString('utf8'));
      } catch {
        // Malformed: the app reports it.
      }
      if (body === undefined || !route!.accepts(body)) void handOver(fetch, req, res, bytes);
      else serve(route!, body as never, h.requestId, req, res, o.observer);
    });
  };
}

/** The headers the lane decides on. */
interface LaneHeaders {
  contentLength: string | undefined;
  contentType: string | undefined;
  transferEncoding: string | undefined;
  secFetchSite: string | undefined;
  authorization: string | undefined;
  requestId: string | undefined;
}

/**
 * Read off the raw list: Node builds `req.headers` lazily, one object per request, and that cost as
 * much as the rest of the lane. A header the lane reads that comes twice (which Node would join or
 * drop) is not plain: undefined, and the app decides.
 */
function laneHeaders(raw: readonly string[]): LaneHeaders | undefined {
  const h: LaneHeaders = {
    contentLength: undefined,
    contentType: undefined,
    transferEncoding: undefined,
    secFetchSite: undefined,
    authorization: undefined,
    requestId: undefined,
  };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const value = raw[i + 1]!;
    let field: keyof LaneHeaders;
    switch (raw[i]!.toLowerCase()) {
      case 'content-length':
        field = 'contentLength';
        break;
      case 'content-type':
        field = 'contentType';
        break;
      case 'transfer-encoding':
        field = 'transferEncoding';
        break;
      case 'sec-fetch-site':
        field = 'secFetchSite';
        break;
      case 'authorization':
        field = 'authorization';
        break;
      case REQUEST_ID_KEY:
        field = 'requestId';
        break;
      default:
        continue;
    }
    if (h[field] !== undefined) return undefined;
    h[field] = value;
  }
  return h;
}

/** What the app's guards and its route's media-type gate would pass, judged from the headers alone. */
function headersAdmit(h: LaneHeaders, maxBodyBytes: number): boolean {
  if (h.contentLength === undefined || h.transferEncoding !== undefined) return false;
  if (isCrossSite(h.secFetchSite)) return false;
  return Number.parseInt(h.contentLength, 10) <= maxBodyBytes && PLAIN_JSON.test(h.contentType ?? '');
}

function readBody(req: IncomingMessage, done: (bytes: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A client that goes away mid-body gets no answer; the socket is closed under it.
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

function serve(
  route: LaneRoute,
  body: never,
  requestId: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  observer: EdgeObserver | undefined,
): void {
  const started = performance.now();
  const ctx = newRequestContext('http', requestIdFrom(requestId), new NodeResponseCancelSource(res));
  let answer: Promise<unknown>;
  try {
    answer = runInRequest(ctx, () => route.call(body));
  } catch (e) {
    answer = Promise.reject(e);
  }
  answer.then(
    (r) => send(res, 200, JSON.stringify(r), ctx.id),
    (err: unknown) => {
      const d = describeHttpError(err);
      if (d.unexpected !== undefined) logUnexpected('POST', req.url ?? '', d.unexpected);
      send(res, d.status, JSON.stringify(d.body), ctx.id);
      report(ctx, observer, route.operation, d.body.error, started);
    },
  );
}

/** The app's request scope reports requests the service never saw; a service that saw one marks it served. */
function report(ctx: RequestContext, observer: EdgeObserver | undefined, operation: string, error: { code: string; reason: string }, started: number): void {
  if (ctx.served || observer === undefined) return;
  observer.unserved(ctx, { operation, code: error.code, reason: error.reason, durationMs: performance.now() - started });
}

function send(res: ServerResponse, status: number, json: string, requestId: string): void {
  if (res.destroyed) return;
  // A flat list: Node stores it as is instead of copying an object's keys into its header map.
  res.writeHead(status, ['content-type', 'application/json', REQUEST_ID_KEY, requestId, 'content-length', String(Buffer.byteLength(json))]);
  res.end(json);
}

/** The app answers a request whose body the lane has read: rare (refusals), so built the plain way. */
async function handOver(fetch: AppFetch, req: IncomingMessage, res: ServerResponse, bytes: Buffer): Promise<void> {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    // The body is no longer on the wire: its framing is the rebuilt Request's own.
    if (!/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(name)) headers.append(name, req.rawHeaders[i + 1]!);
  }
  try {
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: 'POST', headers, body: bytes });
    const response = await fetch(request, { incoming: req, outgoing: res });
    const out = Buffer.from(await response.arrayBuffer());
    if (res.destroyed) return;
    const head: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      head[name] = value;
    });
    head['content-length'] = String(out.length);
    res.writeHead(response.status, head);
    res.end(out);
  } catch (err) {
    logUnexpected('POST', req.url ?? '', err);
    res.destroy();
  }
}

/** The app's Node listener with the check lane in front: what a server (and the tests' servers) listen with. */
export function httpListener(app: { fetch: AppFetch }, o: CheckLaneOptions & { readonly hostname?: string }): RequestListener {
  const appListener = getRequestListener(app.fetch as (req: Request, env: unknown) => Response | Promise<Response>, { hostname: o.hostname });
  return withCheckLane(appListener, app.fetch, o);
}
