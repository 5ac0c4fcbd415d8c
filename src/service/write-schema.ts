import { SchemaChangeRefusedError, SchemaError } from '../core/errors.js';
import type { RelationshipFilter } from '../core/filter.js';
import type { CompiledSchema, RelationDef } from '../schema/compiled.js';
import { compileSchema } from '../schema/compiler.js';
import { throwIfCancelled, type ServiceDeps } from './deps.js';
import { requireString } from './input.js';
import type { CallOptions, WriteSchemaRequest, WriteSchemaResponse } from './types.js';

/**
 * Compiles and stores a schema. A change that would leave stored relationships meaningless (a removed
 * type or relation that still has relationships, a subject type no longer allowed) is refused, naming
 * each one and how many relationships use it; nothing changes.
 */
export async function writeSchema(deps: ServiceDeps, req: WriteSchemaRequest, call?: CallOptions): Promise<WriteSchemaResponse> {
  const text = requireString(req.schema, 'schema');
  const compiled = compileSchema(text);
  if (!compiled.ok) throw new SchemaError(compiled.diagnostics);
  const head = deps.replica.head;
  const current = deps.replica.schemaAt(head);
  if (current?.hash === compiled.schema.hash && current.text === text) {
    return { zookie: deps.consistency.zookie(head, current) };
  }
  if (current) {
    const problems = await orphanedRelationships(deps, current.schema, compiled.schema, head);
    if (problems.length > 0) {
      throw new SchemaChangeRefusedError(
        `the new schema would orphan stored relationships; delete them first or keep what they use:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    }
  }
  throwIfCancelled(call?.signal);
  const revision = await deps.datastore.writeSchema(text, compiled.schema.hash);
  await deps.replica.waitForRevision(revision, deps.freshnessWaitMs, call?.signal);
  return { zookie: deps.consistency.zookie(revision) };
}

async function orphanedRelationships(deps: ServiceDeps, before: CompiledSchema, after: CompiledSchema, at: number): Promise<string[]> {
  const problems: string[] = [];
  const count = (f: RelationshipFilter) => deps.datastore.countRelationships(f, at);
  for (const [type, def] of before.definitions) {
    for (const rel of def.relations.values()) {
      if (rel.kind !== 'relation') continue;
      const next = after.definitions.get(type)?.relations.get(rel.name);
      if (!next || next.kind !== 'relation') {
        const n = await count({ resourceType: type, relation: rel.name });
        if (n > 0) {
          problems.push(
            `${type}#${rel.name} is ${after.definitions.has(type) ? (next ? 'now a permission' : 'removed') : 'removed with its definition'} but ${n} relationship(s) use it`,
          );
        }
        continue;
      }
      for (const allowed of rel.allowed) {
        if (isAllowed(next, allowed)) continue;
        const subject = { type: allowed.type, relation: allowed.relation ?? '...' };
        let n: number;
        if (allowed.wildcard) {
          n = await count({ resourceType: type, relation: rel.name, subject: { type: allowed.type, id: '*' } });
        } else if (allowed.relation === undefined) {
          // `user` and `user:*` share a subject shape; count the concrete ones only.
          n =
            (await count({ resourceType: type, relation: rel.name, subject })) -
            (await count({ resourceType: type, relation: rel.name, subject: { type: allowed.type, id: '*' } }));
        } else {
          n = await count({ resourceType: type, relation: rel.name, subject });
        }
        if (n > 0) problems.push(`${type}#${rel.name} no longer allows \`${describe(allowed)}\` but ${n} relationship(s) have such a subject`);
      }
    }
  }
  return problems;
}

function isAllowed(rel: RelationDef, a: RelationDef['allowed'][number]): boolean {
  return rel.allowed.some((b) => b.type === a.type && b.relation === a.relation && Boolean(b.wildcard) === Boolean(a.wildcard));
}

function describe(a: RelationDef['allowed'][number]): string {
  return a.wildcard ? `${a.type}:*` : a.relation ? `${a.type}#${a.relation}` : a.type;
}
