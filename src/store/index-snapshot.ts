import type { SubjectRef } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { GraphSnapshot } from './graph.js';
import type { RelationshipIndex } from './relationship-index.js';

/** A GraphSnapshot of a RelationshipIndex at one revision. Returned arrays are fresh or frozen-empty. */
export class IndexSnapshot implements GraphSnapshot {
  constructor(
    private readonly index: RelationshipIndex,
    readonly revision: Revision,
  ) {}

  subjects(resourceType: string, resourceId: string, relation: string): readonly SubjectRef[] {
    return this.index.subjectsAt(this.revision, resourceType, resourceId, relation);
  }

  resources(resourceType: string, relation: string, subject: SubjectRef): readonly string[] {
    return this.index.resourcesAt(this.revision, resourceType, relation, subject);
  }

  /** O(1) on wide groups (a subject -> edge map); a short scan of one chain otherwise. */
  hasSubject(resourceType: string, resourceId: string, relation: string, subject: SubjectRef): boolean {
    return this.index.hasSubjectAt(this.revision, resourceType, resourceId, relation, subject);
  }

  usersets(resourceType: string, resourceId: string, relation: string): readonly SubjectRef[] {
    return this.index.usersetsAt(this.revision, resourceType, resourceId, relation);
  }
}
