/**
 * The engine-level view of a loaded workload that the query scenarios share: the schema and a graph
 * snapshot at the import's revision, and the workload's queries parsed once, so that no scenario
 * times string parsing.
 */
import type { ObjectRef, SubjectRef } from '../../core/refs.js';
import { parseObjectRef, parseSubjectRef } from '../../core/refs.js';
import type { EngineContext } from '../../engine/engine.js';
import type { LoadedWorkload } from '../replay/replay.js';
import type { WorkloadDir } from '../replay/read-workload.js';

export interface ParsedCheck {
  readonly resource: ObjectRef;
  readonly permission: string;
  readonly subject: SubjectRef;
  readonly expected: boolean;
}

export interface ParsedLookupResources {
  readonly resourceType: string;
  readonly permission: string;
  readonly subject: SubjectRef;
  readonly expectedCount: number;
}

export interface ParsedLookupSubjects {
  readonly resource: ObjectRef;
  readonly permission: string;
  readonly subjectType: string;
  readonly expectedCount: number;
}

export interface QueryState {
  readonly ctx: EngineContext;
  readonly checks: readonly ParsedCheck[];
  readonly lookupResources: readonly ParsedLookupResources[];
  readonly lookupSubjects: readonly ParsedLookupSubjects[];
  /** Subject ids per type in the data: what a wildcard in a LookupSubjects answer stands for. */
  readonly subjectIds: ReadonlyMap<string, ReadonlySet<string>>;
}

export function queryStateOf(workload: WorkloadDir, loaded: LoadedWorkload, maxDepth: number): QueryState {
  const replica = loaded.runtime.replica;
  const head = replica.head;
  const schema = replica.schemaAt(head);
  if (schema === undefined) throw new Error('no schema after loading the workload');
  return {
    ctx: { schema: schema.schema, graph: replica.index.snapshot(head), maxDepth },
    checks: workload.queries.map((q) => ({
      resource: parseObjectRef(`${q.resource_type}:${q.resource_id}`),
      permission: q.permission,
      subject: parseSubjectRef(`${q.subject_type}:${q.subject_id}`),
      expected: q.expected,
    })),
    lookupResources: workload.lookups.lookup_resources.map((c) => ({
      resourceType: c.resource_type,
      permission: c.permission,
      subject: parseSubjectRef(`${c.subject_type}:${c.subject_id}`),
      expectedCount: c.expected_count,
    })),
    lookupSubjects: workload.lookups.lookup_subjects.map((c) => ({
      resource: parseObjectRef(`${c.resource_type}:${c.resource_id}`),
      permission: c.permission,
      subjectType: c.subject_type,
      expectedCount: c.expected_count,
    })),
    subjectIds: loaded.subjectIds,
  };
}
