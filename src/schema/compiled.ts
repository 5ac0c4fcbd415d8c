/**
 * The compiled schema: what the engine, the store and the services read. Produced by the compiler from
 * the parsed AST once type checking has passed, so every name in it resolves. Immutable once built.
 */

/** A userset rewrite: how a permission is computed from relations and other permissions. */
export type RewriteExpr =
  | { readonly kind: 'nil' }
  /** Another relation or permission on the same object (`viewer`). */
  | { readonly kind: 'computed'; readonly relation: string }
  /**
   * `tupleset->computed` (mode `any`) or `tupleset.all(computed)` (mode `all`): follow the objects of
   * relation `tupleset` and evaluate `computed` on each; `any` is a union over them, `all` an intersection.
   */
  | { readonly kind: 'arrow'; readonly tupleset: string; readonly computed: string; readonly mode: 'any' | 'all' }
  | { readonly kind: 'union'; readonly children: readonly RewriteExpr[] }
  | { readonly kind: 'intersection'; readonly children: readonly RewriteExpr[] }
  /** `base - subtract`: binary and left-associative, as in SpiceDB. */
  | { readonly kind: 'exclusion'; readonly base: RewriteExpr; readonly subtract: RewriteExpr };

/** One allowed subject type of a relation: `user`, `team#member` or `user:*`. */
export interface AllowedSubject {
  readonly type: string;
  /** Set for a subject relation (`team#member`). */
  readonly relation?: string;
  /** True for a wildcard (`user:*`). */
  readonly wildcard?: boolean;
}

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export interface RelationDef {
  readonly kind: 'relation';
  readonly name: string;
  readonly allowed: readonly AllowedSubject[];
  /** Doc comment text as written (`/** ... *\/` or `// ...` lines directly above), if any. */
  readonly comment?: string;
  readonly position?: SourcePosition;
}

export interface PermissionDef {
  readonly kind: 'permission';
  readonly name: string;
  readonly rewrite: RewriteExpr;
  readonly comment?: string;
  readonly position?: SourcePosition;
}

export type RelationOrPermission = RelationDef | PermissionDef;

export interface Definition {
  readonly name: string;
  /** Relations and permissions by name. */
  readonly relations: ReadonlyMap<string, RelationOrPermission>;
  /** Names in source order, for printing. */
  readonly order: readonly string[];
  readonly comment?: string;
  readonly position?: SourcePosition;
}

export interface CompiledSchema {
  /** Definitions by type name, in source order. */
  readonly definitions: ReadonlyMap<string, Definition>;
  /** A stable hash of the canonical printed form: equal schemas hash equal whatever their formatting. */
  readonly hash: string;
}
