/**
 * `warden validate` end to end: the real bin (bin/warden.js -> dist/cli/main.js) in a subprocess, for
 * its exit codes and its --json contract.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'warden.js');
let dir = '';

const GOOD = `schema: |-
  definition user {}
  definition document {
      relation viewer: user
      permission view = viewer
  }
relationships: |-
  document:1#viewer@user:alice
assertions:
  assertTrue:
    - document:1#view@user:alice
  assertFalse:
    - document:1#view@user:bob
validation:
  document:1#view:
    - "[user:alice] is <document:1#viewer>"
`;

const FAILING = GOOD.replace('    - document:1#view@user:bob', '    - document:1#view@user:alice');
const BAD = GOOD.replace('document:1#viewer@user:alice\n', 'document:1#viewer@user:alice\n  document:1#owner@user:alice\n');

function warden(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // dist/ is built once by test/global-setup.ts.
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: the global setup should have built it');
  dir = mkdtempSync(join(tmpdir(), 'warden-validate-'));
  writeFileSync(join(dir, 'good.yaml'), GOOD);
  writeFileSync(join(dir, 'failing.yaml'), FAILING);
  writeFileSync(join(dir, 'bad.yaml'), BAD);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('warden validate', () => {
  it('exits 0 when everything holds, and --json prints exactly one JSON object', () => {
    const good = join(dir, 'good.yaml');
    const r = warden('validate', '--json', good);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('}\n')).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      files: [
        {
          file: good,
          error: null,
          assertions: [
            { assertion: 'document:1#view@user:alice', expected: 'true', actual: 'true', ok: true },
            { assertion: 'document:1#view@user:bob', expected: 'false', actual: 'false', ok: true },
            { assertion: 'document:1#view', expected: 'true', actual: 'true', ok: true },
          ],
        },
      ],
    });
  });

  it('validates the shared-inbox example', () => {
    const r = warden('validate', 'examples/workspace/workspace.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}examples\/workspace\/workspace\.yaml: \d+ assertions hold/);
  });

  it('exits 1 when an assertion fails, naming it with expected and actual', () => {
    const failing = join(dir, 'failing.yaml');
    const human = warden('validate', failing);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`${failing}:13:7: document:1#view@user:alice: expected false, got true`);
    const json = warden('validate', '--json', failing);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { files: { assertions: { ok: boolean; assertion: string; expected: string; actual: string }[] }[] };
    expect(report.files[0]!.assertions.filter((a) => !a.ok)).toMatchObject([{ assertion: 'document:1#view@user:alice', expected: 'false', actual: 'true' }]);
  });

  it('exits 2 when a file cannot be loaded, with its line, and still runs the others', () => {
    const bad = join(dir, 'bad.yaml');
    const good = join(dir, 'good.yaml');
    const r = warden('validate', '--json', bad, good, join(dir, 'missing.yaml'));
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { files: { file: string; error: string | null; assertions: unknown[] }[] };
    expect(report.files.map((f) => f.file)).toEqual([bad, good, join(dir, 'missing.yaml')]);
    expect(report.files[0]!.error).toMatch(new RegExp(`^${escape(bad)}:9:3: .*document:1#owner@user:alice`));
    expect(report.files[0]!.assertions).toEqual([]);
    expect(report.files[1]).toMatchObject({ error: null });
    expect(report.files[1]!.assertions).toHaveLength(3);
    expect(report.files[2]!.error).toMatch(/cannot read the file/);
  });

  it('exits 2 when there are both failures and load errors', () => {
    const r = warden('validate', join(dir, 'failing.yaml'), join(dir, 'bad.yaml'));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('FAIL');
    expect(r.stdout).toContain('ERROR');
  });

  it('exits 2 on bad usage', () => {
    expect(warden('validate').code).toBe(2);
    expect(warden('validate', '--no-such-flag', join(dir, 'good.yaml')).code).toBe(2);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
