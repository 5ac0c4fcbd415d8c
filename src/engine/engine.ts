/**
 * The engine's facade: Check, CheckMany, Expand, LookupResources and LookupSubjects at one revision
 * (the snapshot in `ctx`). It validates names, builds the top-level dispatch and shapes the answer;
 * the walking happens in local/ behind the dispatcher ring.
 *
 * Depth: every dispatch hop takes one from `maxDepth` (default 50, as SpiceDB's
 * --dispatch-max-depth); running out is a MaxDepthExceededError, never a silent false. Cycles in the
 * data are not pruned (see local/check.ts for why and for the evidence): a cycle the walk has to
 * follow ends in that error, as it does in SpiceDB.
 */
import { AuthzError, InvalidArgumentError, MaxDepthExceededError } from '../core/errors.js';
import { WILDCARD } from '../core/refs.js';
import type { ObjectRef, SubjectRef } from '../core/refs.js';
import type { CompiledSchema } from '../schema/compiled.js';
import type { GraphSnapshot } from '../store/graph.js';
import { DEFAULT_MAX_DEPTH, DISPATCH_CHUNK_SIZE, MAX_SUPPORTED_DEPTH } from './dispatcher.js';
import type { Dispatcher, DispatchEnv, DispatchMeta } from './dispatcher.js';
import { expandLocal } from './local/expand.js';
import type { ExpandNode } from './local/expand.js';
import { walkLookupResources } from './local/lookup-resources.js';
import { chunk, definitionOf, relationOf } from './local/schema-access.js';
import type { WalkBudget } from './walk-budget.js';

export type { ExpandNode } from './local/expand.js';

export interface EngineContext {
  readonly schema: CompiledSchema;
  readonly graph: GraphSnapshot;
  /** Dispatch hops allowed; default 50. */
  readonly maxDepth?: number;
  /** The request's dispatch cap and deadline, shared by every walk of the request; none: unbounded. */
  readonly budget?: WalkBudget | undefined;
}

export interface CheckItem {
  readonly resource: ObjectRef;
  readonly permission: string;
  readonly subject: SubjectRef;
}

/** One answer of checkMany: a decision, or the error that item alone ran into. */
export type CheckOutcome = { readonly allowed: boolean; readonly error?: undefined } | { readonly allowed?: undefined; readonly error: AuthzError };

export interface LookupResourcesOptions {
  /** At most this many ids in the page. */
  readonly limit?: number;
  /** The cursor of the previous page. */
  readonly cursor?: string;
}

export interface LookupResourcesPage {
  /** Sorted, without duplicates. */
  readonly resourceIds: string[];
  /** Set when more ids may follow; pass it back to get them. */
  readonly cursor?: string;
}

export interface LookupSubjectResult {
  /** A subject id, or `*` for the wildcard. */
  readonly subjectId: string;
  /** For the wildcard: the ids it does not cover (`viewer - banned` with `viewer: user:*`). */
  readonly excludedSubjectIds: string[];
}

export interface CheckOptions {
  /**
   * Refuse a subject whose type or relation the schema lacks (default true, as SpiceDB's API does).
   * `zed validate` checks assertions without this (pkg/development dispatches the check directly):
   * such a subject is simply never found.
   */
  readonly validateSubject?: boolean;
}

export class Engine {
  constructor(private readonly dispatcher: Dispatcher) {}

  check(ctx: EngineContext, resource: ObjectRef, permission: string, subject: SubjectRef, options: CheckOptions = {}): boolean {
    const def = definitionOf(ctx.schema, resource.type);
    const rel = def.relations.get(permission) ?? relationOf(ctx.schema, resource.type, permission);
    const s = options.validateSubject === false ? (rejectWildcard(subject), subject) : canonicalSubject(ctx.schema, subject);
    // No closure here (guardStack's job is inlined): this is the hot path of a warm cache. The names
    // are the schema's own strings, so the cache compares them by identity.
    try {
      const r = this.dispatcher.dispatchCheck(
        { resourceType: def.name, resourceIds: [resource.id], relation: rel.name, subject: s, results: 'any', meta: meta(ctx) },
        env(ctx),
      );
      return r.members.has(resource.id);
    } catch (e) {
      throw stackAsDepth(ctx, e);
    }
  }

  /**
   * Many checks at once: items that share resource type, permission and subject are evaluated as one
   * batched dispatch. An error is reported per item, not for the whole call.
   */
  checkMany(ctx: EngineContext, items: readonly CheckItem[]): CheckOutcome[] {
    const out: CheckOutcome[] = new Array<CheckOutcome>(items.length);
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      try {
        relationOf(ctx.schema, item.resource.type, item.permission);
        validateSubject(ctx.schema, item.subject);
      } catch (e) {
        out[i] = { error: asAuthzError(e) };
        return;
      }
      const s = item.subject;
      const key = `${item.resource.type}#${item.permission}@${s.type}:${s.id}#${s.relation ?? ''}`;
      const list = groups.get(key);
      if (list === undefined) groups.set(key, [i]);
      else list.push(i);
    });
    for (const indexes of groups.values()) {
      const first = items[indexes[0]!]!;
      const ids = [...new Set(indexes.map((i) => items[i]!.resource.id))];
      try {
        const members = new Set<string>();
        guardStack(ctx, () => {
          for (const part of chunk(ids, DISPATCH_CHUNK_SIZE)) {
            const r = this.dispatcher.dispatchCheck(
              { resourceType: first.resource.type, resourceIds: part, relation: first.permission, subject: first.subject, results: 'all', meta: meta(ctx) },
              env(ctx),
            );
            for (const id of r.members) members.add(id);
          }
        });
        for (const i of indexes) out[i] = { allowed: members.has(items[i]!.resource.id) };
      } catch (e) {
        asAuthzError(e);
        // The request's dispatch cap or deadline is no item's fault: it fails the whole call.
        if (e === ctx.budget?.failure) throw e;
        // The batch failed as a whole: ask each item alone, so only the items at fault carry the error.
        for (const i of indexes) {
          try {
            out[i] = { allowed: this.check(ctx, items[i]!.resource, items[i]!.permission, items[i]!.subject) };
          } catch (err) {
            if (err === ctx.budget?.failure) throw err;
            out[i] = { error: asAuthzError(err) };
          }
        }
      }
    }
    return out;
  }

  /** The userset tree of `resource#permission`, expanded `maxDepth` hops deep (default: ctx.maxDepth). */
  expand(ctx: EngineContext, resource: ObjectRef, permission: string, maxDepth?: number): ExpandNode {
    relationOf(ctx.schema, resource.type, permission);
    const depth = maxDepth ?? ctx.maxDepth ?? DEFAULT_MAX_DEPTH;
    validateDepth(depth);
    return guardStack(ctx, () => expandLocal(env(ctx), resource, permission, depth));
  }

  lookupResources(
    ctx: EngineContext,
    resourceType: string,
    permission: string,
    subject: SubjectRef,
    options: LookupResourcesOptions = {},
  ): LookupResourcesPage {
    relationOf(ctx.schema, resourceType, permission);
    validateSubject(ctx.schema, subject);
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new InvalidArgumentError(`invalid limit ${limit}: expected a positive integer`);
    }
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const all = guardStack(ctx, () => walkLookupResources({ resourceType, permission, subject, meta: meta(ctx) }, env(ctx), this.dispatcher));
    let ids = [...all].sort();
    if (after !== undefined) ids = ids.filter((id) => compareIds(id, after) > 0);
    if (limit === undefined || ids.length <= limit) return { resourceIds: ids };
    const page = ids.slice(0, limit);
    return { resourceIds: page, cursor: encodeCursor(page[page.length - 1]!) };
  }

  lookupSubjects(ctx: EngineContext, resource: ObjectRef, permission: string, subjectType: string, subjectRelation?: string): LookupSubjectResult[] {
    relationOf(ctx.schema, resource.type, permission);
    if (subjectRelation === undefined) definitionOf(ctx.schema, subjectType);
    else relationOf(ctx.schema, subjectType, subjectRelation);
    const r = guardStack(ctx, () =>
      this.dispatcher.dispatchLookupSubjects(
        { resourceType: resource.type, resourceIds: [resource.id], relation: permission, subjectType, subjectRelation, meta: meta(ctx) },
        env(ctx),
      ),
    );
    const set = r.byResource.get(resource.id);
    if (set === undefined) return [];
    const out: LookupSubjectResult[] = [];
    if (set.wildcard !== undefined) out.push({ subjectId: WILDCARD, excludedSubjectIds: [...set.wildcard].sort() });
    for (const id of [...set.concrete].sort()) out.push({ subjectId: id, excludedSubjectIds: [] });
    return out;
  }
}

function meta(ctx: EngineContext): DispatchMeta {
  const maxDepth = ctx.maxDepth ?? DEFAULT_MAX_DEPTH;
  validateDepth(maxDepth);
  return { revision: ctx.graph.revision, schemaHash: ctx.schema.hash, depthRemaining: maxDepth, maxDepth };
}

function validateDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_SUPPORTED_DEPTH) {
    throw new InvalidArgumentError(`invalid max depth ${depth}: expected an integer from 1 to ${MAX_SUPPORTED_DEPTH}`);
  }
}

/**
 * The walk recurses once per dispatch hop, so the JavaScript stack bounds the depth (about 600 hops
 * in a test worker). MAX_SUPPORTED_DEPTH stays well below; should the stack still run out (a deep
 * caller), the answer is the same error as running out of depth, never a crash or a silent no.
 */
function guardStack<T>(ctx: EngineContext, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw stackAsDepth(ctx, e);
  }
}

function stackAsDepth(ctx: EngineContext, e: unknown): unknown {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new MaxDepthExceededError(ctx.maxDepth ?? DEFAULT_MAX_DEPTH, 'the call stack ran out first');
  }
  return e;
}

function env(ctx: EngineContext): DispatchEnv {
  return { schema: ctx.schema, graph: ctx.graph, budget: ctx.budget };
}

function validateSubject(schema: CompiledSchema, subject: SubjectRef): void {
  rejectWildcard(subject);
  if (subject.relation === undefined) definitionOf(schema, subject.type);
  else relationOf(schema, subject.type, subject.relation);
}

/** The subject validated, with its type and relation names taken from the schema. */
function canonicalSubject(schema: CompiledSchema, subject: SubjectRef): SubjectRef {
  rejectWildcard(subject);
  if (subject.relation === undefined) {
    return { type: definitionOf(schema, subject.type).name, id: subject.id };
  }
  const def = definitionOf(schema, subject.type);
  const rel = relationOf(schema, subject.type, subject.relation);
  return { type: def.name, id: subject.id, relation: rel.name };
}

function rejectWildcard(subject: SubjectRef): void {
  // SpiceDB refuses these too ("cannot perform check on wildcard subject").
  if (subject.id === WILDCARD) throw new InvalidArgumentError('a wildcard cannot be the subject of a check or lookup', 'WILDCARD_NOT_ALLOWED');
}

function asAuthzError(e: unknown): AuthzError {
  if (e instanceof AuthzError) return e;
  throw e;
}

/**
 * Code-unit order, the same everywhere (localeCompare is not). Array#sort() with no comparator sorts
 * strings in this same order and is ~30 % faster on large answers, so sorts use it; this is for filters.
 */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeCursor(lastId: string): string {
  return Buffer.from(`lr1:${lastId}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('lr1:') || text.length === 4) throw new InvalidArgumentError(`invalid lookup cursor \`${cursor}\``, 'CURSOR_INVALID');
  return text.slice(4);
}
