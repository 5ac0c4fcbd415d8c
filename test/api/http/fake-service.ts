/**
 * A small in-memory WardenService for the HTTP adapter's tests: direct relationships only (a permission
 * is a relation), but real paging, zookies, atomic writes, preconditions, import line numbers, export
 * pages and a watch feed, so that every route can be driven end to end without the engine.
 * It also records what the adapter passed in, and how many watches/exports were aborted.
 */
import {
  InvalidArgumentError,
  InvalidZookieError,
  LimitExceededError,
  PreconditionFailedError,
  RelationshipExistsError,
  SchemaNotFoundError,
} from '../../../src/core/errors.js';
import { formatRelationship, parseObjectRef, parseRelationship, parseSubjectRef } from '../../../src/core/refs.js';
import {
  DEFAULT_LIMITS,
  type CheckBulkRequest,
  type CheckBulkResponse,
  type CheckRequest,
  type CheckResponse,
  type Consistency,
  type DeleteRelationshipsRequest,
  type DeleteRelationshipsResponse,
  type ExpandRequest,
  type ExpandResponse,
  type ExportRequest,
  type FilterInput,
  type ImportResponse,
  type Limits,
  type LookupResourcesRequest,
  type LookupResourcesResponse,
  type LookupSubjectsRequest,
  type LookupSubjectsResponse,
  type PreconditionInput,
  type ReadRelationshipsRequest,
  type ReadRelationshipsResponse,
  type ReadSchemaRequest,
  type ReadSchemaResponse,
  type WardenService,
  type WatchEvent,
  type WatchRequest,
  type WriteRelationshipsRequest,
  type WriteRelationshipsResponse,
  type WriteSchemaRequest,
  type WriteSchemaResponse,
} from '../../../src/service/types.js';

interface Change {
  revision: number;
  operation: 'touch' | 'delete';
  relationship: string;
}

export class FakeWardenService implements WardenService {
  readonly limits: Limits;
  revision = 1;
  schema: string | undefined;
  readonly rels = new Set<string>();
  private readonly changes: Change[] = [];
  private readonly waiters = new Set<() => void>();
  /** Every request object the adapter handed over, by operation. */
  readonly calls: { op: string; req: unknown }[] = [];
  isReady = true;
  /** Make the next call of this operation throw a plain (unexpected) Error. */
  explodeOn: string | undefined;
  watchesStarted = 0;
  watchesEnded = 0;
  exportsEnded = 0;
  /** Exports that ended because their signal was aborted, and pages handed out. */
  exportsAborted = 0;
  exportPages = 0;

  constructor(limits: Partial<Limits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  private record(op: string, req: unknown): void {
    this.calls.push({ op, req });
    if (this.explodeOn === op) {
      this.explodeOn = undefined;
      throw new Error(`kaboom in ${op} at /secret/path.ts:42`);
    }
  }

  zookie(rev = this.revision): string {
    return `fz${rev}`;
  }

  private readRevision(c: Consistency | undefined): number {
    if (!c || 'minimizeLatency' in c || 'fullyConsistent' in c) return this.revision;
    const token = 'atLeastAsFresh' in c ? c.atLeastAsFresh : c.atExactSnapshot;
    const m = /^fz(\d+)$/.exec(token);
    if (!m) throw new InvalidZookieError(`malformed zookie \`${token}\``);
    return this.revision;
  }

  private page(limit: number | undefined): number {
    const n = limit ?? this.limits.defaultPageSize;
    if (n > this.limits.maxPageSize) throw new LimitExceededError(`limit ${n} is larger than the maximum page size ${this.limits.maxPageSize}`);
    return n;
  }

  private sorted(): string[] {
    return [...this.rels].sort();
  }

  private commit(changes: { operation: 'touch' | 'delete'; relationship: string }[]): number {
    this.revision++;
    for (const ch of changes) this.changes.push({ revision: this.revision, ...ch });
    for (const wake of this.waiters) wake();
    return this.revision;
  }

  async check(req: CheckRequest): Promise<CheckResponse> {
    this.record('check', req);
    const zookie = this.zookie(this.readRevision(req.consistency));
    return { allowed: this.allowed(req.resource, req.permission, req.subject), zookie };
  }

  private allowed(resource: string, permission: string, subject: string): boolean {
    parseObjectRef(resource);
    const s = parseSubjectRef(subject);
    return this.rels.has(`${resource}#${permission}@${subject}`) || this.rels.has(`${resource}#${permission}@${s.type}:*`);
  }

  async checkBulk(req: CheckBulkRequest): Promise<CheckBulkResponse> {
    this.record('checkBulk', req);
    if (req.items.length > this.limits.maxCheckBulkItems) throw new LimitExceededError('too many items');
    const zookie = this.zookie(this.readRevision(req.consistency));
    const results = req.items.map((it) => {
      try {
        return { allowed: this.allowed(it.resource, it.permission, it.subject) };
      } catch (e) {
        const err = e as InvalidArgumentError;
        return { error: { code: err.code, reason: err.reason, message: err.message } };
      }
    });
    return { results, zookie };
  }

  async expand(req: ExpandRequest): Promise<ExpandResponse> {
    this.record('expand', req);
    parseObjectRef(req.resource);
    const prefix = `${req.resource}#${req.permission}@`;
    const subjects = this.sorted()
      .filter((r) => r.startsWith(prefix))
      .map((r) => r.slice(prefix.length));
    return {
      tree: { kind: 'union', object: `${req.resource}#${req.permission}`, children: [{ kind: 'leaf', object: `${req.resource}#${req.permission}`, subjects }] },
      zookie: this.zookie(this.readRevision(req.consistency)),
    };
  }

  async lookupResources(req: LookupResourcesRequest): Promise<LookupResourcesResponse> {
    this.record('lookupResources', req);
    const zookie = this.zookie(this.readRevision(req.consistency));
    const limit = this.page(req.limit);
    parseSubjectRef(req.subject);
    const ids = new Set<string>();
    for (const r of this.rels) {
      const rel = parseRelationship(r);
      if (rel.resource.type === req.resourceType && rel.relation === req.permission && this.allowed(`${rel.resource.type}:${rel.resource.id}`, req.permission, req.subject)) {
        ids.add(rel.resource.id);
      }
    }
    return { ...pageOf([...ids].sort(), limit, req.cursor), zookie } as LookupResourcesResponse;
  }

  async lookupSubjects(req: LookupSubjectsRequest): Promise<LookupSubjectsResponse> {
    this.record('lookupSubjects', req);
    const zookie = this.zookie(this.readRevision(req.consistency));
    const limit = this.page(req.limit);
    const prefix = `${req.resource}#${req.permission}@${req.subjectType}:`;
    const ids = this.sorted()
      .filter((r) => r.startsWith(prefix))
      .map((r) => r.slice(prefix.length));
    const p = pageOf(ids, limit, req.cursor);
    return { subjects: p.resources.map((id) => ({ id })), ...(p.cursor ? { cursor: p.cursor } : {}), zookie };
  }

  private matches(rel: string, f: FilterInput): boolean {
    const r = parseRelationship(rel);
    if (f.resourceType !== undefined && r.resource.type !== f.resourceType) return false;
    if (f.resourceId !== undefined && r.resource.id !== f.resourceId) return false;
    if (f.resourceIdPrefix !== undefined && !r.resource.id.startsWith(f.resourceIdPrefix)) return false;
    if (f.relation !== undefined && r.relation !== f.relation) return false;
    if (f.subject !== undefined) {
      const subject = rel.slice(rel.indexOf('@') + 1);
      if (subject !== f.subject && !subject.startsWith(`${f.subject}:`)) return false;
    }
    return true;
  }

  private checkPreconditions(pre: readonly PreconditionInput[] | undefined): void {
    for (const p of pre ?? []) {
      const any = [...this.rels].some((r) => this.matches(r, p.filter));
      if (any !== (p.operation === 'must_match')) throw new PreconditionFailedError(`precondition ${p.operation} did not hold`);
    }
  }

  async writeRelationships(req: WriteRelationshipsRequest): Promise<WriteRelationshipsResponse> {
    this.record('writeRelationships', req);
    if (req.updates.length > this.limits.maxUpdatesPerWrite) throw new LimitExceededError('too many updates');
    const parsed = req.updates.map((u) => ({ operation: u.operation, relationship: formatRelationship(parseRelationship(u.relationship)) }));
    this.checkPreconditions(req.preconditions);
    for (const u of parsed) if (u.operation === 'create' && this.rels.has(u.relationship)) throw new RelationshipExistsError(u.relationship);
    const changes = parsed.map((u) => ({ operation: u.operation === 'delete' ? ('delete' as const) : ('touch' as const), relationship: u.relationship }));
    for (const ch of changes) {
      if (ch.operation === 'delete') this.rels.delete(ch.relationship);
      else this.rels.add(ch.relationship);
    }
    return { zookie: this.zookie(this.commit(changes)) };
  }

  async deleteRelationships(req: DeleteRelationshipsRequest): Promise<DeleteRelationshipsResponse> {
    this.record('deleteRelationships', req);
    this.checkPreconditions(req.preconditions);
    const matching = this.sorted().filter((r) => this.matches(r, req.filter));
    const victims = req.limit === undefined ? matching : matching.slice(0, req.limit);
    for (const r of victims) this.rels.delete(r);
    const rev = this.commit(victims.map((relationship) => ({ operation: 'delete' as const, relationship })));
    return { zookie: this.zookie(rev), deleted: victims.length, partial: victims.length < matching.length };
  }

  async readRelationships(req: ReadRelationshipsRequest): Promise<ReadRelationshipsResponse> {
    this.record('readRelationships', req);
    const zookie = this.zookie(this.readRevision(req.consistency));
    const p = pageOf(
      this.sorted().filter((r) => this.matches(r, req.filter)),
      this.page(req.limit),
      req.cursor,
    );
    return { relationships: p.resources, ...(p.cursor ? { cursor: p.cursor } : {}), zookie };
  }

  async importRelationships(lines: AsyncIterable<string>, signal?: AbortSignal): Promise<ImportResponse> {
    this.record('importRelationships', undefined);
    const batch: string[] = [];
    let lineNo = 0;
    for await (const raw of lines) {
      lineNo++;
      if (signal?.aborted) break;
      const line = raw.trim();
      if (line === '' || line.startsWith('//') || line.startsWith('#')) continue;
      try {
        const text = line.startsWith('{') ? (JSON.parse(line) as { relationship: string }).relationship : line;
        batch.push(formatRelationship(parseRelationship(text)));
      } catch (e) {
        throw new InvalidArgumentError(`line ${lineNo}: ${(e as Error).message}`);
      }
    }
    for (const r of batch) this.rels.add(r);
    const rev = this.commit(batch.map((relationship) => ({ operation: 'touch' as const, relationship })));
    return { count: batch.length, zookie: this.zookie(rev) };
  }

  async *exportRelationships(req: ExportRequest, signal?: AbortSignal): AsyncIterable<ReadRelationshipsResponse> {
    this.record('exportRelationships', req);
    const zookie = this.zookie(this.readRevision(req.consistency));
    const limit = this.page(req.limit);
    const all = this.sorted().filter((r) => this.matches(r, req.filter ?? {}));
    let cursor = req.cursor;
    try {
      for (;;) {
        if (signal?.aborted) return;
        const p = pageOf(all, limit, cursor);
        this.exportPages++;
        yield { relationships: p.resources, ...(p.cursor ? { cursor: p.cursor } : {}), zookie };
        if (!p.cursor) return;
        cursor = p.cursor;
      }
    } finally {
      this.exportsEnded++;
      if (signal?.aborted) this.exportsAborted++;
    }
  }

  async *watch(req: WatchRequest, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.record('watch', req);
    const heartbeatMs = req.heartbeatMs ?? 10_000;
    if (heartbeatMs < 100) throw new InvalidArgumentError('`heartbeatMs` must be at least 100');
    let after = this.revision;
    if (req.afterZookie !== undefined) {
      const m = /^fz(\d+)$/.exec(req.afterZookie);
      if (!m) throw new InvalidZookieError(`malformed zookie \`${req.afterZookie}\``);
      after = Number(m[1]);
    }
    this.watchesStarted++;
    try {
      while (!signal.aborted) {
        const pending = this.changes.filter((c) => c.revision > after);
        if (pending.length > 0) {
          for (const rev of [...new Set(pending.map((c) => c.revision))]) {
            yield {
              type: 'changes',
              zookie: this.zookie(rev),
              changes: pending.filter((c) => c.revision === rev).map(({ operation, relationship }) => ({ operation, relationship })),
            };
            after = rev;
          }
          continue;
        }
        const woke = await new Promise<boolean>((resolve) => {
          const done = (v: boolean) => {
            clearTimeout(timer);
            this.waiters.delete(wake);
            signal.removeEventListener('abort', abort);
            resolve(v);
          };
          const wake = () => done(true);
          const abort = () => done(false);
          const timer = setTimeout(() => done(false), heartbeatMs);
          this.waiters.add(wake);
          signal.addEventListener('abort', abort);
        });
        if (!woke && !signal.aborted) yield { type: 'heartbeat', zookie: this.zookie(after) };
      }
    } finally {
      this.watchesEnded++;
    }
  }

  async writeSchema(req: WriteSchemaRequest): Promise<WriteSchemaResponse> {
    this.record('writeSchema', req);
    if (!req.schema.includes('definition')) throw new InvalidArgumentError('1:1: expected `definition`', 'SCHEMA_INVALID');
    this.schema = req.schema;
    return { zookie: this.zookie(this.commit([])) };
  }

  async readSchema(req: ReadSchemaRequest): Promise<ReadSchemaResponse> {
    this.record('readSchema', req);
    const zookie = this.zookie(this.readRevision(req.consistency));
    if (this.schema === undefined) throw new SchemaNotFoundError();
    return { schema: this.schema, zookie };
  }

  health(): { ok: boolean } {
    return { ok: true };
  }

  async ready(): Promise<{ ready: boolean; reason?: string }> {
    return this.isReady ? { ready: true } : { ready: false, reason: 'catching up with the change feed' };
  }
}

/** Sorted items after the cursor (the last item of the previous page, base64url), `limit` of them. */
function pageOf(sortedItems: string[], limit: number, cursor: string | undefined): { resources: string[]; cursor?: string } {
  let start = 0;
  if (cursor !== undefined) {
    const after = Buffer.from(cursor, 'base64url').toString();
    if (!cursor || Buffer.from(after).toString('base64url') !== cursor) throw new InvalidArgumentError('malformed cursor', 'CURSOR_INVALID');
    start = sortedItems.findIndex((x) => x > after);
    if (start < 0) start = sortedItems.length;
  }
  const items = sortedItems.slice(start, start + limit);
  const more = start + limit < sortedItems.length;
  return { resources: items, ...(more ? { cursor: Buffer.from(items[items.length - 1]!).toString('base64url') } : {}) };
}
