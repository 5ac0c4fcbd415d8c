/** What a scenario reports; the runner adds targets, repeats and medians. */

export interface ScenarioResult {
  readonly scenario: string;
  /** Operations per second, where the scenario has operations. */
  readonly opsPerSec?: number;
  /** Per-operation latency percentiles, in ms. */
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  /** Other figures by name (relationships/s, ms, bytes/relationship, cache hit rate...). */
  readonly values?: Readonly<Record<string, number>>;
  /** Set when the scenario could not run here (and why). */
  readonly skipped?: string;
}

/** A scenario's answer disagreed with the workload's expected one: its figures mean nothing. */
export class BenchMismatchError extends Error {}
