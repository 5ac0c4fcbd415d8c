/**
 * In-process LookupResources and LookupSubjects at the engine, over the workload's lookup cases, each
 * answer's size compared with `expected_count`. One lookup per timed call (they take tens of µs to ms).
 *
 * - cold (the figure the targets are judged on): the ring's cache is emptied before every call, outside
 *   the timed region, so every sub-problem is computed: the composer opening for a user nobody asked
 *   about recently.
 * - warm: the same cases against a cache that has seen them all once.
 *
 * Besides wall-clock percentiles, a pass timed in process CPU time (getrusage, µs-precise) gives
 * `cpuP50Ms` / `cpuP99Ms`: on a shared machine a wall-clock p99 is mostly the scheduler taking the
 * core away mid-call; the CPU-time p99 is the engine's own tail (GC included).
 */
import { buildDispatcherRing } from '../../engine/build-ring.js';
import { Engine } from '../../engine/engine.js';
import { performance } from 'node:perf_hooks';
import { measure, percentile } from './measure.js';
import type { QueryState } from './query-state.js';
import type { ScenarioResult } from './types.js';
import { BenchMismatchError } from './types.js';

export type LookupKind = 'lookup-resources' | 'lookup-subjects';

export interface LookupScenarioOptions {
  readonly timeMs: number;
  readonly warm: boolean;
}

export function runLookupScenario(state: QueryState, kind: LookupKind, options: LookupScenarioOptions): ScenarioResult {
  const name = `${kind}${options.warm ? '-warm' : ''}`;
  const ring = buildDispatcherRing();
  const engine = new Engine(ring.head);
  const ctx = state.ctx;
  const cases: (() => [number, number, string])[] =
    kind === 'lookup-resources'
      ? state.lookupResources.map((c) => () => [
          engine.lookupResources(ctx, c.resourceType, c.permission, c.subject).resourceIds.length,
          c.expectedCount,
          `(${c.resourceType}, ${c.permission}, ${c.subject.type}:${c.subject.id})`,
        ])
      : state.lookupSubjects.map((c) => () => {
          const found = engine.lookupSubjects(ctx, c.resource, c.permission, c.subjectType);
          return [countSubjects(found, state.subjectIds.get(c.subjectType)), c.expectedCount, `(${c.resource.type}:${c.resource.id}, ${c.permission}, ${c.subjectType})`];
        });
  if (cases.length === 0) return { scenario: name, skipped: `the workload has no ${kind} cases` };

  let wrong = 0;
  let first = '';
  const run = (i: number): void => {
    const [actual, expected, what] = cases[i]!();
    if (actual !== expected) {
      wrong++;
      if (first === '') first = `${what}: expected ${expected}, got ${actual}`;
    }
  };
  for (let i = 0; i < cases.length; i++) {
    ring.cache.clear();
    run(i);
  }
  if (wrong > 0) throw new BenchMismatchError(`${name}: ${wrong} wrong answer(s); first ${first}`);
  if (options.warm) for (let i = 0; i < cases.length; i++) run(i);

  let next = 0;
  const m = measure(
    name,
    () => {
      run(next);
      next = next + 1 === cases.length ? 0 : next + 1;
    },
    {
      opsPerCall: 1,
      timeMs: options.timeMs,
      minIterations: Math.min(cases.length, 200),
      warmupMs: 50,
      ...(options.warm ? {} : { beforeEach: () => ring.cache.clear() }),
    },
  );
  const cpuMs: number[] = [];
  const until = performance.now() + options.timeMs;
  for (let pass = 0; pass < 5 && (pass === 0 || performance.now() < until); pass++) {
    for (let i = 0; i < cases.length; i++) {
      if (!options.warm) ring.cache.clear();
      const c0 = process.cpuUsage();
      run(i);
      const c = process.cpuUsage(c0);
      cpuMs.push((c.user + c.system) / 1000);
    }
  }
  cpuMs.sort((a, b) => a - b);
  if (wrong > 0) throw new BenchMismatchError(`${name}: ${wrong} wrong answer(s); first ${first}`);
  return {
    scenario: name,
    opsPerSec: m.opsPerSec,
    p50Ms: m.p50Ms,
    p95Ms: m.p95Ms,
    p99Ms: m.p99Ms,
    values: {
      cases: cases.length,
      opsPerCpuSec: m.opsPerCpuSec,
      cpuShare: m.cpuShare,
      cpuP50Ms: percentile(cpuMs, 0.5),
      cpuP99Ms: percentile(cpuMs, 0.99),
    },
  };
}

/** Concrete subjects, plus what a wildcard covers among the data's subjects of the type. */
function countSubjects(found: readonly { subjectId: string; excludedSubjectIds: readonly string[] }[], universe: ReadonlySet<string> | undefined): number {
  const wildcard = found.find((s) => s.subjectId === '*');
  if (wildcard === undefined) return found.length;
  const concrete = new Set(found.filter((s) => s.subjectId !== '*').map((s) => s.subjectId));
  const excluded = new Set(wildcard.excludedSubjectIds);
  let n = concrete.size;
  for (const id of universe ?? []) if (!concrete.has(id) && !excluded.has(id)) n++;
  return n;
}
