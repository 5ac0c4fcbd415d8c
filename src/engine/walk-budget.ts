/**
 * What one request may spend on graph walks: a cap on dispatches and a deadline.
 *
 * A dispatch is one unit of walking: a Check or LookupSubjects step evaluated by the local resolver, a
 * node of an Expand tree, an object reached by the LookupResources walk. Cache hits are not counted:
 * they cost almost nothing, and counting them would make the cap depend on what else is cached.
 *
 * The walk is synchronous, so an abort signal cannot fire while it runs (its events need the event
 * loop). The budget therefore reads the clock itself, but only every CLOCK_EVERY steps: the cost per
 * dispatch stays one increment and two compares, with no allocation.
 */
import { DeadlineExceededError, LimitExceededError } from '../core/errors.js';
import type { AuthzError } from '../core/errors.js';

/** Power of two: the check is a mask. At ~1-10 µs a dispatch this reads the clock every 0.1-1 ms. */
const CLOCK_EVERY = 64;

/** A counter shared by the walks of one request, so that callers can report the work done. */
export interface WorkTally {
  dispatches: number;
}

export interface WalkBudgetOptions {
  /** Dispatches this budget allows (counted from the tally's value when it is created). */
  readonly maxDispatches?: number;
  /** Epoch milliseconds after which the walk stops with DeadlineExceededError. */
  readonly deadline?: number | undefined;
  /** Already aborted: the caller went away before the walk began. */
  readonly signal?: AbortSignal | undefined;
  /** Where dispatches are counted; one is made if none is given. */
  readonly tally?: WorkTally | undefined;
}

export class WalkBudget {
  /** The error that stopped the walk: callers that catch errors per item must not swallow this one. */
  failure: AuthzError | undefined;
  private readonly tally: WorkTally;
  private readonly limit: number;
  private readonly maxDispatches: number;
  private readonly deadline: number;
  private readonly signal: AbortSignal | undefined;
  private steps = 0;

  constructor(options: WalkBudgetOptions = {}) {
    this.tally = options.tally ?? { dispatches: 0 };
    this.maxDispatches = options.maxDispatches ?? Number.POSITIVE_INFINITY;
    this.limit = this.tally.dispatches + this.maxDispatches;
    this.deadline = options.deadline ?? Number.POSITIVE_INFINITY;
    this.signal = options.signal;
  }

  /** Dispatches counted by this budget's tally (for one request, across its walks). */
  get dispatches(): number {
    return this.tally.dispatches;
  }

  /** Counts one dispatch; throws past the cap, or (checked now and then) past the deadline. */
  dispatch(): void {
    if (++this.tally.dispatches > this.limit) {
      this.fail(
        new LimitExceededError(
          `the request needed more than ${this.maxDispatches} dispatches (graph sub-problems): narrow it (fewer items, a smaller lookup) or raise --max-dispatches`,
        ),
      );
    }
    if ((this.steps++ & (CLOCK_EVERY - 1)) === 0) this.checkTime();
  }

  /** Throws now if the deadline has passed or the caller is gone. */
  checkTime(): void {
    if (this.signal?.aborted || Date.now() >= this.deadline) this.fail(new DeadlineExceededError());
  }

  private fail(error: AuthzError): never {
    this.failure = error;
    throw error;
  }
}
