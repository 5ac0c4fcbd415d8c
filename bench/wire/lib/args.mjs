// Command-line options of run.mjs. Hand-rolled rather than commander: the bench scripts import nothing
// of Warden's but the compiled proto loader, and take no dependency the server does not already have.

export const SCENARIOS = ['grpc-check', 'grpc-bulk', 'http-check'];

export const USAGE = `usage: node bench/wire/run.mjs --workload DIR [--workload DIR...] [options]

Runs Warden (bin/warden.js serve, its own process) and two echo floors (gRPC and HTTP, their own
processes), and drives them from a separate load-generator process with the workload's check queries,
verifying every answer against \`expected\`. Prints p50/p95/p99 and throughput per scenario (medians of
the repeats) and Warden's throughput as a ratio to its floor. Exit code 1 if any answer was wrong.

options:
  --workload DIR          a workload directory (schema.zed, relationships.txt, queries.jsonl); repeatable
  --datastore KIND        memory | sqlite (default memory)
  --scenarios LIST        of ${SCENARIOS.join(',')} (default all)
  --concurrency LIST      in-flight requests for grpc-check and http-check (default 1,16,64)
  --bulk-concurrency LIST in-flight CheckBulk calls (default 1,4)
  --bulk-size N           checks per CheckBulk call (default 1000)
  --channels N            gRPC channels (separate HTTP/2 connections) to spread calls over (default 4)
  --duration S            measured seconds per run (default 10)
  --warmup S              unmeasured (but verified) seconds before each run (default 2)
  --repeats N             runs per scenario and target; medians are reported (default 3)
  --max-requests N        stop a run after this many requests (checks, for CheckBulk) (default 10000000)
  --no-floor              skip the echo floors (no ratios)
  --no-prime              do not fill Warden's cache with one CheckBulk pass over the queries first
  --warden FILE           the warden script to serve with (default bin/warden.js), e.g. another build's
  --server-args ARGS      extra flags for \`warden serve\`, e.g. "--log-level warn" or "--cache-mib 256"
  --server-node-args ARGS extra node flags for the Warden process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --floor-node-args ARGS  the same for the echo servers (to profile the floor for comparison)
  --json                  print the result as JSON instead of a table
  --out FILE              also write the JSON result to FILE
  --quiet                 no progress on stderr`;

function list(v, name) {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (xs.length === 0) throw new Error(`--${name} needs a comma-separated list`);
  return xs;
}

function positive(v, name, { integer = true } = {}) {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}, got "${v}"`);
  return n;
}

export function parseArgs(argv) {
  const o = {
    workloads: [],
    datastore: 'memory',
    scenarios: [...SCENARIOS],
    concurrency: [1, 16, 64],
    bulkConcurrency: [1, 4],
    bulkSize: 1000,
    channels: 4,
    durationS: 10,
    warmupS: 2,
    repeats: 3,
    maxRequests: 10_000_000,
    floor: true,
    prime: true,
    warden: undefined,
    serverArgs: [],
    serverNodeArgs: [],
    floorNodeArgs: [],
    json: false,
    out: undefined,
    quiet: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--workload': o.workloads.push(value()); break;
      case '--datastore': {
        o.datastore = value();
        if (!['memory', 'sqlite'].includes(o.datastore)) throw new Error(`--datastore must be memory or sqlite, got "${o.datastore}"`);
        break;
      }
      case '--scenarios': {
        o.scenarios = list(value(), 'scenarios');
        const bad = o.scenarios.filter((s) => !SCENARIOS.includes(s));
        if (bad.length) throw new Error(`unknown scenario ${bad.join(', ')} (known: ${SCENARIOS.join(', ')})`);
        break;
      }
      case '--concurrency': o.concurrency = list(value(), 'concurrency').map((v) => positive(v, 'concurrency')); break;
      case '--bulk-concurrency': o.bulkConcurrency = list(value(), 'bulk-concurrency').map((v) => positive(v, 'bulk-concurrency')); break;
      case '--bulk-size': o.bulkSize = positive(value(), 'bulk-size'); break;
      case '--channels': o.channels = positive(value(), 'channels'); break;
      case '--duration': o.durationS = positive(value(), 'duration', { integer: false }); break;
      case '--warmup': o.warmupS = positive(value(), 'warmup', { integer: false }); break;
      case '--repeats': o.repeats = positive(value(), 'repeats'); break;
      case '--max-requests': o.maxRequests = positive(value(), 'max-requests'); break;
      case '--no-floor': o.floor = false; break;
      case '--no-prime': o.prime = false; break;
      case '--warden': o.warden = value(); break;
      case '--server-args': o.serverArgs = value().split(/\s+/).filter(Boolean); break;
      case '--server-node-args': o.serverNodeArgs = value().split(/\s+/).filter(Boolean); break;
      case '--floor-node-args': o.floorNodeArgs = value().split(/\s+/).filter(Boolean); break;
      case '--json': o.json = true; break;
      case '--out': o.out = value(); break;
      case '--quiet': o.quiet = true; break;
      case '-h':
      case '--help': o.help = true; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (o.help) return o;
  if (o.workloads.length === 0) throw new Error('--workload DIR is required');
  for (const [name, v] of [['concurrency', o.concurrency], ['bulk-concurrency', o.bulkConcurrency]]) {
    if (v.some((n) => n < 1)) throw new Error(`--${name} values must be at least 1`);
  }
  if (o.bulkSize < 1 || o.channels < 1 || o.repeats < 1 || o.durationS <= 0) {
    throw new Error('--bulk-size, --channels and --repeats must be at least 1, --duration above 0');
  }
  return o;
}
