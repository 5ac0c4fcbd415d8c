/**
 * In-process Check at the engine (Engine.check on the loaded index, no service or transport), over the
 * workload's queries in file order, each answer compared with `expected`.
 *
 * - warm: one ring for the whole run, and every query asked once before timing, so each timed Check
 *   finds its answer (or at least its sub-problems) in the cache: a busy server asking the same
 *   questions again within the quantization window.
 * - cold: the same ring, emptied before every single Check (the clear is inside the timed loop; it
 *   costs a Map.clear of the previous Check's few entries). Every sub-problem is computed, including
 *   the ones that other queries share (team#member of a popular team), so this is the worst case,
 *   stricter than "distinct queries against a live cache".
 * - first: each query asked for the first time since the cache was emptied (it is emptied whenever
 *   the pass over the queries starts again): a server just started, or asked questions it has not
 *   seen. Sub-problems that several queries share (a popular team's members, a workspace's admins)
 *   are computed once per pass, as they would be.
 * - uncached: a bare LocalDispatcher with no cache at all: what the cache's bookkeeping costs (or
 *   saves) on a cold walk.
 *
 * Throughput is timed on calls of BATCH checks (one Check is too short to time alone); the latency
 * percentiles come from a second pass that times each Check alone, so they include ~0.1 µs of timer.
 */
import { buildDispatcherRing } from '../../engine/build-ring.js';
import type { DispatcherRing } from '../../engine/build-ring.js';
import { Engine } from '../../engine/engine.js';
import { LocalDispatcher } from '../../engine/local/local-dispatcher.js';
import { measure } from './measure.js';
import type { ParsedCheck, QueryState } from './query-state.js';
import type { ScenarioResult } from './types.js';
import { BenchMismatchError } from './types.js';

export type CheckMode = 'warm' | 'cold' | 'first' | 'uncached';

export interface CheckScenarioOptions {
  readonly timeMs: number;
}

const BATCH = 1000;

export function runCheckScenario(state: QueryState, mode: CheckMode, options: CheckScenarioOptions): ScenarioResult {
  const name = `check-${mode}`;
  const checks = state.checks;
  if (checks.length === 0) return { scenario: name, skipped: 'the workload has no check queries' };
  const ring: DispatcherRing | undefined = mode === 'uncached' ? undefined : buildDispatcherRing();
  const engine = new Engine(ring ? ring.head : new LocalDispatcher());
  const ctx = state.ctx;
  let wrong = 0;
  let firstWrong: ParsedCheck | undefined;
  const one = (q: ParsedCheck): void => {
    if (mode === 'cold') ring!.cache.clear();
    if (engine.check(ctx, q.resource, q.permission, q.subject) !== q.expected) {
      wrong++;
      firstWrong ??= q;
    }
  };
  // Verification pass over every query (and, for warm, the pass that fills the cache).
  for (const q of checks) one(q);
  assertNoneWrong(name, wrong, firstWrong);

  let next = 0;
  const advance = (): void => {
    next = next + 1 === checks.length ? 0 : next + 1;
    if (next === 0 && mode === 'first') ring!.cache.clear();
  };
  if (mode === 'first') ring!.cache.clear();
  const batch = (): void => {
    for (let i = 0; i < BATCH; i++) {
      one(checks[next]!);
      advance();
    }
  };
  const statsBefore = ring?.cache.stats();
  const throughput = measure(`${name} throughput`, batch, { opsPerCall: BATCH, timeMs: options.timeMs, warmupMs: 100 });
  const statsAfter = ring?.cache.stats();
  const single = (): void => {
    one(checks[next]!);
    advance();
  };
  const latency = measure(`${name} latency`, single, { opsPerCall: 1, timeMs: Math.max(200, options.timeMs / 2), minIterations: 1000 });
  assertNoneWrong(name, wrong, firstWrong);

  const values: Record<string, number> = { queries: checks.length, opsPerCpuSec: throughput.opsPerCpuSec, cpuShare: throughput.cpuShare };
  if (statsBefore && statsAfter && mode === 'warm') {
    const hits = statsAfter.hits - statsBefore.hits;
    const misses = statsAfter.misses - statsBefore.misses;
    values.cacheHitRate = hits + misses > 0 ? hits / (hits + misses) : 0;
    values.cacheEntries = statsAfter.size;
  }
  return { scenario: name, opsPerSec: throughput.opsPerSec, p50Ms: latency.p50Ms, p95Ms: latency.p95Ms, p99Ms: latency.p99Ms, values };
}

function assertNoneWrong(name: string, wrong: number, first: ParsedCheck | undefined): void {
  if (wrong === 0 || first === undefined) return;
  const s = first.subject;
  throw new BenchMismatchError(
    `${name}: ${wrong} wrong answer(s); first: ${first.resource.type}:${first.resource.id}#${first.permission}@${s.type}:${s.id} expected ${first.expected}`,
  );
}
