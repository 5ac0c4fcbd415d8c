/** Check, CheckBulk, Expand, LookupResources and LookupSubjects over HTTP. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ExpandTree, WardenService } from '../../service/types.js';
import { inScope } from './request-scope.js';
import {
  BEARER_SECURITY,
  ConsistencySchema,
  CursorSchema,
  ERROR_RESPONSES,
  LimitSchema,
  ObjectSchema,
  SubjectSchema,
  ZookieSchema,
  jsonBody,
  jsonResponse,
} from './schemas.js';

const PermissionSchema = z.string().openapi({ description: 'A permission or relation name.', example: 'reply' });

const CheckRequestSchema = z
  .strictObject({
    resource: ObjectSchema,
    permission: PermissionSchema,
    subject: SubjectSchema,
    consistency: ConsistencySchema.optional(),
  })
  .openapi('CheckRequest');
const CheckResponseSchema = z.object({ allowed: z.boolean(), zookie: ZookieSchema }).openapi('CheckResponse');

const CheckBulkRequestSchema = z
  .strictObject({
    items: z.array(
      z.strictObject({ resource: ObjectSchema, permission: PermissionSchema, subject: SubjectSchema }).openapi('CheckBulkItem'),
    ),
    consistency: ConsistencySchema.optional(),
  })
  .openapi('CheckBulkRequest');
const CheckBulkResponseSchema = z
  .object({
    results: z.array(
      z
        .object({
          allowed: z.boolean().optional(),
          error: z.object({ code: z.string(), reason: z.string(), message: z.string() }).optional(),
        })
        .openapi('CheckBulkResult', { description: 'Either `allowed` or, for an item that could not be checked, `error`.' }),
    ),
    zookie: ZookieSchema,
  })
  .openapi('CheckBulkResponse');

const ExpandRequestSchema = z
  .strictObject({
    resource: ObjectSchema,
    permission: PermissionSchema,
    maxDepth: z.number().int().min(0).optional().openapi({ description: 'Levels of usersets to expand below the root.' }),
    consistency: ConsistencySchema.optional(),
  })
  .openapi('ExpandRequest');
const ExpandTreeSchema: z.ZodType<ExpandTree> = z
  .lazy(() =>
    z.object({
      kind: z.enum(['union', 'intersection', 'exclusion', 'leaf']),
      object: z.string().openapi({ description: 'The `type:id#relation` this node computes.' }),
      subjects: z.array(z.string()).optional().openapi({ description: 'For leaves: the direct subjects.' }),
      children: z.array(ExpandTreeSchema).optional(),
      truncated: z.boolean().optional().openapi({ description: 'True where maxDepth stopped the expansion.' }),
    }),
  )
  .openapi('ExpandTree');
const ExpandResponseSchema = z.object({ tree: ExpandTreeSchema, zookie: ZookieSchema }).openapi('ExpandResponse');

const LookupResourcesRequestSchema = z
  .strictObject({
    resourceType: z.string().openapi({ example: 'channel' }),
    permission: PermissionSchema,
    subject: SubjectSchema,
    consistency: ConsistencySchema.optional(),
    limit: LimitSchema.optional(),
    cursor: CursorSchema.optional(),
  })
  .openapi('LookupResourcesRequest');
const LookupResourcesResponseSchema = z
  .object({
    resources: z.array(z.string()).openapi({ description: 'Resource ids (without the type), sorted.' }),
    cursor: z.string().optional().openapi({ description: 'Present when more pages follow; pass it back to get them.' }),
    zookie: ZookieSchema,
  })
  .openapi('LookupResourcesResponse');

const LookupSubjectsRequestSchema = z
  .strictObject({
    resource: ObjectSchema,
    permission: PermissionSchema,
    subjectType: z.string().openapi({ description: '`type` or `type#relation`.', example: 'user' }),
    consistency: ConsistencySchema.optional(),
    limit: LimitSchema.optional(),
    cursor: CursorSchema.optional(),
  })
  .openapi('LookupSubjectsRequest');
const LookupSubjectsResponseSchema = z
  .object({
    subjects: z.array(
      z
        .object({
          id: z.string().openapi({ description: 'The subject id, or `*` for every subject of the type.' }),
          excluded: z.array(z.string()).optional().openapi({ description: 'With `*`: the ids excluded from it.' }),
        })
        .openapi('LookedUpSubject'),
    ),
    cursor: z.string().optional(),
    zookie: ZookieSchema,
  })
  .openapi('LookupSubjectsResponse');

function post<Req extends z.ZodType, Res extends z.ZodType>(
  path: string,
  summary: string,
  description: string,
  request: Req,
  response: Res,
) {
  return createRoute({
    method: 'post',
    path,
    tags: ['permissions'],
    summary,
    description,
    security: BEARER_SECURITY,
    request: { body: jsonBody(request) },
    responses: { 200: jsonResponse(response, 'OK'), ...ERROR_RESPONSES },
  });
}

export const checkRoute = post(
  '/v1/permissions/check',
  'Check',
  'May the subject exercise the permission on the resource?',
  CheckRequestSchema,
  CheckResponseSchema,
);
export const checkBulkRoute = post(
  '/v1/permissions/check-bulk',
  'CheckBulk',
  'Many checks at one revision; each item gets `allowed` or its own `error` and never fails the others.',
  CheckBulkRequestSchema,
  CheckBulkResponseSchema,
);
export const expandRoute = post(
  '/v1/permissions/expand',
  'Expand',
  'The userset tree of a permission on a resource.',
  ExpandRequestSchema,
  ExpandResponseSchema,
);
export const lookupResourcesRoute = post(
  '/v1/permissions/lookup-resources',
  'LookupResources',
  'The ids of every resource of the type on which the subject has the permission, in pages: pass `cursor` back until none is returned.',
  LookupResourcesRequestSchema,
  LookupResourcesResponseSchema,
);
export const lookupSubjectsRoute = post(
  '/v1/permissions/lookup-subjects',
  'LookupSubjects',
  'The subjects of the type that have the permission on the resource, in pages.',
  LookupSubjectsRequestSchema,
  LookupSubjectsResponseSchema,
);

export function registerPermissionRoutes(app: OpenAPIHono, service: WardenService): void {
  // Plain Check and CheckBulk requests are answered before they reach the app (check-lane.ts).
  app.openapi(checkRoute, async (c) => c.json(await inScope(c, () => service.check(c.req.valid('json'))), 200));
  app.openapi(checkBulkRoute, async (c) => c.json(await inScope(c, () => service.checkBulk(c.req.valid('json'))), 200));
  app.openapi(expandRoute, async (c) => c.json(await inScope(c, () => service.expand(c.req.valid('json'))), 200));
  app.openapi(lookupResourcesRoute, async (c) => c.json(await inScope(c, () => service.lookupResources(c.req.valid('json'))), 200));
  app.openapi(lookupSubjectsRoute, async (c) => c.json(await inScope(c, () => service.lookupSubjects(c.req.valid('json'))), 200));
}
