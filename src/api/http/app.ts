/**
 * The HTTP adapter: a hono app whose routes call the WardenService, validated by the zod schemas that
 * also produce `/openapi.json`. The composition root (server/) serves it; nothing here listens.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AuthzError } from '../../core/errors.js';
import type { WardenService } from '../../service/types.js';
import { bearerChecker } from '../auth.js';
import type { EdgeObserver } from '../request-context.js';
import { renderDocsPage } from './docs-page.js';
import { errorResponse, HttpTransportError, validationHook } from './http-errors.js';
import { registerHealthRoutes } from './health-routes.js';
import { registerMetricsRoute, type MetricsEndpoint } from './metrics-route.js';
import { registerPermissionRoutes } from './permission-routes.js';
import { registerRelationshipRoutes } from './relationship-routes.js';
import { requestScope } from './request-scope.js';
import { registerSchemaRoutes } from './schema-routes.js';
import { IMPORT_PATH, registerStreamRoutes } from './stream-routes.js';

export interface HttpAppOptions {
  service: WardenService;
  /** When set, every /v1 route requires `Authorization: Bearer <key>`. */
  presharedKey?: string;
  /** Largest JSON request body; also the longest line of an import body (whose total is unlimited). */
  maxBodyBytes: number;
  /** Shown in the OpenAPI document. */
  version?: string;
  /** Told about /v1 requests that failed before reaching the service (refused key, bad body). */
  observer?: EdgeObserver;
  /** Serves `GET /metrics` when set. */
  metrics?: MetricsEndpoint;
}

export function createHttpApp(opts: HttpAppOptions): OpenAPIHono {
  const { service } = opts;
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    errorResponse(c, new HttpTransportError(404, 'NOT_FOUND', 'ROUTE_NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)),
  );

  app.use('*', requestScope(app, opts.observer));
  const checkBearer = bearerChecker(opts.presharedKey);
  const limit = limitBody(opts.maxBodyBytes);
  // The API's guards in one middleware (each hono layer is an async frame per request), in order:
  // cross-site browsers, then the key (before the body limit, so that an unauthenticated client cannot
  // make the server read its body), then the body size.
  app.use('/v1/*', (c, next) => {
    refuseCrossSite(c);
    checkBearer?.(c.req.header('authorization'));
    return limit(c, next);
  });

  registerSchemaRoutes(app, service);
  registerRelationshipRoutes(app, service);
  registerPermissionRoutes(app, service);
  registerStreamRoutes(app, service, opts.maxBodyBytes);
  registerHealthRoutes(app, service);
  if (opts.metrics) registerMetricsRoute(app, opts.metrics, checkBearer);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'The preshared key, when the server is started with one.',
  });
  let doc: ReturnType<typeof app.getOpenAPIDocument> | undefined;
  const openApiDocument = () =>
    (doc ??= app.getOpenAPIDocument({
      openapi: '3.0.3',
      info: {
        title: 'Warden',
        version: opts.version ?? '0.0.0',
        description:
          'Relationship-based authorization: SpiceDB schema language; Check, Expand, LookupResources and LookupSubjects; zookie consistency. Every error is `{"error":{"code","reason","message"}}`.',
      },
    }));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(renderDocsPage(openApiDocument())));
  return app;
}

/**
 * hono's bodyLimit reads `c.req.raw.body`, which makes @hono/node-server build a whole web Request (a
 * body stream and two AbortSignals) for every request. A body that declares its length is judged by
 * that length, as bodyLimit does itself, and without it; only a chunked body needs it to count bytes.
 */
function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new HttpTransportError(413, 'RESOURCE_EXHAUSTED', 'REQUEST_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);
  };
  const counting = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return (c, next) => {
    // An import is streamed and may be any size; readLines limits each of its lines instead.
    if (c.req.path === IMPORT_PATH || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    return Number.parseInt(length || '0', 10) > maxBytes ? tooLarge() : next();
  };
}

/**
 * Browsers may send a text/plain POST to any origin without asking first, so a web page could import
 * or write relationships into a server running without a key. Browsers mark such requests; clients
 * that are not browsers send no Sec-Fetch-Site at all.
 */
function refuseCrossSite(c: Context): void {
  if (isCrossSite(c.req.header('sec-fetch-site'))) {
    throw new AuthzError('PERMISSION_DENIED', 'CROSS_SITE_REQUEST', 'cross-site browser requests are not accepted');
  }
}

/** A browser's Sec-Fetch-Site of another site (the check lane applies the same rule). */
export function isCrossSite(site: string | undefined): boolean {
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}
