/** Small helpers for example tests: an engine, a context over relationship strings, parsed refs. */
import { parseObjectRef, parseSubjectRef } from '../../../src/core/refs.js';
import type { ObjectRef, SubjectRef } from '../../../src/core/refs.js';
import { buildDispatcherRing } from '../../../src/engine/build-ring.js';
import { Engine } from '../../../src/engine/engine.js';
import type { EngineContext } from '../../../src/engine/engine.js';
import type { CompiledSchema } from '../../../src/schema/compiled.js';
import { ArrayGraph } from './array-graph.js';

export const obj = (s: string): ObjectRef => parseObjectRef(s);
export const subj = (s: string): SubjectRef => parseSubjectRef(s);

export function setup(schema: CompiledSchema, ...relationships: string[]): { engine: Engine; ctx: EngineContext; can: (resource: string, permission: string, subject: string) => boolean } {
  const engine = new Engine(buildDispatcherRing().head);
  const ctx: EngineContext = { schema, graph: ArrayGraph.of(...relationships) };
  return { engine, ctx, can: (r, p, s) => engine.check(ctx, obj(r), p, subj(s)) };
}
