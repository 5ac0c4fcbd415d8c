/**
 * The replayer: it reads any directory in the shared format (Warden's own and, when the shared
 * generator is there, ../shared/workload's), imports through the real stack and finds zero
 * mismatches; it fails loudly when an expected answer is wrong; it refuses a malformed directory.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkloadFormatError, readWorkloadDir } from '../../src/bench/replay/read-workload.js';
import { ReplayMismatchError, replayWorkload } from '../../src/bench/replay/replay.js';
import { generateWorkload, writeWorkload } from '../../src/bench/workload/generate-workload.js';

const SHARED_GEN = fileURLToPath(new URL('../../../shared/workload/gen.mjs', import.meta.url));
const run = promisify(execFile);

let root: string;
let own: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'warden-bench-replay-'));
  own = join(root, 'own');
  writeWorkload(generateWorkload({ size: 'tiny' }), own);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('replay', () => {
  it.each(['sqlite', 'memory'] as const)("replays Warden's tiny workload on %s with zero mismatches", async (datastore) => {
    const report = await replayWorkload(readWorkloadDir(own), { datastore });
    expect(report.mismatchCount).toBe(0);
    expect(report.checks).toBe(2000);
    expect(report.lookupResources).toBe(50);
    expect(report.lookupSubjects).toBe(50);
    expect(report.relationships).toBe(generateWorkload({ size: 'tiny' }).relationships.length);
  });

  it.skipIf(!existsSync(SHARED_GEN))('replays the shared workload format (tiny, from ../shared/workload/gen.mjs) with zero mismatches', async () => {
    const dir = join(root, 'shared');
    await run(process.execPath, [SHARED_GEN, '--size', 'tiny', '--out', dir], { timeout: 60_000 });
    const report = await replayWorkload(readWorkloadDir(dir), { datastore: 'sqlite' });
    expect(report.mismatchCount).toBe(0);
    expect(report.checks).toBeGreaterThan(0);
    expect(report.lookupResources + report.lookupSubjects).toBeGreaterThan(0);
  });
  if (!existsSync(SHARED_GEN)) console.warn(`skipping the shared-format replay: ${SHARED_GEN} is not here`);

  it('fails loudly, naming the query, when an expected answer is wrong', async () => {
    const dir = join(root, 'tampered');
    cpSync(own, dir, { recursive: true });
    const lines = readFileSync(join(dir, 'queries.jsonl'), 'utf8').trimEnd().split('\n');
    const q = JSON.parse(lines[3]!) as { expected: boolean };
    q.expected = !q.expected;
    lines[3] = JSON.stringify(q);
    writeFileSync(join(dir, 'queries.jsonl'), `${lines.join('\n')}\n`);
    const lookups = JSON.parse(readFileSync(join(dir, 'lookups.json'), 'utf8')) as { lookup_subjects: { expected_count: number }[] };
    lookups.lookup_subjects[0]!.expected_count += 1;
    writeFileSync(join(dir, 'lookups.json'), JSON.stringify(lookups));
    const err = await replayWorkload(readWorkloadDir(dir), { datastore: 'memory' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayMismatchError);
    const report = (err as ReplayMismatchError).report;
    expect(report.mismatchCount).toBe(2);
    expect(report.mismatches.map((m) => m.kind)).toEqual(['check', 'lookup_subjects']);
  });

  it('refuses a directory that is not a workload, or a malformed file, naming it', () => {
    expect(() => readWorkloadDir(join(root, 'nope'))).toThrow(WorkloadFormatError);
    const dir = join(root, 'bad');
    cpSync(own, dir, { recursive: true });
    writeFileSync(join(dir, 'queries.jsonl'), '{"resource_type":"channel"}\n');
    expect(() => readWorkloadDir(dir)).toThrow(/queries\.jsonl:1: `resource_id` must be a string/);
  });
});
