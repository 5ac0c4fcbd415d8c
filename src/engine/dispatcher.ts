/**
 * The dispatcher ring's contract. A sub-problem is plain data (so that it can be cached, de-duplicated,
 * or one day sent to another replica by consistent hashing of its key); the environment it is read
 * in (schema and graph snapshot) travels beside it and is identified inside the request by
 * `meta.revision` and `meta.schemaHash`, which is what cache keys use.
 *
 * Everything here is synchronous on purpose: the local resolver walks an in-memory index, and a
 * promise per sub-problem would cost more than the sub-problem itself.
 */
import type { SubjectRef } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { CompiledSchema } from '../schema/compiled.js';
import type { GraphSnapshot } from '../store/graph.js';
import type { WalkBudget } from './walk-budget.js';

export interface DispatchMeta {
  readonly revision: Revision;
  readonly schemaHash: string;
  /** Dispatch hops left; a request that arrives with 0 is a MaxDepthExceededError (as in SpiceDB). */
  readonly depthRemaining: number;
  /** The limit the walk started with, only to word the error. */
  readonly maxDepth: number;
}

/** What a request is evaluated against. Not part of any cache key: `meta` identifies it. */
export interface DispatchEnv {
  readonly schema: CompiledSchema;
  readonly graph: GraphSnapshot;
  /** The request's dispatch cap and deadline (walk-budget.ts); the local resolver spends it. */
  readonly budget?: WalkBudget | undefined;
}

/**
 * `any`: the caller only needs to know whether at least one resource id is a member, so evaluation
 * may stop at the first (SpiceDB's ALLOW_SINGLE_RESULT). `all`: the caller needs the exact member set.
 */
export type ResultsSetting = 'any' | 'all';

export interface CheckRequest {
  readonly resourceType: string;
  /** Many ids per request: sub-problems are batched, never one id per dispatch. */
  readonly resourceIds: readonly string[];
  readonly relation: string;
  readonly subject: SubjectRef;
  readonly results: ResultsSetting;
  readonly meta: DispatchMeta;
}

export interface CheckResult {
  /** The requested ids that are members (with `any`, possibly only some of them). */
  readonly members: ReadonlySet<string>;
  /**
   * Dispatch levels this answer needed, counting the request itself. A cached answer may be reused
   * only by a request with at least this much depth left; with less, the walk must run (and fail).
   */
  readonly depthRequired: number;
}

/**
 * A set of subject ids of one type: the concrete ids, plus, when a wildcard applies, the ids it
 * excludes. Membership of `u`: `concrete.has(u) || (wildcard !== undefined && !wildcard.has(u))`.
 * Invariant: no id is both concrete and excluded.
 */
export interface SubjectSet {
  readonly concrete: ReadonlySet<string>;
  /** Present iff the wildcard is in the set; holds the excluded ids. */
  readonly wildcard: ReadonlySet<string> | undefined;
}

export interface LookupSubjectsRequest {
  readonly resourceType: string;
  readonly resourceIds: readonly string[];
  readonly relation: string;
  readonly subjectType: string;
  /** Undefined for plain objects (`...`); set to find usersets such as `team:x#member`. */
  readonly subjectRelation: string | undefined;
  readonly meta: DispatchMeta;
}

export interface LookupSubjectsResult {
  /** Per requested resource id; a missing id has no subjects. */
  readonly byResource: ReadonlyMap<string, SubjectSet>;
  readonly depthRequired: number;
}

export interface Dispatcher {
  dispatchCheck(req: CheckRequest, env: DispatchEnv): CheckResult;
  dispatchLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv): LookupSubjectsResult;
}

/** SpiceDB dispatches at most 100 resource ids per sub-request. */
export const DISPATCH_CHUNK_SIZE = 100;

export const DEFAULT_MAX_DEPTH = 50;

/**
 * The largest max depth accepted. The synchronous walk uses the JavaScript stack, about 1.5 KB per
 * hop; 300 hops keep a wide margin under Node's default stack (SpiceDB's default is 50).
 */
export const MAX_SUPPORTED_DEPTH = 300;

export function childMeta(meta: DispatchMeta): DispatchMeta {
  return { revision: meta.revision, schemaHash: meta.schemaHash, depthRemaining: meta.depthRemaining - 1, maxDepth: meta.maxDepth };
}
