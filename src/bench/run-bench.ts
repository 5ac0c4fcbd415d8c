/**
 * `warden bench run`: loads a workload into the real stack (SQLite in a temporary directory), replays
 * every query and lookup through WardenService (zero mismatches or no figures at all), then runs the
 * selected scenarios `repeat` times, interleaved (run 1 of every scenario, then run 2, ...) so that
 * drift in a shared machine's load spreads over all of them, and reports the medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../service/types.js';
import type { WardenService } from '../service/types.js';
import { readWorkloadDir } from './replay/read-workload.js';
import type { WorkloadDir } from './replay/read-workload.js';
import { ReplayMismatchError, loadWorkload, replayQueries } from './replay/replay.js';
import type { ReplayReport } from './replay/replay.js';
import { runCheckScenario } from './scenarios/check.js';
import { IMPORT_BATCH, prepareImport, runImportScenario } from './scenarios/import-sqlite.js';
import type { ImportInput } from './scenarios/import-sqlite.js';
import { runLookupScenario } from './scenarios/lookups.js';
import { median } from './scenarios/measure.js';
import { queryStateOf } from './scenarios/query-state.js';
import type { QueryState } from './scenarios/query-state.js';
import { runServiceCheckScenario } from './scenarios/service-check.js';
import { runIndexMemoryScenario, runStartupScenario } from './scenarios/startup-memory.js';
import type { ScenarioResult } from './scenarios/types.js';
import { DEFAULT_SEED, generateWorkload, writeWorkload } from './workload/generate-workload.js';
import type { SizeName } from './workload/sizes.js';
import { WORKLOAD_FILES } from './workload/format.js';

export const SCENARIOS = [
  'check-warm',
  'check-cold',
  'check-first',
  'check-uncached',
  'check-service',
  'lookup-resources',
  'lookup-resources-warm',
  'lookup-subjects',
  'lookup-subjects-warm',
  'import-sqlite',
  'startup-sqlite',
  'memory-index',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Exact names, or a prefix that selects several (`check`, `lookup`, `lookup-resources-`). */
export function selectScenarios(spec: readonly string[] | undefined): ScenarioName[] {
  if (spec === undefined || spec.length === 0) return [...SCENARIOS];
  const out = new Set<ScenarioName>();
  for (const s of spec) {
    const exact = SCENARIOS.find((n) => n === s);
    const hits = exact !== undefined ? [exact] : SCENARIOS.filter((n) => n.startsWith(s.endsWith('-') ? s : `${s}-`));
    if (hits.length === 0) throw new Error(`unknown scenario \`${s}\`; known: ${SCENARIOS.join(', ')}`);
    for (const h of hits) out.add(h);
  }
  return SCENARIOS.filter((n) => out.has(n));
}

export interface BenchRunOptions {
  /** A workload directory in the shared format; or `size` to generate one. */
  readonly workloadDir?: string;
  readonly size?: SizeName;
  readonly seed?: number;
  readonly scenarios?: readonly string[];
  /** Runs of every scenario (medians are reported). Default 3. */
  readonly repeat?: number;
  /** Time budget per timed task, ms. Default 2000. */
  readonly timeMs?: number;
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface ScenarioSummary {
  readonly scenario: ScenarioName;
  readonly median: ScenarioResult;
  readonly runs: ScenarioResult[];
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; loadavgBefore: number[]; loadavgAfter: number[] };
  readonly workload: {
    dir: string;
    generator: string;
    size: string;
    seed: unknown;
    relationships: number;
    queries: number;
    lookupResources: number;
    lookupSubjects: number;
  };
  readonly repeat: number;
  readonly timeMs: number;
  readonly replay: ReplayReport;
  readonly results: ScenarioSummary[];
}

export async function runBench(options: BenchRunOptions): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const repeat = Math.max(1, options.repeat ?? 3);
  const timeMs = Math.max(50, options.timeMs ?? 2000);
  const selected = selectScenarios(options.scenarios);
  const loadavgBefore = loadavg();
  const scratch = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  try {
    let dir = options.workloadDir;
    if (dir === undefined) {
      const size = options.size ?? 'small';
      dir = join(scratch, `composer-${size}`);
      log(`generating the ${size} workload (seed ${options.seed ?? DEFAULT_SEED}) in ${dir}`);
      writeWorkload(generateWorkload({ size, seed: options.seed ?? DEFAULT_SEED }), dir);
    }
    const workload = readWorkloadDir(dir);
    log(`loading ${dir} into SQLite through the service (schema, ImportRelationships)`);
    const sqlitePath = join(scratch, 'warden.db');
    const loaded = await loadWorkload(workload, { datastore: 'sqlite', sqlitePath });
    const runs = new Map<ScenarioName, ScenarioResult[]>(selected.map((s) => [s, []]));
    let replay: ReplayReport;
    try {
      log(`imported ${loaded.relationships} relationships in ${(loaded.importMs / 1000).toFixed(2)} s; replaying every query through the service`);
      replay = await replayQueries(workload, loaded);
      if (replay.mismatchCount > 0) throw new ReplayMismatchError(replay);
      log(`replay: ${replay.checks} checks, ${replay.lookupResources} + ${replay.lookupSubjects} lookups, 0 mismatches`);
      const state = queryStateOf(workload, loaded, DEFAULT_LIMITS.maxDepth);
      for (let r = 1; r <= repeat; r++) {
        for (const s of selected) {
          const result = await runInProcess(s, state, loaded.runtime.service, workload, timeMs);
          if (result === undefined) continue;
          log(`run ${r}/${repeat} ${describe(result)}`);
          runs.get(s)!.push(result);
        }
      }
    } finally {
      await loaded.close();
    }
    let importInput: ImportInput | undefined;
    for (let r = 1; r <= repeat; r++) {
      for (const s of selected) {
        let result: ScenarioResult | undefined;
        if (s === 'import-sqlite') {
          importInput ??= await prepareImport(workload, IMPORT_BATCH);
          result = await runImportScenario(importInput);
        } else if (s === 'startup-sqlite') {
          result = await runStartupScenario(sqlitePath);
        } else if (s === 'memory-index') {
          result = await runIndexMemoryScenario(join(dir, WORKLOAD_FILES.relationships));
        } else continue;
        log(`run ${r}/${repeat} ${describe(result)}`);
        runs.get(s)!.push(result);
      }
    }
    const meta = workload.meta ?? {};
    return {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        loadavgBefore,
        loadavgAfter: loadavg(),
      },
      workload: {
        dir: options.workloadDir ?? `(generated) ${dir}`,
        generator: typeof meta.generator === 'string' ? meta.generator : 'shared',
        size: typeof meta.size === 'string' ? meta.size : 'custom',
        seed: meta.seed,
        relationships: loaded.relationships,
        queries: workload.queries.length,
        lookupResources: workload.lookups.lookup_resources.length,
        lookupSubjects: workload.lookups.lookup_subjects.length,
      },
      repeat,
      timeMs,
      replay,
      results: selected.map((s) => ({ scenario: s, runs: runs.get(s)!, median: medianOf(s, runs.get(s)!) })),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function runInProcess(
  s: ScenarioName,
  state: QueryState,
  service: WardenService,
  workload: WorkloadDir,
  timeMs: number,
): Promise<ScenarioResult | undefined> {
  switch (s) {
    case 'check-warm':
      return runCheckScenario(state, 'warm', { timeMs });
    case 'check-cold':
      return runCheckScenario(state, 'cold', { timeMs });
    case 'check-first':
      return runCheckScenario(state, 'first', { timeMs });
    case 'check-uncached':
      return runCheckScenario(state, 'uncached', { timeMs });
    case 'check-service':
      return runServiceCheckScenario(service, workload.queries, timeMs);
    case 'lookup-resources':
      return runLookupScenario(state, 'lookup-resources', { timeMs, warm: false });
    case 'lookup-resources-warm':
      return runLookupScenario(state, 'lookup-resources', { timeMs, warm: true });
    case 'lookup-subjects':
      return runLookupScenario(state, 'lookup-subjects', { timeMs, warm: false });
    case 'lookup-subjects-warm':
      return runLookupScenario(state, 'lookup-subjects', { timeMs, warm: true });
    default:
      return undefined;
  }
}

/** The median of every numeric field over the runs that were not skipped. */
export function medianOf(scenario: string, runs: readonly ScenarioResult[]): ScenarioResult {
  const ran = runs.filter((r) => r.skipped === undefined);
  if (ran.length === 0) return { scenario, skipped: runs[0]?.skipped ?? 'not run' };
  const pick = (f: (r: ScenarioResult) => number | undefined): number | undefined => {
    const vs = ran.map(f).filter((v): v is number => v !== undefined);
    return vs.length === 0 ? undefined : median(vs);
  };
  const values: Record<string, number> = {};
  for (const key of new Set(ran.flatMap((r) => Object.keys(r.values ?? {})))) {
    const v = pick((r) => r.values?.[key]);
    if (v !== undefined) values[key] = v;
  }
  const out: { -readonly [K in keyof ScenarioResult]: ScenarioResult[K] } = { scenario };
  const ops = pick((r) => r.opsPerSec);
  if (ops !== undefined) out.opsPerSec = ops;
  const p50 = pick((r) => r.p50Ms);
  if (p50 !== undefined) out.p50Ms = p50;
  const p95 = pick((r) => r.p95Ms);
  if (p95 !== undefined) out.p95Ms = p95;
  const p99 = pick((r) => r.p99Ms);
  if (p99 !== undefined) out.p99Ms = p99;
  if (Object.keys(values).length > 0) out.values = values;
  return out;
}

function describe(r: ScenarioResult): string {
  if (r.skipped !== undefined) return `${r.scenario}: skipped (${r.skipped})`;
  const parts: string[] = [];
  if (r.opsPerSec !== undefined) parts.push(`${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s`);
  if (r.p50Ms !== undefined) parts.push(`p50 ${fmtMs(r.p50Ms)} p95 ${fmtMs(r.p95Ms!)} p99 ${fmtMs(r.p99Ms!)}`);
  for (const [k, v] of Object.entries(r.values ?? {})) parts.push(`${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
  return `${r.scenario}: ${parts.join(', ')}`;
}

export function fmtMs(ms: number): string {
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}
