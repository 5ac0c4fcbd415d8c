/**
 * Which relations and arrows can lead to a permission: the schema-level analysis behind
 * LookupResources (SpiceDB's "reachability graph" / entrypoints in pkg/schema). For a target
 * `type#permission` it keeps only the nodes the target can use, and for each node the dependents to
 * walk to once an object is known to be in it.
 *
 * Edges are exact for unions, relations and `->` arrows. Under an intersection only the first child
 * is followed (every member of `a & b` is in `a`), under an exclusion only the base, and `.all()` is
 * followed like `->`; what is found through them is a candidate to be confirmed with Check.
 */
import type { AllowedSubject, CompiledSchema, RewriteExpr } from '../../schema/compiled.js';
import { hasRelation } from './schema-access.js';

export type Dependent =
  /** `resourceType#relation` allows the node as a subject relation: follow reverse edges of that userset. */
  | { readonly kind: 'userset'; readonly resourceType: string; readonly relation: string }
  /** A permission of the same object uses the node as a computed userset. */
  | { readonly kind: 'computed'; readonly resourceType: string; readonly permission: string; readonly exact: boolean }
  /** `resourceType#permission` has an arrow over `tupleset` whose computed relation is the node. */
  | {
      readonly kind: 'arrow';
      readonly resourceType: string;
      readonly permission: string;
      readonly tupleset: string;
      /** The subject relations the tupleset allows for the node's type (undefined = plain object). */
      readonly subjectRelations: readonly (string | undefined)[];
      readonly exact: boolean;
    };

export interface ReachabilityPlan {
  /** `type#relation` keys of every node the target can use, the target included. */
  readonly relevant: ReadonlySet<string>;
  /** Dependents by `type#relation` of the node they depend on, restricted to relevant ones. */
  readonly dependents: ReadonlyMap<string, readonly Dependent[]>;
}

export function nodeKey(type: string, relation: string): string {
  return `${type}#${relation}`;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly dependent: Dependent;
}

const plans = new WeakMap<CompiledSchema, Map<string, ReachabilityPlan>>();

export function reachabilityPlan(schema: CompiledSchema, type: string, relation: string): ReachabilityPlan {
  let byTarget = plans.get(schema);
  if (byTarget === undefined) plans.set(schema, (byTarget = new Map()));
  const key = nodeKey(type, relation);
  let plan = byTarget.get(key);
  if (plan === undefined) byTarget.set(key, (plan = buildPlan(schema, key)));
  return plan;
}

function buildPlan(schema: CompiledSchema, target: string): ReachabilityPlan {
  const edges = allEdges(schema);
  // `to` uses `from`: walk from the target towards what it uses.
  const uses = new Map<string, string[]>();
  for (const e of edges) {
    const list = uses.get(e.to);
    if (list === undefined) uses.set(e.to, [e.from]);
    else list.push(e.from);
  }
  const relevant = new Set<string>([target]);
  const queue = [target];
  while (queue.length > 0) {
    const node = queue.pop()!;
    for (const from of uses.get(node) ?? []) {
      if (!relevant.has(from)) {
        relevant.add(from);
        queue.push(from);
      }
    }
  }
  const dependents = new Map<string, Dependent[]>();
  for (const e of edges) {
    if (!relevant.has(e.to) || !relevant.has(e.from)) continue;
    const list = dependents.get(e.from);
    if (list === undefined) dependents.set(e.from, [e.dependent]);
    else list.push(e.dependent);
  }
  return { relevant, dependents };
}

const edgeCache = new WeakMap<CompiledSchema, readonly Edge[]>();

function allEdges(schema: CompiledSchema): readonly Edge[] {
  const cached = edgeCache.get(schema);
  if (cached !== undefined) return cached;
  const edges: Edge[] = [];
  for (const [type, def] of schema.definitions) {
    for (const rel of def.relations.values()) {
      if (rel.kind === 'relation') {
        for (const a of rel.allowed) {
          if (a.relation === undefined || a.wildcard) continue;
          edges.push({
            from: nodeKey(a.type, a.relation),
            to: nodeKey(type, rel.name),
            dependent: { kind: 'userset', resourceType: type, relation: rel.name },
          });
        }
      } else {
        collect(schema, type, rel.name, rel.rewrite, true, edges);
      }
    }
  }
  edgeCache.set(schema, edges);
  return edges;
}

function collect(schema: CompiledSchema, type: string, permission: string, expr: RewriteExpr, exact: boolean, edges: Edge[]): void {
  const to = nodeKey(type, permission);
  switch (expr.kind) {
    case 'nil':
      return;
    case 'computed':
      edges.push({ from: nodeKey(type, expr.relation), to, dependent: { kind: 'computed', resourceType: type, permission, exact } });
      return;
    case 'arrow': {
      const tupleset = schema.definitions.get(type)?.relations.get(expr.tupleset);
      if (tupleset === undefined || tupleset.kind !== 'relation') return;
      for (const [subjectType, subjectRelations] of groupByType(tupleset.allowed)) {
        if (!hasRelation(schema, subjectType, expr.computed)) continue;
        edges.push({
          from: nodeKey(subjectType, expr.computed),
          to,
          dependent: {
            kind: 'arrow',
            resourceType: type,
            permission,
            tupleset: expr.tupleset,
            subjectRelations,
            exact: exact && expr.mode === 'any',
          },
        });
      }
      return;
    }
    case 'union':
      for (const child of expr.children) collect(schema, type, permission, child, exact, edges);
      return;
    case 'intersection':
      if (expr.children.length > 0) collect(schema, type, permission, expr.children[0]!, false, edges);
      return;
    case 'exclusion':
      collect(schema, type, permission, expr.base, false, edges);
      return;
  }
}

function groupByType(allowed: readonly AllowedSubject[]): Map<string, (string | undefined)[]> {
  const out = new Map<string, (string | undefined)[]>();
  for (const a of allowed) {
    if (a.wildcard) continue;
    const list = out.get(a.type) ?? [];
    if (!list.includes(a.relation)) list.push(a.relation);
    out.set(a.type, list);
  }
  return out;
}
