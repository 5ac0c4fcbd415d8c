/**
 * `warden bench`: the composer workload and the in-process benchmarks.
 *   warden bench generate --size S --out DIR [--seed N]     write a workload directory
 *   warden bench replay --workload DIR [--datastore K]      import it and check every answer
 *   warden bench run (--workload DIR | --size S) [--scenarios a,b] [--repeat N] [--time-ms MS] [--json]
 *   warden bench                                            the same as `warden bench run --size small`
 * Exit codes: 0 done (a missed performance target is reported, not a failure: no timing is asserted);
 * 1 an answer disagreed with the workload's expected one; 2 bad input.
 */
import { InvalidArgumentError, Option } from 'commander';
import { AuthzError } from '../../core/errors.js';
import type { Command } from 'commander';
import { readWorkloadDir, WorkloadFormatError } from '../../bench/replay/read-workload.js';
import { ReplayMismatchError, replayWorkload } from '../../bench/replay/replay.js';
import type { DatastoreChoice } from '../../bench/replay/replay.js';
import { formatReport, reportJson } from '../../bench/report.js';
import { SCENARIOS, runBench, selectScenarios } from '../../bench/run-bench.js';
import { BenchMismatchError } from '../../bench/scenarios/types.js';
import { DEFAULT_SEED, generateWorkload, writeWorkload } from '../../bench/workload/generate-workload.js';
import { SIZE_NAMES, isSizeName } from '../../bench/workload/sizes.js';
import type { SizeName } from '../../bench/workload/sizes.js';

const EXIT_MISMATCH = 1;
const EXIT_BAD_INPUT = 2;

interface RunFlags {
  workload?: string;
  size?: SizeName;
  seed: number;
  scenarios?: string[];
  repeat: number;
  timeMs: number;
  json?: boolean;
}

function sizeArg(v: string): SizeName {
  if (!isSizeName(v)) throw new InvalidArgumentError(`expected one of ${SIZE_NAMES.join(', ')}`);
  return v;
}

function intArg(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

function listArg(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  try {
    selectScenarios(list);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return list;
}

export function registerBenchCommand(program: Command): void {
  const bench = program
    .command('bench')
    .description('generate the composer workload, replay it, and run the in-process benchmarks (bare: `bench run --size small`)')
    .action(async () => {
      process.stderr.write('warden bench: running `warden bench run --size small` (see `warden bench --help` for more)\n');
      await runCommand({ size: 'small', seed: DEFAULT_SEED, repeat: 3, timeMs: 2000 });
    });

  bench
    .command('generate')
    .description('write a composer workload directory (schema.zed, relationships.txt, queries.jsonl, lookups.json, meta.json)')
    .requiredOption('--size <size>', `one of ${SIZE_NAMES.join(', ')}`, sizeArg)
    .requiredOption('--out <dir>', 'directory to write (created if needed)')
    .option('--seed <n>', 'same size and seed: byte-identical files', intArg(0), DEFAULT_SEED)
    .action((opts: { size: SizeName; out: string; seed: number }) => {
      const started = Date.now();
      const workload = generateWorkload({ size: opts.size, seed: opts.seed });
      const sha = writeWorkload(workload, opts.out);
      process.stdout.write(
        `wrote ${opts.out}: ${workload.relationships.length} relationships, ${workload.queries.length} queries, ${workload.lookups.lookup_resources.length} + ${workload.lookups.lookup_subjects.length} lookups in ${((Date.now() - started) / 1000).toFixed(1)} s (relationships.txt sha256 ${sha})\n`,
      );
    });

  bench
    .command('replay')
    .description('import a workload directory (Warden\'s or the shared one) through the real stack and check every answer: exit 1 on any mismatch')
    .requiredOption('--workload <dir>', 'workload directory')
    .addOption(new Option('--datastore <kind>', 'where to import').choices(['sqlite', 'memory']).default('sqlite'))
    .option('--json', 'print the replay report as JSON')
    .action(async (opts: { workload: string; datastore: DatastoreChoice; json?: boolean }) => {
      await guarded(async () => {
        const report = await replayWorkload(readWorkloadDir(opts.workload), { datastore: opts.datastore });
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          process.stdout.write(
            `replayed ${opts.workload} on ${opts.datastore}: ${report.relationships} relationships imported in ${(report.importMs / 1000).toFixed(2)} s; ` +
              `${report.checks} checks, ${report.lookupResources} LookupResources, ${report.lookupSubjects} LookupSubjects: 0 mismatches\n`,
          );
        }
      });
    });

  bench
    .command('run')
    .description('run the in-process benchmarks on a workload directory or a generated size; prints each figure next to its target')
    .option('--workload <dir>', 'workload directory (from `bench generate` or ../shared/workload/gen.mjs)')
    .option('--size <size>', `generate this size into a temporary directory: ${SIZE_NAMES.join(', ')}`, sizeArg)
    .option('--seed <n>', 'seed for --size', intArg(0), DEFAULT_SEED)
    .option('--scenarios <list>', `comma-separated names or prefixes (default all): ${SCENARIOS.join(', ')}`, listArg)
    .option('--repeat <n>', 'runs of each scenario; medians are reported', intArg(1), 3)
    .option('--time-ms <ms>', 'time budget of each timed task', intArg(50), 2000)
    .option('--json', 'print one JSON object (the report, targets and SpiceDB rows) on stdout')
    .action(async (opts: RunFlags) => {
      await runCommand(opts);
    });
}

async function runCommand(opts: RunFlags): Promise<void> {
  if (opts.workload !== undefined && opts.size !== undefined) {
    process.stderr.write('error: give --workload or --size, not both\n');
    process.exitCode = EXIT_BAD_INPUT;
    return;
  }
  await guarded(async () => {
    const report = await runBench({
      ...(opts.workload !== undefined ? { workloadDir: opts.workload } : { size: opts.size ?? 'small' }),
      seed: opts.seed,
      ...(opts.scenarios !== undefined ? { scenarios: opts.scenarios } : {}),
      repeat: opts.repeat,
      timeMs: opts.timeMs,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(opts.json ? `${JSON.stringify(reportJson(report))}\n` : formatReport(report));
  });
}

/** Maps failures to exit codes: wrong answers 1, bad input 2; anything else is a bug and propagates. */
async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ReplayMismatchError || e instanceof BenchMismatchError) {
      process.stderr.write(`error: wrong answers: ${e.message}\n`);
      if (e instanceof ReplayMismatchError) {
        for (const m of e.report.mismatches) process.stderr.write(`  ${m.kind} ${m.what}: expected ${m.expected}, got ${m.actual}\n`);
      }
      process.exitCode = EXIT_MISMATCH;
      return;
    }
    if (e instanceof WorkloadFormatError || e instanceof AuthzError) {
      // AuthzError here: the workload's own schema or relationships were refused (bad input, not a bug).
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    throw e;
  }
}
