#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. the Warden process of a run with
// --server-node-args "--cpu-prof --cpu-prof-dir=DIR"): the functions with the most self time, and self
// time per source area (Warden's own directories, each dependency, node internals), and the functions
// with the most total time (self + callees), so that a missed target can be pinned on a file and a
// function. The profile spans the server's whole life, loading included: --last keeps only the final
// seconds (the measured run, when the run had one scenario), --skip drops the first ones.
//   node bench/wire/profile-top.mjs PROFILE.cpuprofile [--top 25] [--last S | --skip S]
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : undefined;
};
const file = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
const top = option('--top') ?? 25;
if (!file) {
  console.error('usage: node bench/wire/profile-top.mjs PROFILE.cpuprofile [--top N] [--last S | --skip S]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample i was taken timeDeltas[0..i] after startTime; keep those inside the window asked for.
const spanUs = profile.endTime - profile.startTime;
const fromUs = option('--last') !== undefined ? spanUs - option('--last') * 1e6 : (option('--skip') ?? 0) * 1e6;
const selfUs = new Map();
const totalByFn = new Map();
let totalUs = 0;
let at = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  at += dt;
  if (at < fromUs) continue;
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  totalUs += dt;
  // Total time: every function on the sampled stack, each once however deep it recurses.
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const k = fnKey(byId.get(n).callFrame);
    if (!seen.has(k)) {
      seen.add(k);
      totalByFn.set(k, (totalByFn.get(k) ?? 0) + dt);
    }
  }
}

function fnKey(cf) {
  const where = cf.url ? `${cf.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}` : '';
  return `${cf.functionName || '(anonymous)'} ${where}`.trim();
}

function area(url) {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `warden ${url.slice(dist + 1).split('/').slice(0, 3).join('/')}`;
  return url.replace(/^file:\/\//, '');
}

const fns = new Map();
const areas = new Map();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = fnKey(cf);
  fns.set(key, (fns.get(key) ?? 0) + us);
  const a = cf.functionName === '(idle)' ? '(idle)' : cf.functionName === '(garbage collector)' ? '(garbage collector)' : area(cf.url);
  areas.set(a, (areas.get(a) ?? 0) + us);
}

const pct = (us) => `${((100 * us) / totalUs).toFixed(1).padStart(5)} %`;
const busyUs = totalUs - (areas.get('(idle)') ?? 0);
console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled (of ${(spanUs / 1e6).toFixed(1)} s), ${(busyUs / 1e6).toFixed(1)} s busy (${pct(busyUs).trim()})\n`);
console.log('self time by area:');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${a}`);
console.log('\nself time by function:');
for (const [k, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
console.log('\ntotal time (self + callees) by function, Warden and dependencies only:');
const ownOrDep = [...totalByFn].filter(([k]) => / (dist|node_modules)\//.test(k));
for (const [k, us] of ownOrDep.sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
