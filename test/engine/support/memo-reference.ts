/** The reference evaluator behind a memo: the property tests ask it the same question many times. */
import type { ObjectRef, Relationship, SubjectRef } from '../../../src/core/refs.js';
import type { CompiledSchema } from '../../../src/schema/compiled.js';
import { ReferenceEvaluator } from '../reference/reference-evaluator.js';
import type { ReferenceOptions } from '../reference/reference-evaluator.js';

export class MemoReference {
  private readonly ref: ReferenceEvaluator;
  private readonly memo = new Map<string, boolean>();

  constructor(schema: CompiledSchema, relationships: readonly Relationship[], options?: ReferenceOptions) {
    this.ref = new ReferenceEvaluator(schema, relationships, options);
  }

  check(resource: ObjectRef, relation: string, subject: SubjectRef): boolean {
    const key = `${resource.type}:${resource.id}#${relation}@${subject.type}:${subject.id}#${subject.relation ?? ''}`;
    let r = this.memo.get(key);
    if (r === undefined) this.memo.set(key, (r = this.ref.check(resource, relation, subject)));
    return r;
  }
}
