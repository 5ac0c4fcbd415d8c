/** WriteRelationships, DeleteRelationships and ReadRelationships over HTTP. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { WardenService } from '../../service/types.js';
import { inScope } from './request-scope.js';
import {
  BEARER_SECURITY,
  ConsistencySchema,
  CursorSchema,
  ERROR_RESPONSES,
  FilterSchema,
  LimitSchema,
  PreconditionSchema,
  RelationshipSchema,
  ZookieResponseSchema,
  ZookieSchema,
  jsonBody,
  jsonResponse,
} from './schemas.js';

const WriteRelationshipsRequestSchema = z
  .strictObject({
    updates: z.array(
      z
        .strictObject({
          operation: z.enum(['touch', 'create', 'delete']).openapi({
            description: '`touch` writes whether or not it exists, `create` fails if it exists, `delete` removes it if present.',
          }),
          relationship: RelationshipSchema,
        })
        .openapi('RelationshipUpdate'),
    ),
    preconditions: z.array(PreconditionSchema).optional(),
  })
  .openapi('WriteRelationshipsRequest');

const DeleteRelationshipsRequestSchema = z
  .strictObject({
    filter: FilterSchema,
    limit: LimitSchema.optional().openapi({ description: 'Delete at most this many; `partial` tells whether more match.' }),
    preconditions: z.array(PreconditionSchema).optional(),
  })
  .openapi('DeleteRelationshipsRequest');
const DeleteRelationshipsResponseSchema = z
  .object({
    zookie: ZookieSchema,
    deleted: z.number().int(),
    partial: z.boolean().openapi({ description: 'True when `limit` stopped the delete and more relationships still match.' }),
  })
  .openapi('DeleteRelationshipsResponse');

const ReadRelationshipsRequestSchema = z
  .strictObject({
    filter: FilterSchema,
    consistency: ConsistencySchema.optional(),
    limit: LimitSchema.optional(),
    cursor: CursorSchema.optional(),
  })
  .openapi('ReadRelationshipsRequest');
const ReadRelationshipsResponseSchema = z
  .object({
    relationships: z.array(RelationshipSchema),
    cursor: z.string().optional().openapi({ description: 'Present when more pages follow.' }),
    zookie: ZookieSchema,
  })
  .openapi('ReadRelationshipsResponse');

export const writeRelationshipsRoute = createRoute({
  method: 'post',
  path: '/v1/relationships/write',
  tags: ['relationships'],
  summary: 'WriteRelationships',
  description:
    'Applies every update atomically after checking the preconditions: either all are written or none. Use the returned zookie as `atLeastAsFresh` to read your own write.',
  security: BEARER_SECURITY,
  request: { body: jsonBody(WriteRelationshipsRequestSchema) },
  responses: { 200: jsonResponse(ZookieResponseSchema, 'Written'), ...ERROR_RESPONSES },
});

export const deleteRelationshipsRoute = createRoute({
  method: 'post',
  path: '/v1/relationships/delete',
  tags: ['relationships'],
  summary: 'DeleteRelationships',
  description: 'Deletes every relationship matching the filter (up to `limit`), atomically with the preconditions.',
  security: BEARER_SECURITY,
  request: { body: jsonBody(DeleteRelationshipsRequestSchema) },
  responses: { 200: jsonResponse(DeleteRelationshipsResponseSchema, 'Deleted'), ...ERROR_RESPONSES },
});

export const readRelationshipsRoute = createRoute({
  method: 'post',
  path: '/v1/relationships/read',
  tags: ['relationships'],
  summary: 'ReadRelationships',
  description: 'The stored relationships matching the filter, in pages.',
  security: BEARER_SECURITY,
  request: { body: jsonBody(ReadRelationshipsRequestSchema) },
  responses: { 200: jsonResponse(ReadRelationshipsResponseSchema, 'A page of relationships'), ...ERROR_RESPONSES },
});

export function registerRelationshipRoutes(app: OpenAPIHono, service: WardenService): void {
  app.openapi(writeRelationshipsRoute, async (c) => c.json(await inScope(c, () => service.writeRelationships(c.req.valid('json'))), 200));
  app.openapi(deleteRelationshipsRoute, async (c) => c.json(await inScope(c, () => service.deleteRelationships(c.req.valid('json'))), 200));
  app.openapi(readRelationshipsRoute, async (c) => c.json(await inScope(c, () => service.readRelationships(c.req.valid('json'))), 200));
}
