/**
 * The parse tree of a schema file. Binary operators stay binary here (as written, with SpiceDB's
 * precedence); the compiler flattens unions and intersections into the IR. Every node keeps the
 * position of the token a diagnostic about it should point to.
 */

export interface Pos {
  readonly line: number;
  readonly column: number;
}

export interface SchemaFile {
  readonly definitions: readonly DefinitionNode[];
}

export interface DefinitionNode {
  readonly kind: 'definition';
  readonly name: string;
  /** The `definition` keyword. */
  readonly pos: Pos;
  readonly namePos: Pos;
  readonly comment?: string;
  readonly members: readonly MemberNode[];
}

export type MemberNode = RelationNode | PermissionNode;

export interface RelationNode {
  readonly kind: 'relation';
  readonly name: string;
  /** The `relation` keyword. */
  readonly pos: Pos;
  readonly namePos: Pos;
  readonly comment?: string;
  readonly types: readonly TypeRefNode[];
  /** Set when a syntax error cut the statement short: the name exists, the rest is unknown. */
  readonly incomplete?: boolean;
}

/** One allowed subject type: `user`, `team#member`, `team#...` (no relation) or `user:*`. */
export interface TypeRefNode {
  readonly type: string;
  readonly pos: Pos;
  readonly relation?: string;
  readonly relationPos?: Pos;
  readonly wildcard: boolean;
  /** Had `with caveat` / `with expiration` (already reported as not supported). */
  readonly hasTraits?: boolean;
}

export interface PermissionNode {
  readonly kind: 'permission';
  readonly name: string;
  /** The `permission` keyword. */
  readonly pos: Pos;
  readonly namePos: Pos;
  readonly comment?: string;
  readonly expr: ExprNode;
  /** Set when a syntax error cut the statement short (`expr` is then `nil`). */
  readonly incomplete?: boolean;
}

export type ExprNode =
  | { readonly kind: 'nil'; readonly pos: Pos }
  | { readonly kind: 'ref'; readonly name: string; readonly pos: Pos }
  | {
      readonly kind: 'arrow';
      readonly tupleset: string;
      readonly computed: string;
      /** `->` and `.any(x)` are `any`; `.all(x)` is `all`. */
      readonly mode: 'any' | 'all';
      readonly pos: Pos;
      readonly computedPos: Pos;
    }
  | {
      readonly kind: 'union' | 'intersection' | 'exclusion';
      readonly left: ExprNode;
      readonly right: ExprNode;
      /** The operator token. */
      readonly pos: Pos;
    };

/**
 * A fully parenthesised rendering of an expression, e.g. `((a + b) & c)`: what tests compare to
 * check precedence and associativity without caring about positions.
 */
export function formatExprTree(e: ExprNode): string {
  switch (e.kind) {
    case 'nil':
      return 'nil';
    case 'ref':
      return e.name;
    case 'arrow':
      return e.mode === 'any' ? `${e.tupleset}->${e.computed}` : `${e.tupleset}.all(${e.computed})`;
    case 'union':
      return `(${formatExprTree(e.left)} + ${formatExprTree(e.right)})`;
    case 'intersection':
      return `(${formatExprTree(e.left)} & ${formatExprTree(e.right)})`;
    case 'exclusion':
      return `(${formatExprTree(e.left)} - ${formatExprTree(e.right)})`;
  }
}
