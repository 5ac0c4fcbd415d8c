/** Formats a BenchReport: the per-scenario medians, each target with PASS/MISS, and SpiceDB's figures. */
import type { BenchReport } from './run-bench.js';
import { fmtMs } from './run-bench.js';
import type { ScenarioResult } from './scenarios/types.js';
import { SPICEDB, TARGETS, meets } from './targets.js';
import type { PeerFigure } from './targets.js';

export interface TargetRow {
  readonly label: string;
  readonly scenario: string;
  readonly field: string;
  readonly value: number | undefined;
  readonly target: string;
  /** PASS / MISS; with `*` when the run's size is not the size the target is set for. */
  readonly status: string;
  readonly pass: boolean | undefined;
  /** How far from the target: the ratio value / threshold. */
  readonly ratio: number | undefined;
}

export interface PeerRow {
  readonly scenario: string;
  readonly field: string;
  readonly warden: number;
  readonly spicedb: PeerFigure;
  /** How many times better Warden is (higher is better for rates, lower for times and bytes). */
  readonly timesBetter: number;
}

export function fieldOf(r: ScenarioResult, field: string): number | undefined {
  if (field === 'opsPerSec') return r.opsPerSec;
  if (field === 'p50Ms') return r.p50Ms;
  if (field === 'p95Ms') return r.p95Ms;
  if (field === 'p99Ms') return r.p99Ms;
  return r.values?.[field];
}

export function targetRows(report: BenchReport): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const t of TARGETS) {
    const s = report.results.find((x) => x.scenario === t.scenario);
    if (s === undefined) continue;
    const value = s.median.skipped === undefined ? fieldOf(s.median, t.field) : undefined;
    const pass = value === undefined ? undefined : meets(t, value);
    const elsewhere = report.workload.size !== t.atSize;
    rows.push({
      label: `${t.label} (target at ${t.atSize})`,
      scenario: t.scenario,
      field: t.field,
      value,
      target: `${t.op === '>=' ? '≥' : '≤'} ${fmtValue(t.field, t.value)}`,
      status: pass === undefined ? (s.median.skipped ?? 'n/a') : `${pass ? 'PASS' : 'MISS'}${elsewhere ? '*' : ''}`,
      pass,
      ratio: value === undefined ? undefined : value / t.value,
    });
  }
  return rows;
}

export function peerRows(report: BenchReport): PeerRow[] {
  const rows: PeerRow[] = [];
  for (const p of SPICEDB) {
    if (p.size !== report.workload.size) continue;
    const s = report.results.find((x) => x.scenario === p.scenario);
    const v = s && s.median.skipped === undefined ? fieldOf(s.median, p.field) : undefined;
    if (v === undefined || v === 0) continue;
    const higherIsBetter = p.field === 'opsPerSec' || p.field === 'relationshipsPerSec';
    rows.push({ scenario: p.scenario, field: p.field, warden: v, spicedb: p, timesBetter: higherIsBetter ? v / p.value : p.value / v });
  }
  return rows;
}

export function fmtValue(field: string, v: number): string {
  if (field.endsWith('Ms') || field === 'ms') return fmtMs(v);
  if (field === 'seconds') return `${v.toFixed(2)} s`;
  if (field === 'opsPerSec' || field === 'opsPerCpuSec') return `${fmtInt(v)}/s`;
  if (field === 'cpuShare') return v.toFixed(2);
  if (field === 'usPerRelationship') return `${v.toFixed(2)} µs/rel`;
  if (field === 'relationshipsPerSec') return `${fmtInt(v)} rel/s`;
  if (field.includes('BytesPerRelationship')) return `${v.toFixed(0)} B/rel`;
  if (field === 'cacheHitRate') return `${(v * 100).toFixed(1)} %`;
  if (field === 'rssMiB') return `${v.toFixed(1)} MiB`;
  return Number.isInteger(v) ? fmtInt(v) : v.toFixed(2);
}

function fmtInt(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

export function formatReport(report: BenchReport): string {
  const w = report.workload;
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`Warden bench — ${report.date}`);
  lines.push(`machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}; load average ${m.loadavgBefore.map((x) => x.toFixed(2)).join(' ')} → ${m.loadavgAfter.map((x) => x.toFixed(2)).join(' ')}`);
  lines.push(`workload: ${w.generator} ${w.size} (seed ${String(w.seed)}), ${fmtInt(w.relationships)} relationships, ${fmtInt(w.queries)} checks, ${w.lookupResources} + ${w.lookupSubjects} lookups; ${w.dir}`);
  const rp = report.replay;
  lines.push(
    `replay through the service: ${rp.mismatchCount} mismatches; import (parse, validate, SQLite, index) ${fmtInt((rp.relationships * 1000) / rp.importMs)} rel/s in ${(rp.importMs / 1000).toFixed(2)} s`,
  );
  lines.push(`medians of ${report.repeat} runs, ${report.timeMs} ms per timed task`);
  lines.push('');
  const table: string[][] = [['scenario', 'ops/s', 'p50', 'p95', 'p99', 'other']];
  for (const s of report.results) {
    const r = s.median;
    if (r.skipped !== undefined) {
      table.push([s.scenario, '-', '-', '-', '-', `skipped: ${r.skipped}`]);
      continue;
    }
    table.push([
      s.scenario,
      r.opsPerSec === undefined ? '' : fmtInt(r.opsPerSec),
      r.p50Ms === undefined ? '' : fmtMs(r.p50Ms),
      r.p95Ms === undefined ? '' : fmtMs(r.p95Ms),
      r.p99Ms === undefined ? '' : fmtMs(r.p99Ms),
      Object.entries(r.values ?? {})
        .filter(([k]) => k !== 'queries' && k !== 'cases' && k !== 'relationships')
        .map(([k, v]) => `${k} ${fmtValue(k, v)}`)
        .join(', '),
    ]);
  }
  lines.push(...alignTable(table));
  lines.push('');
  const targets = targetRows(report);
  if (targets.length > 0) {
    lines.push('targets (issue 4):');
    const t: string[][] = [['figure', 'value', 'target', 'status']];
    for (const row of targets) t.push([row.label, row.value === undefined ? '-' : fmtValue(row.field, row.value), row.target, row.status]);
    lines.push(...alignTable(t));
    if (targets.some((r) => r.status.endsWith('*'))) lines.push('  * measured at another size than the target is set for: indicative only');
    lines.push('');
  }
  const peers = peerRows(report);
  if (peers.length > 0) {
    const note = w.generator === 'shared' ? 'the same files' : `not these files: Warden's ${w.size} has the same sizes and a similar shape`;
    lines.push(`SpiceDB v1.54 on the shared ${w.size} workload (../shared/workload/README.md; uncached, one at a time; ${note}):`);
    const t: string[][] = [['figure', 'Warden', 'SpiceDB', 'Warden better by']];
    for (const p of peers) t.push([`${p.scenario} ${p.field}`, fmtValue(p.field, p.warden), p.spicedb.text, `${p.timesBetter >= 10 ? fmtInt(p.timesBetter) : p.timesBetter.toFixed(1)}×`]);
    lines.push(...alignTable(t));
  }
  return `${lines.join('\n')}\n`;
}

function alignTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

/** The --json shape: the report plus the derived target and peer rows. */
export function reportJson(report: BenchReport): unknown {
  return { ...report, targets: targetRows(report), spicedb: peerRows(report) };
}
