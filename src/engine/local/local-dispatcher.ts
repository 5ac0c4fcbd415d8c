/**
 * The local resolver: evaluates one step of a sub-problem against the in-memory graph and sends every
 * further sub-problem to `redispatch`, the head of the ring, so that those are cached (and later
 * de-duplicated) too. It knows nothing of the decorators around it.
 */
import type {
  CheckRequest,
  CheckResult,
  Dispatcher,
  DispatchEnv,
  LookupSubjectsRequest,
  LookupSubjectsResult,
} from '../dispatcher.js';
import { localCheck } from './check.js';
import { localLookupSubjects } from './lookup-subjects.js';

export interface LocalDispatcherOptions {
  /** Where sub-problems go; defaults to this dispatcher itself (no decorators). */
  readonly redispatch?: Dispatcher;
}

export class LocalDispatcher implements Dispatcher {
  private redispatch: Dispatcher;

  constructor(options: LocalDispatcherOptions = {}) {
    this.redispatch = options.redispatch ?? this;
  }

  /** Ties the ring once the head exists (the head is built around this dispatcher). */
  setRedispatch(head: Dispatcher): void {
    this.redispatch = head;
  }

  // Only here, where work is done: a cache hit above costs nothing worth capping.
  dispatchCheck(req: CheckRequest, env: DispatchEnv): CheckResult {
    env.budget?.dispatch();
    return localCheck(req, env, this.redispatch);
  }

  dispatchLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv): LookupSubjectsResult {
    env.budget?.dispatch();
    return localLookupSubjects(req, env, this.redispatch);
  }
}
