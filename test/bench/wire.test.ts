/**
 * The over-the-wire bench harness (bench/wire/run.mjs) end to end on a hand-written tiny workload: the
 * real binary in its own process, the echo floors, the load generator. It checks that every scenario
 * produced figures and that every answer was verified, never how fast anything was. A wrong `expected`
 * must fail the run, or the bench could report speed for wrong answers.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN = join(ROOT, 'bench/wire/run.mjs');
const exec = promisify(execFile);

const SCHEMA = `definition user {}

definition team {
  relation member: user | team#member
}

definition channel {
  relation assigned_team: team
  relation assigned_user: user
  relation blocked: user
  permission send = (assigned_user + assigned_team->member) - blocked
}
`;

const RELATIONSHIPS = [
  'team:sales#member@user:ana',
  'team:sales#member@user:dee',
  'team:sales#member@team:emea#member',
  'team:emea#member@user:bo',
  'channel:wa1#assigned_team@team:sales',
  'channel:wa1#blocked@user:dee',
  'channel:wa2#assigned_user@user:cy',
];

const QUERIES: [string, string, boolean][] = [
  ['wa1', 'ana', true],
  ['wa1', 'bo', true], // through a nested team
  ['wa1', 'cy', false],
  ['wa1', 'dee', false], // a member, but blocked
  ['wa2', 'cy', true],
  ['wa2', 'ana', false],
];

async function writeWorkload(dir: string, flipLast = false): Promise<void> {
  const lines = QUERIES.map(([channel, user, expected], i) =>
    JSON.stringify({
      resource_type: 'channel',
      resource_id: channel,
      permission: 'send',
      subject_type: 'user',
      subject_id: user,
      expected: flipLast && i === QUERIES.length - 1 ? !expected : expected,
    }),
  );
  await writeFile(join(dir, 'schema.zed'), SCHEMA);
  await writeFile(join(dir, 'relationships.txt'), `${RELATIONSHIPS.join('\n')}\n`);
  await writeFile(join(dir, 'queries.jsonl'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ size: 'wire-test', relationships: RELATIONSHIPS.length }));
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

interface Side {
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
}
interface Row {
  scenario: string;
  concurrency: number;
  warden: Side;
  floor: Side;
  ratio: number;
}
interface WireResult {
  ok: boolean;
  failure: string | null;
  sizes: { label: string; relationships: number; answersChecked: number; mismatches: number; rows: Row[] }[];
}

async function runBench(workload: string): Promise<{ code: number; result: WireResult; stderr: string }> {
  const args = [RUN, '--workload', workload, '--duration', '1', '--warmup', '0.2', '--repeats', '1'];
  args.push('--concurrency', '1,4', '--bulk-concurrency', '1', '--bulk-size', '50', '--json');
  try {
    const { stdout, stderr } = await exec(process.execPath, args, { cwd: ROOT, timeout: 170_000, maxBuffer: 16 << 20 });
    return { code: 0, result: JSON.parse(stdout) as WireResult, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, result: JSON.parse(err.stdout ?? '{}') as WireResult, stderr: err.stderr ?? '' };
  }
}

let dir: string;

beforeAll(async () => {
  // The harness runs bin/warden.js, which runs dist/: rebuild it only when a source is newer, so that
  // this file does not rewrite dist/ under other tests that are running the binary.
  const distMain = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(distMain) || newestMtime(join(ROOT, 'src'), '.ts') > newestMtime(join(ROOT, 'dist'), '.js')) {
    await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 280_000 });
  }
  dir = await mkdtemp(join(tmpdir(), 'warden-wire-test-'));
}, 300_000);
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe('bench/wire/run.mjs', () => {
  it('runs every scenario against Warden and its floor, verifying every answer', async () => {
    const wl = join(dir, 'ok');
    await mkdir(wl, { recursive: true });
    await writeWorkload(wl);
    const { code, result, stderr } = await runBench(wl);
    expect(result.failure, stderr).toBeNull();
    expect(code).toBe(0);
    expect(result.ok).toBe(true);
    const [size] = result.sizes;
    expect(size.label).toBe('wire-test');
    expect(size.relationships).toBe(RELATIONSHIPS.length);
    expect(size.mismatches).toBe(0);
    expect(size.answersChecked).toBeGreaterThan(0);
    expect(size.rows.map((r) => `${r.scenario}/${r.concurrency}`)).toEqual([
      'grpc-check/1',
      'grpc-check/4',
      'grpc-bulk/1',
      'http-check/1',
      'http-check/4',
    ]);
    for (const r of size.rows) {
      for (const side of [r.warden, r.floor]) {
        expect(side.throughput).toBeGreaterThan(0);
        expect(side.p50).toBeGreaterThan(0);
        expect(side.p50).toBeLessThanOrEqual(side.p95);
        expect(side.p95).toBeLessThanOrEqual(side.p99);
      }
      expect(r.ratio).toBeGreaterThan(0);
    }
  }, 200_000);

  it('fails the run when an answer disagrees with `expected`', async () => {
    const wl = join(dir, 'wrong');
    await mkdir(wl, { recursive: true });
    await writeWorkload(wl, true);
    const { code, result } = await runBench(wl);
    expect(code).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.failure).toContain('channel:wa2#send@user:ana: expected true, got false');
  }, 200_000);
});
