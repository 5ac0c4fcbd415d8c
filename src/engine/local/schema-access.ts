/** Name resolution against the compiled schema, with the typed errors the API promises. */
import { UnknownDefinitionError, UnknownRelationError } from '../../core/errors.js';
import type { CompiledSchema, Definition, RelationOrPermission } from '../../schema/compiled.js';

export function definitionOf(schema: CompiledSchema, type: string): Definition {
  const def = schema.definitions.get(type);
  if (def === undefined) throw new UnknownDefinitionError(type);
  return def;
}

export function relationOf(schema: CompiledSchema, type: string, relation: string): RelationOrPermission {
  const rel = definitionOf(schema, type).relations.get(relation);
  if (rel === undefined) throw new UnknownRelationError(type, relation);
  return rel;
}

/** For arrows: a computed relation missing on one subject type of the tupleset is skipped, not an error. */
export function hasRelation(schema: CompiledSchema, type: string, relation: string): boolean {
  return schema.definitions.get(type)?.relations.has(relation) ?? false;
}

/** `items` in runs of at most `size`; `items` itself (no copy) when it is one run. */
export function chunk<T>(items: readonly T[], size: number): (readonly T[])[] {
  if (items.length <= size) return items.length === 0 ? [] : [items];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `groups[key]` as a list, created on first use. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
