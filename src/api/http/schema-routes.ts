/** WriteSchema and ReadSchema over HTTP. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Consistency, WardenService } from '../../service/types.js';
import { inScope } from './request-scope.js';
import { BEARER_SECURITY, ERROR_RESPONSES, ZookieResponseSchema, ZookieSchema, jsonBody, jsonResponse } from './schemas.js';

const WriteSchemaRequestSchema = z
  .strictObject({
    schema: z.string().openapi({
      description: 'The whole schema, in the SpiceDB schema language; it replaces the current one.',
      example: 'definition user {}\n\ndefinition team {\n  relation member: user\n}',
    }),
  })
  .openapi('WriteSchemaRequest');

const ReadSchemaQuerySchema = z.strictObject({
  atLeastAsFresh: z.string().optional().openapi({ description: 'A zookie: read at least this fresh.' }),
  atExactSnapshot: z.string().optional().openapi({ description: 'A zookie: read exactly at this revision.' }),
  fullyConsistent: z.enum(['true']).optional().openapi({ description: '`true`: read the newest revision.' }),
  minimizeLatency: z.enum(['true']).optional().openapi({ description: '`true`: the default.' }),
});
const ReadSchemaResponseSchema = z.object({ schema: z.string(), zookie: ZookieSchema }).openapi('ReadSchemaResponse');

export const writeSchemaRoute = createRoute({
  method: 'post',
  path: '/v1/schema',
  tags: ['schema'],
  summary: 'WriteSchema',
  description: 'Replaces the schema. A change that would orphan stored relationships is refused (409), naming them.',
  security: BEARER_SECURITY,
  request: { body: jsonBody(WriteSchemaRequestSchema) },
  responses: { 200: jsonResponse(ZookieResponseSchema, 'Written'), ...ERROR_RESPONSES },
});

export const readSchemaRoute = createRoute({
  method: 'get',
  path: '/v1/schema',
  tags: ['schema'],
  summary: 'ReadSchema',
  description: 'The current schema text. The consistency is given as at most one query parameter.',
  security: BEARER_SECURITY,
  request: { query: ReadSchemaQuerySchema },
  responses: { 200: jsonResponse(ReadSchemaResponseSchema, 'The schema'), ...ERROR_RESPONSES },
});

/** A GET has no body, so its consistency comes as one query parameter. */
function consistencyFromQuery(q: z.infer<typeof ReadSchemaQuerySchema>): Consistency | undefined {
  const given: Consistency[] = [];
  if (q.atLeastAsFresh !== undefined) given.push({ atLeastAsFresh: q.atLeastAsFresh });
  if (q.atExactSnapshot !== undefined) given.push({ atExactSnapshot: q.atExactSnapshot });
  if (q.fullyConsistent !== undefined) given.push({ fullyConsistent: true });
  if (q.minimizeLatency !== undefined) given.push({ minimizeLatency: true });
  if (given.length > 1) {
    throw new InvalidArgumentError(
      'consistency: give at most one of atLeastAsFresh, atExactSnapshot, fullyConsistent, minimizeLatency',
    );
  }
  return given[0];
}

export function registerSchemaRoutes(app: OpenAPIHono, service: WardenService): void {
  app.openapi(writeSchemaRoute, async (c) => c.json(await inScope(c, () => service.writeSchema(c.req.valid('json'))), 200));
  app.openapi(readSchemaRoute, async (c) => {
    const consistency = consistencyFromQuery(c.req.valid('query'));
    return c.json(await inScope(c, () => service.readSchema(consistency ? { consistency } : {})), 200);
  });
}
