/**
 * A GraphSnapshot over a plain array of relationships: obviously correct and slow, for tests. Each
 * instance gets its own revision so that engines sharing a cache never mix two graphs up.
 */
import { parseRelationship } from '../../../src/core/refs.js';
import type { Relationship, SubjectRef } from '../../../src/core/refs.js';
import type { Revision } from '../../../src/core/revision.js';
import type { GraphSnapshot } from '../../../src/store/graph.js';

let nextRevision = 1_000_000;

export class ArrayGraph implements GraphSnapshot {
  readonly revision: Revision;
  readonly relationships: readonly Relationship[];

  constructor(relationships: readonly Relationship[], revision?: Revision) {
    this.relationships = relationships;
    this.revision = revision ?? nextRevision++;
  }

  static of(...lines: string[]): ArrayGraph {
    return new ArrayGraph(lines.map((l) => parseRelationship(l)));
  }

  subjects(resourceType: string, resourceId: string, relation: string): Iterable<SubjectRef> {
    return this.relationships
      .filter((r) => r.resource.type === resourceType && r.resource.id === resourceId && r.relation === relation)
      .map((r) => r.subject);
  }

  hasSubject(resourceType: string, resourceId: string, relation: string, subject: SubjectRef): boolean {
    return this.relationships.some(
      (r) =>
        r.resource.type === resourceType &&
        r.resource.id === resourceId &&
        r.relation === relation &&
        r.subject.type === subject.type &&
        r.subject.id === subject.id &&
        r.subject.relation === subject.relation,
    );
  }

  usersets(resourceType: string, resourceId: string, relation: string): Iterable<SubjectRef> {
    return [...this.subjects(resourceType, resourceId, relation)].filter((s) => s.relation !== undefined);
  }

  resources(resourceType: string, relation: string, subject: SubjectRef): Iterable<string> {
    const ids = this.relationships
      .filter(
        (r) =>
          r.resource.type === resourceType &&
          r.relation === relation &&
          r.subject.type === subject.type &&
          r.subject.id === subject.id &&
          r.subject.relation === subject.relation,
      )
      .map((r) => r.resource.id);
    return [...new Set(ids)];
  }
}
