/**
 * LookupResources by walking backwards from the subject over reverse edges
 * (GraphSnapshot.resources), guided by the reachability plan: it never enumerates the objects of the
 * resource type. Whatever is reached through an intersection, an exclusion or `.all()` is confirmed
 * with a batched Check through the dispatcher ring before the walk goes on from it, so every node's
 * found set stays exact and the result is exactly the resources for which Check is true.
 *
 * Depth and cycles follow SpiceDB, which re-dispatches what it finds without remembering it: a path
 * longer than the max depth, or a cycle in the part of the graph the walk must cover, is a
 * MaxDepthExceededError (SpiceDB's LookupResources hits cycles that Check may short-circuit past,
 * authzed/spicedb#2056). The walk is a depth-first search that knows its current path, so it finds a
 * cycle at once instead of going round it fifty times, and skips objects it already finished
 * (diamonds are not cycles).
 */
import { MaxDepthExceededError } from '../../core/errors.js';
import { formatSubjectRef, WILDCARD } from '../../core/refs.js';
import type { SubjectRef } from '../../core/refs.js';
import { DISPATCH_CHUNK_SIZE } from '../dispatcher.js';
import type { Dispatcher, DispatchEnv, DispatchMeta } from '../dispatcher.js';
import { nodeKey, reachabilityPlan } from './reachability.js';
import type { Dependent, ReachabilityPlan } from './reachability.js';
import { chunk } from './schema-access.js';

export interface LookupResourcesInput {
  readonly resourceType: string;
  readonly permission: string;
  readonly subject: SubjectRef;
  readonly meta: DispatchMeta;
}

/** All ids of `resourceType` on which `subject` has `permission`, unsorted. */
export function walkLookupResources(input: LookupResourcesInput, env: DispatchEnv, dispatcher: Dispatcher): ReadonlySet<string> {
  const plan = reachabilityPlan(env.schema, input.resourceType, input.permission);
  const walk = new ReverseWalk(input, env, dispatcher, plan);
  walk.run();
  return walk.found(nodeKey(input.resourceType, input.permission));
}

class ReverseWalk {
  private readonly foundByNode = new Map<string, Set<string>>();
  private readonly rejectedByNode = new Map<string, Set<string>>();
  private readonly onPath = new Set<string>();
  private readonly maxDepth: number;

  constructor(
    private readonly input: LookupResourcesInput,
    private readonly env: DispatchEnv,
    private readonly dispatcher: Dispatcher,
    private readonly plan: ReachabilityPlan,
  ) {
    this.maxDepth = input.meta.depthRemaining;
  }

  found(node: string): ReadonlySet<string> {
    return this.foundByNode.get(node) ?? new Set();
  }

  run(): void {
    const s = this.input.subject;
    const { schema, graph } = this.env;
    // The subject itself: `team:x#member` is in team:x#member.
    if (s.relation !== undefined && this.plan.relevant.has(nodeKey(s.type, s.relation))) {
      this.visit(nodeKey(s.type, s.relation), s.id, 0);
    }
    // Direct grants: relations that name the subject, or its wildcard.
    for (const [type, def] of schema.definitions) {
      for (const rel of def.relations.values()) {
        if (rel.kind !== 'relation') continue;
        const key = nodeKey(type, rel.name);
        if (!this.plan.relevant.has(key)) continue;
        for (const a of rel.allowed) {
          if (a.type !== s.type) continue;
          let probe: SubjectRef | undefined;
          if (a.wildcard) probe = s.relation === undefined ? { type: s.type, id: WILDCARD } : undefined;
          else if (a.relation === s.relation) probe = s;
          if (probe === undefined) continue;
          for (const id of graph.resources(type, rel.name, probe)) this.visit(key, id, 1);
        }
      }
    }
  }

  private visit(node: string, id: string, depth: number): void {
    let found = this.foundByNode.get(node);
    if (found === undefined) this.foundByNode.set(node, (found = new Set()));
    const pathKey = `${node}:${id}`;
    if (found.has(id)) {
      if (this.onPath.has(pathKey)) throw new MaxDepthExceededError(this.maxDepth, `${node} (cycle at ${id})`);
      return;
    }
    found.add(id);
    if (depth > this.maxDepth) throw new MaxDepthExceededError(this.maxDepth, `${node} reached from ${formatSubjectRef(this.input.subject)}`);
    const dependents = this.plan.dependents.get(node);
    if (dependents === undefined) return;
    // Each object the walk goes on from is a step of work, capped like a dispatch.
    this.env.budget?.dispatch();
    this.onPath.add(pathKey);
    const [type] = splitNode(node);
    for (const dep of dependents) this.follow(dep, type, id, node, depth + 1);
    this.onPath.delete(pathKey);
  }

  private follow(dep: Dependent, type: string, id: string, node: string, depth: number): void {
    const { graph } = this.env;
    switch (dep.kind) {
      case 'userset': {
        const relation = node.slice(type.length + 1);
        const subject: SubjectRef = { type, id, relation };
        for (const rid of graph.resources(dep.resourceType, dep.relation, subject)) this.visit(nodeKey(dep.resourceType, dep.relation), rid, depth);
        return;
      }
      case 'computed':
        this.reach(dep.resourceType, dep.permission, [id], dep.exact, depth);
        return;
      case 'arrow': {
        const ids = new Set<string>();
        for (const relation of dep.subjectRelations) {
          const subject: SubjectRef = relation === undefined ? { type, id } : { type, id, relation };
          for (const rid of graph.resources(dep.resourceType, dep.tupleset, subject)) ids.add(rid);
        }
        this.reach(dep.resourceType, dep.permission, [...ids], dep.exact, depth);
        return;
      }
    }
  }

  /** Marks ids as members of `type#permission`, confirming them with Check first when inexact. */
  private reach(type: string, permission: string, ids: readonly string[], exact: boolean, depth: number): void {
    const node = nodeKey(type, permission);
    if (exact) {
      for (const rid of ids) this.visit(node, rid, depth);
      return;
    }
    const found = this.foundByNode.get(node);
    let rejected = this.rejectedByNode.get(node);
    if (rejected === undefined) this.rejectedByNode.set(node, (rejected = new Set()));
    const candidates = ids.filter((rid) => !rejected.has(rid));
    const unknown = candidates.filter((rid) => !(found?.has(rid) ?? false));
    const confirmed = new Set<string>(candidates.filter((rid) => found?.has(rid) ?? false));
    for (const part of chunk(unknown, DISPATCH_CHUNK_SIZE)) {
      const r = this.dispatcher.dispatchCheck(
        { resourceType: type, resourceIds: part, relation: permission, subject: this.input.subject, results: 'all', meta: this.input.meta },
        this.env,
      );
      for (const rid of part) {
        if (r.members.has(rid)) confirmed.add(rid);
        else rejected.add(rid);
      }
    }
    // Already-found ones go through visit too, so that a cycle back onto the path is still seen.
    for (const rid of confirmed) this.visit(node, rid, depth);
  }
}

function splitNode(node: string): [string, string] {
  const hash = node.indexOf('#');
  return [node.slice(0, hash), node.slice(hash + 1)];
}
