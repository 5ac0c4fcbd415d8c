import { InvalidArgumentError } from '../core/errors.js';
import { formatObjectRef, formatSubjectRef } from '../core/refs.js';
import type { ExpandNode } from '../engine/engine.js';
import { engineContext, type ServiceDeps } from './deps.js';
import { objectField, relationField } from './input.js';
import type { CallOptions, ExpandRequest, ExpandResponse, ExpandTree } from './types.js';

export async function expand(deps: ServiceDeps, req: ExpandRequest, call?: CallOptions): Promise<ExpandResponse> {
  const resource = objectField(req.resource, 'resource');
  const permission = relationField(req.permission, 'permission');
  const max = deps.limits.maxDepth;
  if (req.maxDepth !== undefined && req.maxDepth !== null && req.maxDepth !== 0 && (!Number.isInteger(req.maxDepth) || req.maxDepth < 0 || req.maxDepth > max)) {
    throw new InvalidArgumentError(`\`maxDepth\` must be an integer from 1 to ${max}`);
  }
  const read = await deps.consistency.resolveWithSchema(req.consistency, call);
  const node = deps.engine.expand(
    engineContext(deps, read.revision, read.schema, call),
    resource,
    permission,
    req.maxDepth || max,
  );
  return { tree: toWire(node), zookie: deps.consistency.zookie(read.revision, read.schema) };
}

/** The wire tree has four node kinds: arrows become unions (`any`) or intersections (`all`) of their objects' trees. */
function toWire(n: ExpandNode): ExpandTree {
  const object = `${formatObjectRef(n.resource)}#${n.relation}`;
  switch (n.kind) {
    case 'leaf': {
      const t: ExpandTree = { kind: 'leaf', object, subjects: n.subjects.map(formatSubjectRef) };
      if (n.children.length > 0) t.children = n.children.map(toWire);
      return t;
    }
    case 'union':
    case 'intersection':
    case 'exclusion':
      return { kind: n.kind, object, children: n.children.map(toWire) };
    case 'arrow':
      return { kind: n.mode === 'all' ? 'intersection' : 'union', object, children: n.children.map(toWire) };
    case 'nil':
      return { kind: 'leaf', object, subjects: [] };
    case 'truncated':
      return { kind: 'leaf', object, truncated: true };
  }
}
