/**
 * The benchmark runner and `warden bench` end to end on tiny, with tiny time budgets: every scenario
 * runs, verifies its answers and reports figures with targets. No figure is asserted against a target:
 * timing is reported by benchmarks, never tested.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { formatReport, targetRows } from '../../src/bench/report.js';
import { SCENARIOS, runBench, selectScenarios } from '../../src/bench/run-bench.js';
import { registerBenchCommand } from '../../src/cli/commands/bench.js';

const root = mkdtempSync(join(tmpdir(), 'warden-bench-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function warden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('warden').exitOverride();
  registerBenchCommand(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(((s: string) => ((stdout += s), true)) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(((s: string) => ((stderr += s), true)) as typeof process.stderr.write);
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'warden', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } catch (e) {
    if (e instanceof CommanderError) return { code: 2, stdout, stderr: stderr + e.message };
    throw e;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe('bench runner', () => {
  it('selects scenarios by name or prefix and refuses unknown ones', () => {
    expect(selectScenarios(undefined)).toEqual([...SCENARIOS]);
    expect(selectScenarios(['check'])).toEqual(['check-warm', 'check-cold', 'check-first', 'check-uncached', 'check-service']);
    expect(selectScenarios(['lookup-resources'])).toEqual(['lookup-resources']);
    expect(selectScenarios(['lookup'])).toEqual(['lookup-resources', 'lookup-resources-warm', 'lookup-subjects', 'lookup-subjects-warm']);
    expect(() => selectScenarios(['nope'])).toThrow(/unknown scenario/);
  });

  it('runs every scenario on tiny, with verified answers and a target row for each target', async () => {
    const report = await runBench({ size: 'tiny', repeat: 1, timeMs: 50 });
    expect(report.replay.mismatchCount).toBe(0);
    expect(report.workload.size).toBe('tiny');
    for (const s of report.results) {
      if (s.median.skipped !== undefined) {
        // The start-up and memory probes need the compiled build (a child process runs dist/).
        expect(['startup-sqlite', 'memory-index']).toContain(s.scenario);
        continue;
      }
      const figures = [s.median.opsPerSec, ...Object.values(s.median.values ?? {})].filter((v) => v !== undefined);
      expect(figures.length, s.scenario).toBeGreaterThan(0);
      for (const v of figures) expect(Number.isFinite(v), s.scenario).toBe(true);
    }
    const rows = targetRows(report);
    expect(rows.map((r) => r.scenario)).toContain('check-warm');
    expect(rows.every((r) => r.status.endsWith('*') || r.pass === undefined)).toBe(true);
    const text = formatReport(report);
    expect(text).toMatch(/targets \(issue 4\)/);
    expect(text).toMatch(/0 mismatches/);
  }, 120_000);
});

describe('warden bench (command)', () => {
  it('generates a workload, replays it, and runs selected scenarios as JSON', async () => {
    const dir = join(root, 'tiny');
    const gen = await warden(['bench', 'generate', '--size', 'tiny', '--out', dir, '--seed', '3']);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toMatch(/relationships/);
    expect(existsSync(join(dir, 'lookups.json'))).toBe(true);

    const replay = await warden(['bench', 'replay', '--workload', dir, '--datastore', 'memory']);
    expect(replay.stdout).toMatch(/0 mismatches/);
    expect(replay.code).toBe(0);

    const run = await warden(['bench', 'run', '--workload', dir, '--scenarios', 'check-warm,lookup-subjects', '--repeat', '1', '--time-ms', '50', '--json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { results: { scenario: string }[]; targets: unknown[]; replay: { mismatchCount: number } };
    expect(json.results.map((r) => r.scenario)).toEqual(['check-warm', 'lookup-subjects']);
    expect(json.replay.mismatchCount).toBe(0);
  }, 120_000);

  it('exits 2 on bad input', async () => {
    expect((await warden(['bench', 'replay', '--workload', join(root, 'missing')])).code).toBe(2);
    expect((await warden(['bench', 'run', '--size', 'huge'])).code).toBe(2);
    expect((await warden(['bench', 'run', '--scenarios', 'nope'])).code).toBe(2);
    expect((await warden(['bench', 'run', '--size', 'tiny', '--workload', root])).code).toBe(2);
  });
});
