/**
 * The zod schemas of the HTTP API, shared by the routes. They check shapes only (the service checks
 * meaning: relationship syntax, zookies, limits) and they are the source of the OpenAPI document.
 * Request objects are strict: a misspelt field such as `consistancy` is an error, never silently a
 * weaker read.
 */
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'INVALID_ARGUMENT' }),
      reason: z.string().openapi({ example: 'INVALID_REQUEST' }),
      message: z.string().openapi({ example: 'resource: expected a string' }),
    }),
  })
  .openapi('Error');

export const ZookieSchema = z.string().openapi({
  description: 'An opaque consistency token: the revision a write committed at or a read was evaluated at.',
  example: 'CAESBAgBEAE',
});

const CONSISTENCY_HELP =
  'expected one of {"minimizeLatency":true}, {"atLeastAsFresh":"<zookie>"}, {"atExactSnapshot":"<zookie>"}, {"fullyConsistent":true}';

export const ConsistencySchema = z
  .union(
    [
      z.strictObject({ minimizeLatency: z.literal(true) }),
      z.strictObject({ atLeastAsFresh: ZookieSchema }),
      z.strictObject({ atExactSnapshot: ZookieSchema }),
      z.strictObject({ fullyConsistent: z.literal(true) }),
    ],
    { error: CONSISTENCY_HELP },
  )
  .openapi('Consistency', {
    description:
      'How fresh the read must be. Absent means minimizeLatency (a recent cached revision); atLeastAsFresh takes the zookie of a write whose effect must be seen.',
  });

export const ObjectSchema = z.string().openapi({ description: 'An object, `type:id`.', example: 'conversation:42' });
export const SubjectSchema = z
  .string()
  .openapi({ description: 'A subject, `type:id` or `type:id#relation`.', example: 'user:ana' });
export const RelationshipSchema = z.string().openapi({
  description: 'A relationship, `type:id#relation@subject_type:subject_id[#subject_relation]`.',
  example: 'channel:wa1#assigned_team@team:sales#member',
});

export const LimitSchema = z.number().int().min(1).openapi({ description: 'Page size; default and cap set by the server.' });
export const CursorSchema = z.string().openapi({ description: 'The `cursor` of the previous page.' });

export const FilterSchema = z
  .strictObject({
    resourceType: z.string().optional(),
    resourceId: z.string().optional(),
    resourceIdPrefix: z.string().optional(),
    relation: z.string().optional(),
    subject: z
      .string()
      .optional()
      .openapi({ description: '`type`, `type:id`, `type:id#relation` or `type#relation`.', example: 'team:sales' }),
  })
  .openapi('RelationshipFilter', { description: 'Every field given narrows the match.' });

export const PreconditionSchema = z
  .strictObject({
    operation: z.enum(['must_match', 'must_not_match']),
    filter: FilterSchema,
  })
  .openapi('Precondition', { description: 'Checked in the same transaction as the write; a failed one writes nothing (412).' });

export const ZookieResponseSchema = z.object({ zookie: ZookieSchema }).openapi('ZookieResponse');

/** A JSON request body, required, as every POST route but import takes it. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema } },
  } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

const errorResponse = (description: string) => jsonResponse(ErrorSchema, description);

/** The error responses every /v1 route can give. */
export const ERROR_RESPONSES = {
  400: errorResponse('Invalid request: a field is missing or malformed, or the service refused the input.'),
  401: errorResponse('Missing or wrong `Authorization: Bearer <key>` (only when the server has a preshared key).'),
  409: errorResponse('Conflict with stored data (a `create` of an existing relationship, a schema change that would orphan relationships).'),
  412: errorResponse('A precondition did not hold, or the schema / revision asked for is not available.'),
  413: errorResponse('The request body is larger than the server accepts.'),
  415: errorResponse('The body is not `application/json`.'),
  429: errorResponse('A limit was exceeded (page size, batch size, graph depth).'),
  500: errorResponse('Internal error (details are logged by the server, never sent).'),
  503: errorResponse('The server is not ready.'),
} as const;

/** The security requirement of every /v1 route, documented whether or not this server has a key. */
export const BEARER_SECURITY = [{ bearer: [] as string[] }];
