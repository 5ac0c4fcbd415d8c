/**
 * The operations of Warden, as both transports see them. Requests use the wire forms (objects as
 * `type:id`, subjects as `type:id[#relation]`, relationships as `res:id#rel@subj:id[#rel]`), so gRPC and
 * HTTP share one validation: every service parses and checks its input and throws typed errors from
 * core/errors.ts. The adapters in api/ only translate field names and stream pages.
 */

/** How fresh a read must be. Absent means `minimizeLatency`. */
export type Consistency =
  | { readonly minimizeLatency: true }
  | { readonly atLeastAsFresh: string }
  | { readonly atExactSnapshot: string }
  | { readonly fullyConsistent: true };

export interface CheckRequest {
  resource: string;
  permission: string;
  subject: string;
  consistency?: Consistency;
}
export interface CheckResponse {
  allowed: boolean;
  zookie: string;
}

export interface CheckBulkRequest {
  items: readonly { resource: string; permission: string; subject: string }[];
  consistency?: Consistency;
}
/** One answer per item, in order; a bad item gets an error and does not fail the others. */
export type CheckBulkItemResult =
  | { allowed: boolean; error?: undefined }
  | { allowed?: undefined; error: { code: string; reason: string; message: string } };
export interface CheckBulkResponse {
  results: CheckBulkItemResult[];
  zookie: string;
}

export interface ExpandRequest {
  resource: string;
  permission: string;
  /** How many levels of usersets to expand below the root (default and cap: the server's max depth). */
  maxDepth?: number;
  consistency?: Consistency;
}
/** A userset tree in wire form. */
export interface ExpandTree {
  /** `union`, `intersection`, `exclusion` (first child minus the rest) or `leaf`. */
  kind: 'union' | 'intersection' | 'exclusion' | 'leaf';
  /** The `type:id#relation` this node computes. */
  object: string;
  /** For leaves: the direct subjects (`type:id`, `type:id#rel`, `type:*`). */
  subjects?: string[];
  children?: ExpandTree[];
  /** True where maxDepth stopped the expansion below this node. */
  truncated?: boolean;
}
export interface ExpandResponse {
  tree: ExpandTree;
  zookie: string;
}

export interface LookupResourcesRequest {
  resourceType: string;
  permission: string;
  subject: string;
  consistency?: Consistency;
  /** Page size; default and cap from the server's limits. */
  limit?: number;
  /** The cursor from the previous page; it pins the revision, so pages are one consistent answer. */
  cursor?: string;
}
export interface LookupResourcesResponse {
  /** Resource ids (without the type), sorted. */
  resources: string[];
  /** Present when more pages follow. */
  cursor?: string;
  zookie: string;
}

export interface LookupSubjectsRequest {
  resource: string;
  permission: string;
  /** `user` or `team#member`. */
  subjectType: string;
  consistency?: Consistency;
  limit?: number;
  cursor?: string;
}
export interface LookedUpSubject {
  /** The subject id, or `*` for "every subject of the type". */
  id: string;
  /** With `*`: the ids excluded from the wildcard. */
  excluded?: string[];
}
export interface LookupSubjectsResponse {
  subjects: LookedUpSubject[];
  cursor?: string;
  zookie: string;
}

/** A relationship filter in wire form; `subject` is `type`, `type:id`, `type:id#rel` or `type#rel`. */
export interface FilterInput {
  resourceType?: string;
  resourceId?: string;
  resourceIdPrefix?: string;
  relation?: string;
  subject?: string;
}

export interface PreconditionInput {
  operation: 'must_match' | 'must_not_match';
  filter: FilterInput;
}

export interface WriteRelationshipsRequest {
  updates: readonly { operation: 'touch' | 'create' | 'delete'; relationship: string }[];
  preconditions?: readonly PreconditionInput[];
}
export interface WriteRelationshipsResponse {
  zookie: string;
}

export interface DeleteRelationshipsRequest {
  filter: FilterInput;
  limit?: number;
  preconditions?: readonly PreconditionInput[];
}
export interface DeleteRelationshipsResponse {
  zookie: string;
  deleted: number;
  /** True when `limit` stopped the delete and more relationships still match. */
  partial: boolean;
}

export interface ReadRelationshipsRequest {
  filter: FilterInput;
  consistency?: Consistency;
  limit?: number;
  cursor?: string;
}
export interface ReadRelationshipsResponse {
  relationships: string[];
  cursor?: string;
  zookie: string;
}

export interface ImportResponse {
  /** Relationships received (touches are idempotent, so re-importing counts again but changes nothing). */
  count: number;
  zookie: string;
}

export interface ExportRequest {
  consistency?: Consistency;
  filter?: FilterInput;
  limit?: number;
  cursor?: string;
}

export interface WatchRequest {
  /** Deliver changes committed after this zookie; absent means "from now". */
  afterZookie?: string;
  /** Heartbeat period in milliseconds (default 10 s). */
  heartbeatMs?: number;
}
export type WatchEvent =
  | {
      type: 'changes';
      zookie: string;
      changes: { operation: 'touch' | 'delete'; relationship: string }[];
      schemaChanged?: boolean;
    }
  | { type: 'heartbeat'; zookie: string };

export interface WriteSchemaRequest {
  schema: string;
}
export interface WriteSchemaResponse {
  zookie: string;
}
export interface ReadSchemaRequest {
  consistency?: Consistency;
}
export interface ReadSchemaResponse {
  schema: string;
  zookie: string;
}

/** Server-side limits; every one has a clear RESOURCE_EXHAUSTED / INVALID_ARGUMENT error past it. */
export interface Limits {
  /** Updates in one WriteRelationships call. */
  maxUpdatesPerWrite: number;
  /** Items in one CheckBulk call. */
  maxCheckBulkItems: number;
  /** Largest page a caller may ask for (lookups, reads, export). */
  maxPageSize: number;
  /** Page size when the caller gives none. */
  defaultPageSize: number;
  /** Depth of a graph walk (Check, lookups, Expand). */
  maxDepth: number;
  /** Preconditions in one write. */
  maxPreconditions: number;
  /** Bytes of one request body (HTTP) or message (gRPC). */
  maxRequestBytes: number;
  /** Graph dispatches one call may make (engine/walk-budget.ts); past it, RESOURCE_EXHAUSTED. */
  maxDispatchesPerRequest: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxUpdatesPerWrite: 10_000,
  maxCheckBulkItems: 10_000,
  maxPageSize: 10_000,
  defaultPageSize: 1_000,
  maxDepth: 50,
  maxPreconditions: 100,
  maxRequestBytes: 16 * 1024 * 1024,
  // Far above any sane Check (tens of dispatches); stops a runaway lookup after roughly a second.
  maxDispatchesPerRequest: 100_000,
};

/**
 * What a call carries besides its request, explicitly rather than ambiently, so that the service and
 * the engine can be driven (and tested) without any request scope. Streaming operations take their
 * signal as a parameter of its own.
 */
export interface CallOptions {
  /** Aborted when the caller goes away or its deadline passes: waits for a revision stop on it. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Whether `signal` has fired, for code that needs only that. A scope may make its signal on first
   * read, which costs more than a cached Check on Node 20 (api/request-context.ts). Absent: ask `signal`.
   */
  readonly aborted?: boolean | undefined;
  /**
   * Epoch milliseconds. Graph walks are synchronous and cannot see the signal fire, so they compare
   * the clock with this now and then (engine/walk-budget.ts).
   */
  readonly deadline?: number | undefined;
  /** Where the call's graph dispatches are counted, for metrics and logs. */
  readonly work?: { dispatches: number } | undefined;
}

/**
 * Every operation, transport-neutral. Both adapters (api/grpc, api/http) call exactly this; errors are
 * AuthzError subclasses that api/errors.ts maps to statuses.
 */
export interface WardenService {
  readonly limits: Limits;
  check(req: CheckRequest, call?: CallOptions): Promise<CheckResponse>;
  checkBulk(req: CheckBulkRequest, call?: CallOptions): Promise<CheckBulkResponse>;
  expand(req: ExpandRequest, call?: CallOptions): Promise<ExpandResponse>;
  lookupResources(req: LookupResourcesRequest, call?: CallOptions): Promise<LookupResourcesResponse>;
  lookupSubjects(req: LookupSubjectsRequest, call?: CallOptions): Promise<LookupSubjectsResponse>;
  writeRelationships(req: WriteRelationshipsRequest, call?: CallOptions): Promise<WriteRelationshipsResponse>;
  deleteRelationships(req: DeleteRelationshipsRequest, call?: CallOptions): Promise<DeleteRelationshipsResponse>;
  readRelationships(req: ReadRelationshipsRequest, call?: CallOptions): Promise<ReadRelationshipsResponse>;
  /**
   * Touches every relationship from `lines` (one relationship string each; blank lines and `//` comments
   * skipped), committing in batches; the zookie covers all of them. Safe to run twice. A bad line fails the
   * import with its line number; batches committed before it stay (re-running resumes).
   */
  importRelationships(lines: AsyncIterable<string>, signal?: AbortSignal): Promise<ImportResponse>;
  /** Every relationship at one revision, in pages (each page's cursor resumes after it). */
  exportRelationships(req: ExportRequest, signal?: AbortSignal): AsyncIterable<ReadRelationshipsResponse>;
  /** Changes after the zookie, in revision order, with heartbeats; ends when `signal` aborts. */
  watch(req: WatchRequest, signal: AbortSignal): AsyncIterable<WatchEvent>;
  writeSchema(req: WriteSchemaRequest, call?: CallOptions): Promise<WriteSchemaResponse>;
  readSchema(req: ReadSchemaRequest, call?: CallOptions): Promise<ReadSchemaResponse>;
  /** Liveness: the process answers. */
  health(): { ok: boolean };
  /** Readiness: the store answers and the in-memory index has caught up. */
  ready(): Promise<{ ready: boolean; reason?: string }>;
}
