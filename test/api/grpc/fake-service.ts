/**
 * A small in-memory WardenService for adapter tests: a permission holds exactly when the relationship
 * `resource#permission@subject` is stored, so every answer is predictable. It records the requests it
 * receives so tests can see what the adapter decoded.
 */
import { InvalidArgumentError, PreconditionFailedError, RelationshipExistsError, SchemaNotFoundError } from '../../../src/core/errors.js';
import {
  DEFAULT_LIMITS,
  type CheckRequest,
  type FilterInput,
  type Limits,
  type PreconditionInput,
  type ReadRelationshipsResponse,
  type WardenService,
  type WatchEvent,
} from '../../../src/service/types.js';

const REL = /^([a-z_]+):([\w*|-]+)#([a-z_]+)@([a-z_]+):([\w*|-]+)(?:#([a-z_]+))?$/;

interface Rel {
  key: string;
  resourceType: string;
  resourceId: string;
  relation: string;
  subject: string;
}

function parse(rel: string, where = 'relationship'): Rel {
  const m = REL.exec(rel);
  if (!m) throw new InvalidArgumentError(`${where}: \`${rel}\` is not a relationship (expected type:id#relation@type:id[#relation])`);
  return { key: rel, resourceType: m[1]!, resourceId: m[2]!, relation: m[3]!, subject: rel.slice(rel.indexOf('@') + 1) };
}

function checkRef(value: string, field: string): void {
  if (!/^[a-z_]+:[\w*|-]+(#[a-z_]+)?$/.test(value)) throw new InvalidArgumentError(`\`${field}\`: \`${value}\` is not type:id`);
}

function matches(r: Rel, f: FilterInput | undefined): boolean {
  if (!f) return true;
  if (f.resourceType && r.resourceType !== f.resourceType) return false;
  if (f.resourceId && r.resourceId !== f.resourceId) return false;
  if (f.resourceIdPrefix && !r.resourceId.startsWith(f.resourceIdPrefix)) return false;
  if (f.relation && r.relation !== f.relation) return false;
  if (f.subject && !(r.subject === f.subject || r.subject.startsWith(`${f.subject}:`) || r.subject.startsWith(`${f.subject}#`))) return false;
  return true;
}

const enc = (s: string) => Buffer.from(s).toString('base64url');
const dec = (s: string) => Buffer.from(s, 'base64url').toString();

/** Sorted page after `cursor` (the last item of the previous page). */
function page<T>(items: T[], key: (t: T) => string, limit: number | undefined, cursor: string | undefined, limits: Limits) {
  const size = limit ?? limits.defaultPageSize;
  if (size > limits.maxPageSize) throw new InvalidArgumentError(`limit ${size} is over ${limits.maxPageSize}`);
  const after = cursor ? dec(cursor) : undefined;
  const rest = items.filter((t) => after === undefined || key(t) > after);
  const out = rest.slice(0, size);
  const more = rest.length > size;
  return { out, cursor: more ? enc(key(out[out.length - 1]!)) : undefined };
}

export interface FakeService extends WardenService {
  readonly received: { method: string; req: unknown }[];
  /** Committed revision. */
  revision(): number;
}

export function createFakeService(limits: Limits = { ...DEFAULT_LIMITS, defaultPageSize: 3, maxPageSize: 5 }): FakeService {
  const rels = new Map<string, Rel>();
  let schema: string | undefined;
  let revision = 0;
  const log: { revision: number; changes: { operation: 'touch' | 'delete'; relationship: string }[]; schemaChanged?: boolean }[] = [];
  const waiters = new Set<() => void>();
  const received: { method: string; req: unknown }[] = [];
  const zookie = (r = revision) => `z${r}`;
  const sorted = () => [...rels.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const record = (method: string, req: unknown) => received.push({ method, req });

  const commit = (changes: { operation: 'touch' | 'delete'; relationship: string }[], schemaChanged = false) => {
    revision++;
    log.push({ revision, changes, ...(schemaChanged ? { schemaChanged } : {}) });
    for (const w of waiters) w();
    return zookie();
  };

  const checkPreconditions = (pre: readonly PreconditionInput[] | undefined) => {
    for (const p of pre ?? []) {
      const any = [...rels.values()].some((r) => matches(r, p.filter));
      if (p.operation === 'must_match' && !any) throw new PreconditionFailedError('precondition must_match did not hold');
      if (p.operation === 'must_not_match' && any) throw new PreconditionFailedError('precondition must_not_match did not hold');
    }
  };

  const allowed = (r: { resource: string; permission: string; subject: string }) => {
    checkRef(r.resource, 'resource');
    checkRef(r.subject, 'subject');
    if (r.resource.startsWith('boom:')) throw new Error('secret: /var/lib/warden/db.sqlite is corrupt');
    if (!schema) throw new SchemaNotFoundError();
    return rels.has(`${r.resource}#${r.permission}@${r.subject}`);
  };

  const read = (req: { filter?: FilterInput; limit?: number; cursor?: string }): ReadRelationshipsResponse => {
    const p = page(
      sorted().filter((r) => matches(r, req.filter)),
      (r) => r.key,
      req.limit,
      req.cursor,
      limits,
    );
    return { relationships: p.out.map((r) => r.key), ...(p.cursor ? { cursor: p.cursor } : {}), zookie: zookie() };
  };

  return {
    limits,
    received,
    revision: () => revision,
    async check(req: CheckRequest) {
      record('check', req);
      return { allowed: allowed(req), zookie: zookie() };
    },
    async checkBulk(req) {
      record('checkBulk', req);
      return {
        results: req.items.map((i) => {
          try {
            return { allowed: allowed(i) };
          } catch (e) {
            const err = e as InvalidArgumentError;
            return { error: { code: err.code, reason: err.reason, message: err.message } };
          }
        }),
        zookie: zookie(),
      };
    },
    async expand(req) {
      record('expand', req);
      checkRef(req.resource, 'resource');
      const subjects = sorted()
        .filter((r) => `${r.resourceType}:${r.resourceId}` === req.resource && r.relation === req.permission)
        .map((r) => r.subject);
      return {
        tree: {
          kind: 'union',
          object: `${req.resource}#${req.permission}`,
          children: [{ kind: 'leaf', object: `${req.resource}#${req.permission}`, subjects }, { kind: 'leaf', object: `${req.resource}#nobody`, subjects: [], truncated: true }],
        },
        zookie: zookie(),
      };
    },
    async lookupResources(req) {
      record('lookupResources', req);
      checkRef(req.subject, 'subject');
      const ids = sorted()
        .filter((r) => r.resourceType === req.resourceType && r.relation === req.permission && r.subject === req.subject)
        .map((r) => r.resourceId);
      const p = page(ids, (id) => id, req.limit, req.cursor, limits);
      return { resources: p.out, ...(p.cursor ? { cursor: p.cursor } : {}), zookie: zookie() };
    },
    async lookupSubjects(req) {
      record('lookupSubjects', req);
      checkRef(req.resource, 'resource');
      const ids = sorted()
        .filter((r) => `${r.resourceType}:${r.resourceId}` === req.resource && r.relation === req.permission && r.subject.startsWith(`${req.subjectType}:`))
        .map((r) => r.subject.slice(req.subjectType.length + 1));
      const p = page(ids, (id) => id, req.limit, req.cursor, limits);
      return {
        subjects: p.out.map((id) => (id === '*' ? { id, excluded: ['banned'] } : { id })),
        ...(p.cursor ? { cursor: p.cursor } : {}),
        zookie: zookie(),
      };
    },
    async writeRelationships(req) {
      record('writeRelationships', req);
      if (req.updates.length > limits.maxUpdatesPerWrite) throw new InvalidArgumentError('too many updates');
      const parsed = req.updates.map((u, i) => ({ op: u.operation, rel: parse(u.relationship, `updates[${i}]`) }));
      checkPreconditions(req.preconditions);
      for (const u of parsed) if (u.op === 'create' && rels.has(u.rel.key)) throw new RelationshipExistsError(u.rel.key);
      const changes: { operation: 'touch' | 'delete'; relationship: string }[] = [];
      for (const u of parsed) {
        if (u.op === 'delete') {
          if (rels.delete(u.rel.key)) changes.push({ operation: 'delete', relationship: u.rel.key });
        } else {
          rels.set(u.rel.key, u.rel);
          changes.push({ operation: 'touch', relationship: u.rel.key });
        }
      }
      return { zookie: commit(changes) };
    },
    async deleteRelationships(req) {
      record('deleteRelationships', req);
      if (!req.filter.resourceType) throw new InvalidArgumentError('filter.resourceType is required');
      checkPreconditions(req.preconditions);
      const all = sorted().filter((r) => matches(r, req.filter));
      const doomed = req.limit === undefined ? all : all.slice(0, req.limit);
      for (const r of doomed) rels.delete(r.key);
      const z = commit(doomed.map((r) => ({ operation: 'delete' as const, relationship: r.key })));
      return { zookie: z, deleted: doomed.length, partial: doomed.length < all.length };
    },
    async readRelationships(req) {
      record('readRelationships', req);
      return read(req);
    },
    async importRelationships(lines) {
      record('importRelationships', undefined);
      let n = 0;
      let line = 0;
      let batch: Rel[] = [];
      const flush = () => {
        if (batch.length === 0) return;
        for (const r of batch) rels.set(r.key, r);
        commit(batch.map((r) => ({ operation: 'touch', relationship: r.key })));
        batch = [];
      };
      for await (const raw of lines) {
        line++;
        const s = raw.trim();
        if (s === '' || s.startsWith('//')) continue;
        try {
          batch.push(parse(s));
        } catch (e) {
          flush();
          throw new InvalidArgumentError(`line ${line}: ${(e as Error).message}`);
        }
        n++;
        if (batch.length >= 2) flush();
      }
      flush();
      return { count: n, zookie: zookie() };
    },
    async *exportRelationships(req) {
      record('exportRelationships', req);
      let cursor = req.cursor;
      for (;;) {
        const p = read({ filter: req.filter, ...(cursor ? { cursor } : {}) });
        yield p;
        if (!p.cursor) return;
        cursor = p.cursor;
      }
    },
    async *watch(req, signal) {
      record('watch', req);
      let after = req.afterZookie ? Number(req.afterZookie.slice(1)) : revision;
      if (req.afterZookie && !/^z\d+$/.test(req.afterZookie)) throw new InvalidArgumentError('malformed zookie');
      const heartbeatMs = req.heartbeatMs ?? 10_000;
      while (!signal.aborted) {
        const next = log.filter((e) => e.revision > after);
        for (const e of next) {
          after = e.revision;
          const ev: WatchEvent = { type: 'changes', zookie: zookie(e.revision), changes: e.changes, ...(e.schemaChanged ? { schemaChanged: true } : {}) };
          yield ev;
        }
        const woke = await new Promise<boolean>((resolve) => {
          const done = (v: boolean) => {
            waiters.delete(wake);
            clearTimeout(t);
            signal.removeEventListener('abort', abort);
            resolve(v);
          };
          const wake = () => done(true);
          const abort = () => done(false);
          const t = setTimeout(() => done(false), heartbeatMs);
          waiters.add(wake);
          signal.addEventListener('abort', abort);
        });
        if (!woke && !signal.aborted) yield { type: 'heartbeat', zookie: zookie(after) };
      }
    },
    async writeSchema(req) {
      record('writeSchema', req);
      if (!req.schema.includes('definition')) throw new InvalidArgumentError('1:1: expected `definition`');
      schema = req.schema;
      return { zookie: commit([], true) };
    },
    async readSchema(req) {
      record('readSchema', req);
      if (!schema) throw new SchemaNotFoundError();
      return { schema, zookie: zookie() };
    },
    health: () => ({ ok: true }),
    ready: async () => ({ ready: true }),
  };
}
