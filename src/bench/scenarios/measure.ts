/**
 * tinybench, set up the way every scenario uses it: hrtime stamps, samples retained (tinybench reports
 * p50/p75/p99 but not p95), a time budget with a hard cap, and a task function that may run several
 * operations per call. Many operations per call matter for sub-microsecond work: around one call the
 * timer and tinybench's own bookkeeping cost about as much as a warm Check.
 */
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';

export interface MeasureOptions {
  /** Operations one call of the task function performs (throughput and per-op latency divide by it). */
  readonly opsPerCall: number;
  /** Time budget in ms (tinybench keeps going until both this and `minIterations` are met). */
  readonly timeMs: number;
  readonly minIterations?: number;
  /**
   * Bound on the run in ms (default 4 × timeMs + 5 s): `minIterations` is lowered so that it fits, from
   * the mean of the untimed warm-up calls. (An AbortSignal cannot stop a synchronous run: no timer fires
   * inside it.)
   */
  readonly capMs?: number;
  readonly warmupMs?: number;
  readonly beforeEach?: () => void;
}

export interface Measurement {
  /** Operations per second: total operations / total measured time. */
  readonly opsPerSec: number;
  /** Operations per second of this process's CPU time (user + system, GC threads included). */
  readonly opsPerCpuSec: number;
  /** CPU time / wall time over the timed run: below 1, other processes (or I/O) took the core. */
  readonly cpuShare: number;
  /** Per-operation latency percentiles in ms (per call / opsPerCall). */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly calls: number;
  readonly ops: number;
}

/**
 * Warm-up happens here rather than in tinybench, so that the process CPU time read around the timed run
 * covers only it: on a shared machine, operations per CPU-second are far steadier than per wall-second.
 */
export function measure(name: string, fn: () => void, options: MeasureOptions): Measurement {
  const probeMs = warmUp(fn, options);
  const bench = makeBench(name, options, probeMs);
  bench.add(name, fn, options.beforeEach ? { beforeEach: options.beforeEach } : {});
  const cpu0 = process.cpuUsage();
  bench.runSync();
  return summarize(name, bench, options.opsPerCall, process.cpuUsage(cpu0));
}

/** The same for a task that returns a promise (timed until it settles). */
export async function measureAsync(name: string, fn: () => Promise<void>, options: MeasureOptions): Promise<Measurement> {
  let spent = 0;
  let calls = 0;
  const until = performance.now() + (options.warmupMs ?? 0);
  do {
    options.beforeEach?.();
    const t0 = performance.now();
    await fn();
    spent += performance.now() - t0;
    calls++;
  } while (performance.now() < until);
  const bench = makeBench(name, options, spent / calls);
  bench.add(name, fn, options.beforeEach ? { beforeEach: options.beforeEach, async: true } : { async: true });
  const cpu0 = process.cpuUsage();
  await bench.run();
  return summarize(name, bench, options.opsPerCall, process.cpuUsage(cpu0));
}

/** Calls fn (at least once) for warmupMs; returns the mean call's duration (to bound the run by). */
function warmUp(fn: () => void, options: MeasureOptions): number {
  let spent = 0;
  let calls = 0;
  const until = performance.now() + (options.warmupMs ?? 0);
  do {
    options.beforeEach?.();
    const t0 = performance.now();
    fn();
    spent += performance.now() - t0;
    calls++;
  } while (performance.now() < until);
  return spent / calls;
}

function makeBench(name: string, options: MeasureOptions, probeMs: number): Bench {
  const cap = options.capMs ?? options.timeMs * 4 + 5_000;
  const iterations = Math.max(3, Math.min(options.minIterations ?? 5, Math.floor(cap / Math.max(1e-6, probeMs))));
  return new Bench({
    name,
    time: Math.min(options.timeMs, cap),
    iterations,
    warmup: false,
    retainSamples: true,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
}

function summarize(name: string, bench: Bench, per: number, cpu: NodeJS.CpuUsage): Measurement {
  const result = bench.tasks[0]!.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed' && result.state !== 'aborted-with-statistics') {
    throw new Error(`benchmark ${name} did not run (${result.state})`);
  }
  const samples = result.latency.samples ?? [];
  const calls = result.latency.samplesCount;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    opsPerSec: result.totalTime > 0 ? (calls * per * 1000) / result.totalTime : 0,
    opsPerCpuSec: cpuMs > 0 ? (calls * per * 1000) / cpuMs : 0,
    cpuShare: result.totalTime > 0 ? cpuMs / result.totalTime : 0,
    p50Ms: percentile(samples, 0.5) / per,
    p95Ms: percentile(samples, 0.95) / per,
    p99Ms: percentile(samples, 0.99) / per,
    meanMs: result.latency.mean / per,
    calls,
    ops: calls * per,
  };
}

/** Linear interpolation between order statistics of ascending samples. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return percentile(s, 0.5);
}
