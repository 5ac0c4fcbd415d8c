// Turns repeated runs into the reported rows (medians, ratio to the floor, the targets) and
// prints them as a Markdown table, the form bench/RESULTS.md keeps.
import { median } from './stats.mjs';

// From the performance issue. HTTP's target names no concurrency; it is judged where gRPC's is (64),
// the point where the server, not the client's round trips, sets the pace.
const TARGETS = {
  'grpc-check': { concurrency: 64, ratio: 0.8, text: '≥ 80 % of floor at 64' },
  'http-check': { concurrency: 64, ratio: 0.8, text: '≥ 80 % of floor at 64' },
  'grpc-bulk': { absolute: 200_000, text: '≥ 200,000 checks/s' },
};

export const UNITS = { 'grpc-check': 'checks/s', 'grpc-bulk': 'checks/s', 'http-check': 'requests/s' };

function summarise(runs) {
  if (runs.length === 0) return null;
  const pick = (f) => median(runs.map(f));
  return {
    throughput: pick((r) => r.throughput),
    callsPerSecond: pick((r) => r.callsPerSecond),
    p50: pick((r) => r.latency.p50),
    p95: pick((r) => r.latency.p95),
    p99: pick((r) => r.latency.p99),
    cpuServer: pick((r) => r.cpu?.server),
    cpuLoadGenerator: pick((r) => r.cpu?.loadGenerator),
    serverCpuUsPerUnit: pick((r) => r.serverCpuUsPerUnit),
    runs,
  };
}

/** One row per (scenario, concurrency) of a size, from `runs` keyed `${scenario}/${concurrency}/${target}`. */
export function buildRows(plan, runs) {
  return plan.map(({ scenario, concurrency }) => {
    const warden = summarise(runs.get(`${scenario}/${concurrency}/warden`) ?? []);
    const floor = summarise(runs.get(`${scenario}/${concurrency}/floor`) ?? []);
    const ratio = warden && floor && floor.throughput > 0 ? warden.throughput / floor.throughput : null;
    const t = TARGETS[scenario];
    let target = null;
    if (t.absolute !== undefined && warden) target = { text: t.text, met: warden.throughput >= t.absolute };
    else if (t.ratio !== undefined && concurrency === t.concurrency && ratio !== null) target = { text: t.text, met: ratio >= t.ratio };
    const failedRequests = [...(runs.get(`${scenario}/${concurrency}/warden`) ?? []), ...(runs.get(`${scenario}/${concurrency}/floor`) ?? [])].reduce((n, r) => n + r.errors, 0);
    return { scenario, concurrency, unit: UNITS[scenario], warden, floor, ratio, target, failedRequests };
  });
}

const int = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const ms = (n) => {
  if (n === null || n === undefined) return '–';
  if (n < 1) return n.toFixed(3);
  if (n < 10) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return n.toFixed(0);
};
const pct = (n) => (n === null || n === undefined ? '–' : `${Math.round(n * 100)} %`);
const cpu = (s) => (s && s.cpuServer !== null ? `${pct(s.cpuServer)} / ${pct(s.cpuLoadGenerator)}` : '–');
const us = (n) => (n === null || n === undefined ? '–' : n < 10 ? n.toFixed(1) : Math.round(n).toString());

export function markdownTable(sizes) {
  const head = [
    'size',
    'scenario',
    'in flight',
    'Warden /s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'floor /s',
    'floor p50',
    'floor p99',
    'Warden / floor',
    'server CPU µs per check, Warden / floor',
    'CPU % server / loadgen',
    'target',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 || i === head.length - 1 ? '---' : '---:')).join('|')}|`];
  for (const size of sizes) {
    for (const r of size.rows) {
      const w = r.warden;
      const f = r.floor;
      let target = r.target ? `${r.target.met ? 'met' : 'MISSED'} (${r.target.text})` : '';
      if (r.failedRequests > 0) target = `${target}${target ? '; ' : ''}${r.failedRequests} failed requests`;
      lines.push(
        `| ${size.label} | ${r.scenario} | ${r.concurrency} | ${int(w?.throughput)} | ${ms(w?.p50)} | ${ms(w?.p95)} | ${ms(w?.p99)} | ${int(f?.throughput)} | ${ms(f?.p50)} | ${ms(f?.p99)} | ${pct(r.ratio)} | ${us(w?.serverCpuUsPerUnit)} / ${us(f?.serverCpuUsPerUnit)} | ${cpu(w)} | ${target} |`,
      );
    }
  }
  return lines.join('\n');
}

export function notes(result) {
  const o = result.options;
  return [
    `Medians of ${o.repeats} runs of ${o.durationS} s (after ${o.warmupS} s warm-up) per scenario and target; ` +
      `gRPC over ${o.channels} channels; CheckBulk ${o.bulkSize} checks per call (its /s are checks, its latency is per call); ` +
      `HTTP Check is autocannon, one request in flight per connection. ` +
      `CPU %: the server's and the load generator's share of one core during the run; CPU µs per check: the server's CPU time over the checks it answered (steadier than throughput on a shared machine).`,
    ...result.sizes.map(
      (s) =>
        `${s.label}: ${int(s.relationships)} relationships loaded in ${s.importSeconds?.toFixed(1)} s over HTTP; Warden RSS after load ${int(s.rssAfterLoadMiB)} MiB, after the runs ${int(s.rssAfterRunsMiB)} MiB; ` +
        `${int(s.answersChecked)} answers verified, ${s.mismatches} mismatches` +
        (s.restarts?.length ? `; Warden was stopped from outside ${s.restarts.length} time(s) and restarted (the run in progress was repeated).` : '.'),
    ),
  ].join('\n');
}
