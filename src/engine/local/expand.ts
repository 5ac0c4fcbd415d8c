/**
 * Expand: the userset tree of `resource#relation`, as SpiceDB's Expand returns it. Operator nodes
 * mirror the rewrite; a computed userset becomes the tree of that relation on the same object; an
 * arrow lists one subtree per object of its tupleset; a relation is a leaf of its direct subjects
 * (objects, usersets such as `team:x#member`, wildcards), whose usersets are expanded in turn.
 *
 * Each hop to another relation or object takes one from `depth`; where none is left the branch is a
 * `truncated` node, so a cycle in the data ends in a visible cut rather than an error: the caller
 * chose how deep to look. Trees are built without the cache; they are for people, not the hot path.
 */
import { WILDCARD, formatSubjectRef } from '../../core/refs.js';
import type { ObjectRef, SubjectRef } from '../../core/refs.js';
import type { RewriteExpr } from '../../schema/compiled.js';
import type { DispatchEnv } from '../dispatcher.js';
import { hasRelation, relationOf } from './schema-access.js';

interface NodeBase {
  /** The object and relation (or permission) this node is part of. */
  readonly resource: ObjectRef;
  readonly relation: string;
}

export type ExpandNode =
  /** A relation's direct subjects; `children` expands each userset subject (same order as `subjects`). */
  | (NodeBase & { readonly kind: 'leaf'; readonly subjects: readonly SubjectRef[]; readonly children: readonly ExpandNode[] })
  | (NodeBase & { readonly kind: 'union' | 'intersection'; readonly children: readonly ExpandNode[] })
  /** `children[0]` minus `children[1]`. */
  | (NodeBase & { readonly kind: 'exclusion'; readonly children: readonly [ExpandNode, ExpandNode] })
  | (NodeBase & {
      readonly kind: 'arrow';
      readonly tupleset: string;
      readonly computed: string;
      readonly mode: 'any' | 'all';
      /** One subtree per tupleset object; an empty leaf for an object whose type lacks the computed relation. */
      readonly children: readonly ExpandNode[];
    })
  | (NodeBase & { readonly kind: 'nil' })
  /** Not expanded: the depth asked for ran out here. */
  | (NodeBase & { readonly kind: 'truncated' });

export function expandLocal(env: DispatchEnv, resource: ObjectRef, relation: string, depth: number): ExpandNode {
  if (depth <= 0) return { kind: 'truncated', resource, relation };
  env.budget?.dispatch();
  const rel = relationOf(env.schema, resource.type, relation);
  if (rel.kind === 'permission') return expandRewrite(env, resource, relation, rel.rewrite, depth);
  const subjects = [...env.graph.subjects(resource.type, resource.id, relation)].sort(compareSubjects);
  const children: ExpandNode[] = [];
  for (const s of subjects) {
    if (s.relation !== undefined && s.id !== WILDCARD) children.push(expandLocal(env, { type: s.type, id: s.id }, s.relation, depth - 1));
  }
  return { kind: 'leaf', resource, relation, subjects, children };
}

function expandRewrite(env: DispatchEnv, resource: ObjectRef, relation: string, expr: RewriteExpr, depth: number): ExpandNode {
  switch (expr.kind) {
    case 'nil':
      return { kind: 'nil', resource, relation };
    case 'computed':
      return expandLocal(env, resource, expr.relation, depth - 1);
    case 'arrow': {
      const children: ExpandNode[] = [];
      const targets = [...env.graph.subjects(resource.type, resource.id, expr.tupleset)].sort(compareSubjects);
      for (const t of targets) {
        if (t.id === WILDCARD) continue;
        // As SpiceDB's expandComputedUserset: an object whose type lacks the relation still gets a
        // (empty) subtree, which is what makes it fail every subject under `.all()`.
        if (!hasRelation(env.schema, t.type, expr.computed)) children.push({ kind: 'leaf', resource, relation, subjects: [], children: [] });
        else children.push(expandLocal(env, { type: t.type, id: t.id }, expr.computed, depth - 1));
      }
      return { kind: 'arrow', resource, relation, tupleset: expr.tupleset, computed: expr.computed, mode: expr.mode, children };
    }
    case 'union':
    case 'intersection':
      return { kind: expr.kind, resource, relation, children: expr.children.map((c) => expandRewrite(env, resource, relation, c, depth)) };
    case 'exclusion':
      return {
        kind: 'exclusion',
        resource,
        relation,
        children: [expandRewrite(env, resource, relation, expr.base, depth), expandRewrite(env, resource, relation, expr.subtract, depth)],
      };
  }
}

function compareSubjects(a: SubjectRef, b: SubjectRef): number {
  const x = formatSubjectRef(a);
  const y = formatSubjectRef(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
