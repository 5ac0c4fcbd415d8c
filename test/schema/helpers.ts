import type { CompiledSchema } from '../../src/schema/compiled.js';

/**
 * A compiled schema as plain data without source positions, for structural comparison: printing
 * moves every statement, so positions differ while the schema is the same.
 */
export function plainSchema(schema: CompiledSchema): unknown {
  return [...schema.definitions.values()].map((d) => ({
    name: d.name,
    comment: d.comment,
    order: [...d.order],
    relations: d.order.map((n) => {
      const { position: _position, ...rest } = d.relations.get(n)!;
      return rest;
    }),
  }));
}
