/**
 * The engine's view of relationships: a synchronous snapshot at one revision. Synchronous on purpose:
 * the hot path walks an in-memory index and never waits on I/O, so one Check costs no promise per
 * sub-problem. Implementations must return only relationships live at `revision`.
 */
import type { SubjectRef } from '../core/refs.js';
import type { Revision } from '../core/revision.js';

export interface GraphSnapshot {
  readonly revision: Revision;
  /** Direct subjects of `resourceType:resourceId#relation` (objects, usersets and wildcards). */
  subjects(resourceType: string, resourceId: string, relation: string): Iterable<SubjectRef>;
  /**
   * Ids of the `resourceType` objects whose `relation` names exactly `subject` (same type, id and
   * relation; `subject.id` may be `*` to find wildcard grants). The reverse edge, for lookups.
   */
  resources(resourceType: string, relation: string, subject: SubjectRef): Iterable<string>;
  /**
   * Whether `subject` (same type, id and relation; `*` for a wildcard grant) is a direct subject of
   * `resourceType:resourceId#relation`. Check's question; the index answers it without listing members.
   */
  hasSubject(resourceType: string, resourceId: string, relation: string, subject: SubjectRef): boolean;
  /** The direct subjects of `resourceType:resourceId#relation` that are usersets (`team:x#member`). */
  usersets(resourceType: string, resourceId: string, relation: string): Iterable<SubjectRef>;
}
