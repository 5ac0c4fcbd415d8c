/**
 * The streaming operations: ImportRelationships (a line-per-relationship request body), and
 * ExportRelationships and Watch (NDJSON responses).
 *
 * Export body, one JSON value per line:
 *   {"relationship":"doc:1#viewer@user:ana"}   one per relationship, in the store's order
 *   {"cursor":"..."}                           after each page: resumes the export after that page
 *   {"zookie":"...","count":N}                 last: the revision of the whole export; absent = cut off
 *   {"error":{code,reason,message}}            instead of the last line if the export failed midway
 * The relationship, cursor and zookie lines are what import accepts, so an export re-imports as is.
 *
 * Watch body: one WatchEvent per line (`{"type":"changes",...}` or `{"type":"heartbeat","zookie":...}`)
 * until the client disconnects, or `{"error":{...}}` as the last line if the watch fails.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ReadRelationshipsResponse, WardenService, WatchEvent } from '../../service/types.js';
import { markBodyConsumed } from './http-errors.js';
import { importLines, ndjsonLine, ndjsonResponse, readLines } from './ndjson.js';
import { inScope } from './request-scope.js';
import {
  BEARER_SECURITY,
  ConsistencySchema,
  CursorSchema,
  ERROR_RESPONSES,
  FilterSchema,
  LimitSchema,
  RelationshipSchema,
  ZookieSchema,
  jsonResponse,
} from './schemas.js';

export const IMPORT_PATH = '/v1/relationships/import';

// Long enough for a bad zookie to come back as a 4xx, short enough not to hold up a watch's headers.
const WATCH_FIRST_EVENT_WAIT_MS = 100;

const ImportResponseSchema = z
  .object({
    count: z.number().int().openapi({ description: 'Relationships received (re-importing counts them again but changes nothing).' }),
    zookie: ZookieSchema,
  })
  .openapi('ImportResponse');

const ExportRequestSchema = z
  .strictObject({
    consistency: ConsistencySchema.optional(),
    filter: FilterSchema.optional(),
    limit: LimitSchema.optional().openapi({ description: 'Relationships between two cursor lines; the stream always runs to the end.' }),
    cursor: CursorSchema.optional().openapi({ description: 'A cursor line of an earlier export: resume after it.' }),
  })
  .openapi('ExportRequest');
const ExportLineSchema = z
  .union([
    z.object({ relationship: RelationshipSchema }),
    z.object({ cursor: z.string() }),
    z.object({ zookie: ZookieSchema, count: z.number().int() }),
  ])
  .openapi('ExportLine', { description: 'One line of the NDJSON export stream.' });

const WatchRequestSchema = z
  .strictObject({
    afterZookie: ZookieSchema.optional().openapi({ description: 'Deliver changes committed after this zookie; absent means from now.' }),
    heartbeatMs: z.number().int().min(1).optional().openapi({ description: 'Heartbeat period in milliseconds.' }),
  })
  .openapi('WatchRequest');
const WatchEventSchema = z
  .union([
    z.object({
      type: z.literal('changes'),
      zookie: ZookieSchema,
      changes: z.array(z.object({ operation: z.enum(['touch', 'delete']), relationship: RelationshipSchema })),
      schemaChanged: z.boolean().optional(),
    }),
    z.object({ type: z.literal('heartbeat'), zookie: ZookieSchema }),
  ])
  .openapi('WatchEvent', { description: 'One line of the NDJSON watch stream.' });

/** A JSON body that may be left out entirely (then every field takes its default). */
function optionalJsonBody<T extends z.ZodType>(schema: T) {
  return { required: false, content: { 'application/json': { schema } } } as const;
}

export const importRoute = createRoute({
  method: 'post',
  path: IMPORT_PATH,
  tags: ['relationships'],
  summary: 'ImportRelationships',
  description:
    'Touches every relationship of the body, read as a stream: one relationship string a line, or NDJSON lines `{"relationship":"..."}` (an export stream imports as is). Blank lines and `//` comments are skipped. Committed in batches; a bad line fails the import naming its line number, batches before it stay, and re-running is safe. The body has no size limit, each line has.',
  security: BEARER_SECURITY,
  request: {
    body: {
      required: true,
      content: {
        'text/plain': { schema: z.string().openapi({ example: 'team:sales#member@user:ana\nchannel:wa1#assigned_team@team:sales#member' }) },
        'application/x-ndjson': { schema: z.string().openapi({ example: '{"relationship":"team:sales#member@user:ana"}' }) },
      },
    },
  },
  responses: { 200: jsonResponse(ImportResponseSchema, 'Imported'), ...ERROR_RESPONSES },
});

export const exportRoute = createRoute({
  method: 'post',
  path: '/v1/relationships/export',
  tags: ['relationships'],
  summary: 'ExportRelationships',
  description:
    'Every relationship (matching the optional filter) at one revision, as an NDJSON stream: `{"relationship":...}` lines, a `{"cursor":...}` line after each page, and a final `{"zookie":...,"count":N}` line; a stream without that line was cut off (resume from the last cursor). An error midway ends the stream with an `{"error":{...}}` line.',
  security: BEARER_SECURITY,
  request: { body: optionalJsonBody(ExportRequestSchema) },
  responses: {
    200: { description: 'NDJSON stream', content: { 'application/x-ndjson': { schema: ExportLineSchema } } },
    ...ERROR_RESPONSES,
  },
});

export const watchRoute = createRoute({
  method: 'post',
  path: '/v1/watch',
  tags: ['watch'],
  summary: 'Watch',
  description:
    'Relationship and schema changes committed after `afterZookie` (or from now), in revision order, as an NDJSON stream of WatchEvents with periodic heartbeats, until the client disconnects. A failure ends the stream with an `{"error":{...}}` line.',
  security: BEARER_SECURITY,
  request: { body: optionalJsonBody(WatchRequestSchema) },
  responses: {
    200: { description: 'NDJSON stream', content: { 'application/x-ndjson': { schema: WatchEventSchema } } },
    ...ERROR_RESPONSES,
  },
});

async function* exportChunks(pages: AsyncIterable<ReadRelationshipsResponse>): AsyncGenerator<string> {
  let count = 0;
  let zookie: string | undefined;
  for await (const page of pages) {
    // One chunk a page: a write per relationship would cost more than the JSON.
    let chunk = '';
    for (const relationship of page.relationships) chunk += ndjsonLine({ relationship });
    if (page.cursor !== undefined) chunk += ndjsonLine({ cursor: page.cursor });
    count += page.relationships.length;
    zookie = page.zookie;
    if (chunk) yield chunk;
  }
  yield ndjsonLine(zookie === undefined ? { count } : { zookie, count });
}

async function* watchChunks(events: AsyncIterable<WatchEvent>) {
  for await (const event of events) yield ndjsonLine(event);
}

export function registerStreamRoutes(app: OpenAPIHono, service: WardenService, maxLineBytes: number): void {
  app.openapi(importRoute, async (c) => {
    const lines = importLines(readLines(c.req.raw.body, maxLineBytes, () => markBodyConsumed(c)));
    return c.json(await inScope(c, () => service.importRelationships(lines, c.req.raw.signal)), 200);
  });
  app.openapi(exportRoute, async (c) => {
    const abort = new AbortController();
    const req = c.req.valid('json');
    // The first page is awaited so that a bad cursor or zookie still gets a 4xx.
    const pages = inScope(c, () => service.exportRelationships(req, abort.signal));
    const res = await ndjsonResponse(c, exportChunks(pages), { abort, firstChunkWaitMs: Infinity });
    return res as never; // the route types know JSON and text responses only, not NDJSON
  });
  app.openapi(watchRoute, async (c) => {
    const abort = new AbortController();
    const req = c.req.valid('json');
    const events = inScope(c, () => service.watch(req, abort.signal));
    const res = await ndjsonResponse(c, watchChunks(events), {
      abort,
      firstChunkWaitMs: WATCH_FIRST_EVENT_WAIT_MS,
    });
    return res as never; // as for export
  });
}
