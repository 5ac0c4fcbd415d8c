/**
 * One small function per RPC: decode (codec.ts), call the service, encode. Validation is the service's;
 * streaming RPCs turn the service's pages into a stream (see the .proto files for the message shapes).
 */
import type { WardenService } from '../../service/types.js';
import { bindToRequest } from '../request-context.js';
import type { HandlerTable, RpcHandler } from './calls.js';
import {
  decodeConsistency,
  decodeFilter,
  decodePreconditions,
  decodeUpdates,
  encodeCheckBulkResult,
  encodeLookedUpSubject,
  encodeTree,
  encodeWatchEvent,
  messages,
  optNumber,
  optString,
  reqString,
  strings,
  type Message,
} from './codec.js';

const unary = (run: (req: Message) => Promise<Message>): RpcHandler => ({ kind: 'unary', run });
const serverStream = (run: (req: Message, signal: AbortSignal) => AsyncIterable<Message>): RpcHandler => ({ kind: 'serverStream', run });
const clientStream = (run: (reqs: AsyncIterable<Message>, signal: AbortSignal) => Promise<Message>): RpcHandler => ({
  kind: 'clientStream',
  run,
});

/**
 * Streams a paged listing: the request's `limit` caps the whole stream (not a page), and each page the
 * service returns becomes one message whose cursor resumes after it. Pages are never larger than the
 * server's default page size, so one message stays small whatever the limit.
 */
async function* paged<P extends { cursor?: string }>(
  req: Message,
  pageSize: number,
  signal: AbortSignal,
  fetch: (page: { cursor?: string; limit: number }) => Promise<P>,
  size: (page: P) => number,
): AsyncIterable<P> {
  let remaining = optNumber(req, 'limit') ?? Number.POSITIVE_INFINITY;
  let cursor = optString(req, 'cursor');
  while (!signal.aborted) {
    const page = await fetch({ ...(cursor ? { cursor } : {}), limit: Math.min(remaining, pageSize) });
    yield page;
    remaining -= size(page);
    // The last guard only stops a cursor that does not advance from looping forever.
    if (!page.cursor || remaining <= 0 || page.cursor === cursor) return;
    cursor = page.cursor;
  }
}

async function* map<A, B>(source: AsyncIterable<A>, f: (a: A) => B): AsyncIterable<B> {
  for await (const a of source) yield f(a);
}

async function* relationshipLines(reqs: AsyncIterable<Message>): AsyncIterable<string> {
  for await (const m of reqs) yield* strings(m, 'relationships');
}

export function permissionsHandlers(service: WardenService): HandlerTable {
  const pageSize = service.limits.defaultPageSize;
  return {
    Check: unary(async (m) => {
      const r = await service.check({
        resource: reqString(m, 'resource'),
        permission: reqString(m, 'permission'),
        subject: reqString(m, 'subject'),
        consistency: decodeConsistency(m.consistency),
      });
      return { allowed: r.allowed, zookie: r.zookie };
    }),
    CheckBulk: unary(async (m) => {
      const r = await service.checkBulk({
        // Not copied field by field: the service checks each field's type itself, and with proto3
        // defaults an item always carries the three strings.
        items: messages(m, 'items') as { resource: string; permission: string; subject: string }[],
        consistency: decodeConsistency(m.consistency),
      });
      return { results: r.results.map(encodeCheckBulkResult), zookie: r.zookie };
    }),
    Expand: unary(async (m) => {
      const r = await service.expand({
        resource: reqString(m, 'resource'),
        permission: reqString(m, 'permission'),
        maxDepth: optNumber(m, 'maxDepth'),
        consistency: decodeConsistency(m.consistency),
      });
      return { tree: encodeTree(r.tree), zookie: r.zookie };
    }),
    LookupResources: serverStream((m, signal) =>
      map(
        paged(
          m,
          pageSize,
          signal,
          bindToRequest((page) =>
            service.lookupResources({
              resourceType: reqString(m, 'resourceType'),
              permission: reqString(m, 'permission'),
              subject: reqString(m, 'subject'),
              consistency: decodeConsistency(m.consistency),
              ...page,
            }),
          ),
          (p) => p.resources.length,
        ),
        (p) => ({ resourceIds: p.resources, zookie: p.zookie, afterCursor: p.cursor ?? '' }),
      ),
    ),
    LookupSubjects: serverStream((m, signal) =>
      map(
        paged(
          m,
          pageSize,
          signal,
          bindToRequest((page) =>
            service.lookupSubjects({
              resource: reqString(m, 'resource'),
              permission: reqString(m, 'permission'),
              subjectType: reqString(m, 'subjectType'),
              consistency: decodeConsistency(m.consistency),
              ...page,
            }),
          ),
          (p) => p.subjects.length,
        ),
        (p) => ({ subjects: p.subjects.map(encodeLookedUpSubject), zookie: p.zookie, afterCursor: p.cursor ?? '' }),
      ),
    ),
  };
}

export function relationshipsHandlers(service: WardenService): HandlerTable {
  const pageSize = service.limits.defaultPageSize;
  return {
    WriteRelationships: unary(async (m) => {
      const r = await service.writeRelationships({ updates: decodeUpdates(m), preconditions: decodePreconditions(m) });
      return { zookie: r.zookie };
    }),
    DeleteRelationships: unary(async (m) => {
      const r = await service.deleteRelationships({
        filter: decodeFilter(m.filter),
        limit: optNumber(m, 'limit'),
        preconditions: decodePreconditions(m),
      });
      return { zookie: r.zookie, deletedCount: r.deleted, partial: r.partial };
    }),
    ReadRelationships: serverStream((m, signal) =>
      map(
        paged(
          m,
          pageSize,
          signal,
          bindToRequest((page) => service.readRelationships({ filter: decodeFilter(m.filter), consistency: decodeConsistency(m.consistency), ...page })),
          (p) => p.relationships.length,
        ),
        (p) => ({ relationships: p.relationships, zookie: p.zookie, afterCursor: p.cursor ?? '' }),
      ),
    ),
    ImportRelationships: clientStream(async (reqs, signal) => {
      const r = await service.importRelationships(relationshipLines(reqs), signal);
      return { count: r.count, zookie: r.zookie };
    }),
    ExportRelationships: serverStream((m, signal) => {
      const cursor = optString(m, 'cursor');
      return map(
        service.exportRelationships(
          { consistency: decodeConsistency(m.consistency), filter: decodeFilter(m.filter), ...(cursor ? { cursor } : {}) },
          signal,
        ),
        (p) => ({ relationships: p.relationships, zookie: p.zookie, afterCursor: p.cursor ?? '' }),
      );
    }),
  };
}

export function schemaHandlers(service: WardenService): HandlerTable {
  return {
    WriteSchema: unary(async (m) => {
      const r = await service.writeSchema({ schema: reqString(m, 'schema') });
      return { zookie: r.zookie };
    }),
    ReadSchema: unary(async (m) => {
      const r = await service.readSchema({ consistency: decodeConsistency(m.consistency) });
      return { schema: r.schema, zookie: r.zookie };
    }),
  };
}

export function watchHandlers(service: WardenService): HandlerTable {
  return {
    Watch: serverStream((m, signal) =>
      map(service.watch({ afterZookie: optString(m, 'afterZookie'), heartbeatMs: optNumber(m, 'heartbeatMs') }, signal), encodeWatchEvent),
    ),
  };
}
