#!/usr/bin/env node
// Turns the JSON reports of `warden bench run --json` into the Markdown tables of RESULTS.md:
//   node bench/summarize.mjs results/own-small.json results/own-medium.json ...
// One column per report (workload), one row per figure; targets and SpiceDB's figures beside them.
import { readFileSync } from 'node:fs';

const reports = process.argv.slice(2).map((f) => ({ file: f, r: JSON.parse(readFileSync(f, 'utf8')) }));
if (reports.length === 0) {
  console.error('usage: node bench/summarize.mjs REPORT.json...');
  process.exit(2);
}

const ms = (v) => (v === undefined ? '' : v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 2 : 1)} µs` : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
const int = (v) => (v === undefined ? '' : Math.round(v).toLocaleString('en-US'));
const med = (r, s) => r.results.find((x) => x.scenario === s)?.median;

const rows = [
  ['Check warm, ops/s (wall)', (r) => int(med(r, 'check-warm')?.opsPerSec)],
  ['Check warm, ops/CPU-s', (r) => int(med(r, 'check-warm')?.values?.opsPerCpuSec)],
  ['Check warm p50 / p95 / p99', (r) => lat(med(r, 'check-warm'))],
  ['Check cold, ops/s (wall)', (r) => int(med(r, 'check-cold')?.opsPerSec)],
  ['Check cold, ops/CPU-s', (r) => int(med(r, 'check-cold')?.values?.opsPerCpuSec)],
  ['Check cold p50 / p95 / p99', (r) => lat(med(r, 'check-cold'))],
  ['Check first-seen (cache emptied per pass), ops/s', (r) => int(med(r, 'check-first')?.opsPerSec)],
  ['Check first-seen, ops/CPU-s', (r) => int(med(r, 'check-first')?.values?.opsPerCpuSec)],
  ['Check first-seen p50 / p95 / p99', (r) => lat(med(r, 'check-first'))],
  ['Check uncached (no cache), ops/s', (r) => int(med(r, 'check-uncached')?.opsPerSec)],
  ['Check uncached p50 / p95 / p99', (r) => lat(med(r, 'check-uncached'))],
  ['Check via WardenService, ops/s', (r) => int(med(r, 'check-service')?.opsPerSec)],
  ['Check via WardenService p50 / p95 / p99', (r) => lat(med(r, 'check-service'))],
  ['LookupResources cold p50 / p95 / p99', (r) => lat(med(r, 'lookup-resources'))],
  ['LookupResources cold, CPU-time p50 / p99', (r) => cpuLat(med(r, 'lookup-resources'))],
  ['LookupResources warm p50 / p95 / p99', (r) => lat(med(r, 'lookup-resources-warm'))],
  ['LookupSubjects cold p50 / p95 / p99', (r) => lat(med(r, 'lookup-subjects'))],
  ['LookupSubjects cold, CPU-time p50 / p99', (r) => cpuLat(med(r, 'lookup-subjects'))],
  ['LookupSubjects warm p50 / p95 / p99', (r) => lat(med(r, 'lookup-subjects-warm'))],
  ['Import into SQLite (Datastore.write, 5k/batch), rel/s', (r) => int(med(r, 'import-sqlite')?.values?.relationshipsPerSec)],
  ['Import end to end (ImportRelationships), rel/s', (r) => int((r.replay.relationships * 1000) / r.replay.importMs)],
  ['Start-up from SQLite', (r) => ms(med(r, 'startup-sqlite')?.values?.ms)],
  ['Start-up per relationship', (r) => { const v = med(r, 'startup-sqlite')?.values?.usPerRelationship; return v === undefined ? '' : `${v.toFixed(1)} µs`; }],
  ['RSS per relationship after start-up', (r) => bytes(med(r, 'startup-sqlite')?.values?.rssBytesPerRelationship)],
  ['RSS per relationship, index alone', (r) => bytes(med(r, 'memory-index')?.values?.rssBytesPerRelationship)],
  ['V8 heap + ArrayBuffers per relationship, index alone', (r) => { const v = med(r, 'memory-index')?.values; return v === undefined ? '' : `${bytes(v.heapBytesPerRelationship)} + ${bytes(v.arrayBufferBytesPerRelationship)}`; }],
  ['CPU share we got (check-warm run)', (r) => { const v = med(r, 'check-warm')?.values?.cpuShare; return v === undefined ? '' : v.toFixed(2); }],
];

function lat(m) {
  return m === undefined || m.p50Ms === undefined ? '' : `${ms(m.p50Ms)} / ${ms(m.p95Ms)} / ${ms(m.p99Ms)}`;
}
function cpuLat(m) {
  return m?.values?.cpuP50Ms === undefined ? '' : `${ms(m.values.cpuP50Ms)} / ${ms(m.values.cpuP99Ms)}`;
}
function bytes(v) {
  return v === undefined ? '' : `${Math.round(v)} B`;
}

const head = reports.map(({ r }) => `${r.workload.generator} ${r.workload.size} (${int(r.workload.relationships)} rel)`);
console.log(`| figure | ${head.join(' | ')} |`);
console.log(`|---|${head.map(() => '---').join('|')}|`);
for (const [label, f] of rows) console.log(`| ${label} | ${reports.map(({ r }) => f(r)).join(' | ')} |`);
console.log('');
for (const { file, r } of reports) {
  console.log(`${file}: ${r.date}, load average ${r.machine.loadavgBefore.map((x) => x.toFixed(1)).join(' ')} → ${r.machine.loadavgAfter.map((x) => x.toFixed(1)).join(' ')}, replay mismatches ${r.replay.mismatchCount}, ${r.repeat} runs`);
  for (const t of r.targets) console.log(`  ${t.label}: ${t.value === undefined ? '-' : t.value.toFixed(3)} vs ${t.target} → ${t.status}`);
  for (const p of r.spicedb) console.log(`  SpiceDB ${p.scenario} ${p.field}: Warden ${p.warden.toFixed(3)} vs ${p.spicedb.text} → ${p.timesBetter.toFixed(1)}× better`);
}
