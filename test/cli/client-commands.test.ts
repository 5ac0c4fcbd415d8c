/**
 * The client commands in-process against the gRPC adapter over a real socket (with the fake service:
 * these tests are about the CLI's parsing, output and exit codes; e2e.test.ts runs the real server).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeService, type FakeService } from '../api/grpc/fake-service.js';
import { startHarness, type Harness } from '../api/grpc/setup.js';
import { runCli } from './run-cli.js';

let dir: string;
let service: FakeService;
let h: Harness;
let ep: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-cli-'));
});
beforeEach(async () => {
  service = createFakeService();
  h = await startHarness(service);
  ep = ['--endpoint', `127.0.0.1:${h.port}`];
  await h.client.unary('schema', 'WriteSchema', { schema: 'definition user {}' });
});
afterEach(() => h.close());
afterAll(() => {
  delete process.env.WARDEN_PRESHARED_KEY;
});

const file = async (name: string, text: string) => {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
};

describe('schema', () => {
  it('writes from a file and from stdin, and reads back', async () => {
    const w = await runCli(['schema', 'write', await file('s.zed', 'definition user {}\ndefinition doc {}'), ...ep]);
    expect(w).toEqual({ code: 0, stdout: 'z2\n', stderr: '' });
    const fromStdin = await runCli(['schema', 'write', '-', ...ep], { stdin: 'definition team {}' });
    expect(fromStdin.stdout).toBe('z3\n');
    const r = await runCli(['schema', 'read', ...ep]);
    expect(r).toEqual({ code: 0, stdout: 'definition team {}\n', stderr: '' });
  });

  it('prints a server error as `error: <message> (<CODE>)` with exit 2', async () => {
    const r = await runCli(['schema', 'write', await file('bad.zed', 'nonsense'), ...ep]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: 1:1: expected `definition` (INVALID_ARGUMENT)\n' });
  });

  it('reports an unreadable file without a stack trace', async () => {
    const r = await runCli(['schema', 'write', join(dir, 'missing.zed'), ...ep]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot read .*missing\.zed: ENOENT\n$/);
  });
});

describe('rel', () => {
  it('writes (touch, --create, --delete) and reads with filters', async () => {
    expect((await runCli(['rel', 'write', 'doc:1#viewer@user:ana', 'doc:2#viewer@user:bob', ...ep])).stdout).toBe('z2\n');
    const dup = await runCli(['rel', 'write', '--create', 'doc:1#viewer@user:ana', ...ep]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already exists \(ALREADY_EXISTS\)\n$/);
    await runCli(['rel', 'write', '--delete', 'doc:2#viewer@user:bob', ...ep]);
    await runCli(['rel', 'write', 'doc:3#viewer@user:ana', 'folder:1#viewer@user:ana', ...ep]);
    const read = await runCli(['rel', 'read', '--resource-type', 'doc', '--subject', 'user:ana', ...ep]);
    expect(read).toEqual({ code: 0, stdout: 'doc:1#viewer@user:ana\ndoc:3#viewer@user:ana\n', stderr: '' });
    expect(service.received.at(-1)?.req).toMatchObject({ filter: { resourceType: 'doc', subject: 'user:ana' } });
  });

  it('read --limit tells how to continue', async () => {
    await runCli(['rel', 'write', 'doc:1#viewer@user:a', 'doc:2#viewer@user:a', 'doc:3#viewer@user:a', ...ep]);
    const first = await runCli(['rel', 'read', '--limit', '2', ...ep]);
    expect(first.stdout).toBe('doc:1#viewer@user:a\ndoc:2#viewer@user:a\n');
    const cursor = /--cursor (\S+)/.exec(first.stderr)![1]!;
    const rest = await runCli(['rel', 'read', '--cursor', cursor, ...ep]);
    expect(rest).toEqual({ code: 0, stdout: 'doc:3#viewer@user:a\n', stderr: '' });
  });

  it('delete needs a filter, and says when more match', async () => {
    await runCli(['rel', 'write', 'doc:1#viewer@user:a', 'doc:2#viewer@user:a', 'doc:3#viewer@user:a', ...ep]);
    const none = await runCli(['rel', 'delete', ...ep]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: give at least one of --resource-type/);
    const some = await runCli(['rel', 'delete', '--resource-type', 'doc', '--limit', '2', ...ep]);
    expect(some.stdout).toBe('deleted 2 relationships at zookie z3; more match: run again\n');
    const rest = await runCli(['rel', 'delete', '--resource-type', 'doc', ...ep]);
    expect(rest.stdout).toBe('deleted 1 relationship at zookie z4\n');
  });

  it('refuses a bad --limit as a usage error', async () => {
    const r = await runCli(['rel', 'read', '--limit', 'lots', ...ep]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--limit must be a positive integer/);
  });
});

describe('check', () => {
  beforeEach(() => runCli(['rel', 'write', 'doc:1#viewer@user:ana', ...ep]));

  it('prints true with exit 0, false with exit 1', async () => {
    expect(await runCli(['check', 'doc:1', 'viewer', 'user:ana', ...ep])).toEqual({ code: 0, stdout: 'true\n', stderr: '' });
    expect(await runCli(['check', 'doc:1', 'viewer', 'user:bob', ...ep])).toEqual({ code: 1, stdout: 'false\n', stderr: '' });
  });

  it('--json prints the zookie; --zookie reads at least as fresh', async () => {
    const r = await runCli(['check', 'doc:1', 'viewer', 'user:ana', '--json', '--zookie', 'z2', ...ep]);
    expect(JSON.parse(r.stdout)).toEqual({ allowed: true, zookie: 'z2' });
    expect(service.received.at(-1)?.req).toMatchObject({ consistency: { atLeastAsFresh: 'z2' } });
    await runCli(['check', 'doc:1', 'viewer', 'user:ana', '--fully-consistent', ...ep]);
    expect(service.received.at(-1)?.req).toMatchObject({ consistency: { fullyConsistent: true } });
  });

  it('refuses two consistency flags', async () => {
    const r = await runCli(['check', 'doc:1', 'viewer', 'user:ana', '--zookie', 'z1', '--fully-consistent', ...ep]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: give at most one of --zookie, --at-exact-snapshot and --fully-consistent\n' });
  });

  it('bad input is exit 2 with the server message', async () => {
    const r = await runCli(['check', 'doc', 'viewer', 'user:ana', ...ep]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: `resource`: `doc` is not type:id (INVALID_ARGUMENT)\n' });
  });
});

describe('lookups and expand', () => {
  beforeEach(() =>
    runCli(['rel', 'write', 'doc:1#viewer@user:ana', 'doc:2#viewer@user:ana', 'doc:3#viewer@user:ana', 'doc:4#viewer@user:ana', 'doc:1#viewer@user:*', ...ep]),
  );

  it('lookup-resources prints type:id lines across pages', async () => {
    const r = await runCli(['lookup-resources', 'doc', 'viewer', 'user:ana', ...ep]);
    expect(r).toEqual({ code: 0, stdout: 'doc:1\ndoc:2\ndoc:3\ndoc:4\n', stderr: '' });
    const limited = await runCli(['lookup-resources', 'doc', 'viewer', 'user:ana', '--limit', '3', ...ep]);
    expect(limited.stdout).toBe('doc:1\ndoc:2\ndoc:3\n');
    expect(limited.stderr).toMatch(/^more resources follow: --cursor \S+\n$/);
  });

  it('lookup-subjects prints subjects, wildcards with their exclusions', async () => {
    const r = await runCli(['lookup-subjects', 'doc:1', 'viewer', 'user', ...ep]);
    expect(r).toEqual({ code: 0, stdout: 'user:* except user:banned\nuser:ana\n', stderr: '' });
  });

  it('expand prints an indented tree', async () => {
    const r = await runCli(['expand', 'doc:1', 'viewer', ...ep]);
    expect(r.stdout).toBe(['doc:1#viewer (union)', '  doc:1#viewer (leaf)', '    user:*', '    user:ana', '  doc:1#nobody (leaf, truncated)', ''].join('\n'));
  });
});

describe('import and export', () => {
  it('imports lines, NDJSON and validation YAML; twice is safe; the summary line has count, time, rate and zookie', async () => {
    const lines = await file('rels.txt', '// header\ndoc:1#viewer@user:a\n\ndoc:2#viewer@user:b\n');
    const ndjson = await file('rels.ndjson', '{"relationship":"doc:3#viewer@user:c"}\n{"resource":"doc:4","relation":"viewer","subject":"user:d"}\n');
    const yaml = await file('v.yaml', 'schema: definition user {}\nrelationships: |-\n  doc:5#viewer@user:e\n  doc:6#viewer@user:f\nassertions: {}\n');
    for (let run = 0; run < 2; run++) {
      for (const [f, n] of [
        [lines, 2],
        [ndjson, 2],
        [yaml, 2],
      ] as const) {
        const r = await runCli(['import', f, '--batch-size', '1', ...ep]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^imported ${n} relationships in \\d+\\.\\d\\d s \\(\\d+/s\\), zookie z\\d+\\n$`));
      }
    }
    const exported = await runCli(['export', ...ep]);
    expect(exported.stdout.trim().split('\n')).toEqual([1, 2, 3, 4, 5, 6].map((i) => `doc:${i}#viewer@user:${'abcdef'[i - 1]}`));
  });

  it('a bad line fails with its line number; the lines before it stay imported', async () => {
    const f = await file('bad.txt', 'doc:1#viewer@user:a\ndoc:2#viewer@user:b\nnot a relationship\n');
    const r = await runCli(['import', f, '--batch-size', '1', ...ep]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: line 3: .*not a relationship.* \(INVALID_ARGUMENT\)\n$/);
    expect((await runCli(['export', ...ep])).stdout).toBe('doc:1#viewer@user:a\ndoc:2#viewer@user:b\n');
  });

  it('bad JSON and a YAML without relationships are local errors', async () => {
    const json = await runCli(['import', await file('bad.ndjson', '{"relationship":\n'), ...ep]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/^error: .*bad\.ndjson:1: not valid JSON/);
    const yaml = await runCli(['import', await file('empty.yaml', 'schema: definition user {}\n'), ...ep]);
    expect(yaml.stderr).toMatch(/has no `relationships:` block/);
  });

  it('export --resource-type filters', async () => {
    await runCli(['rel', 'write', 'doc:1#viewer@user:a', 'folder:1#viewer@user:a', ...ep]);
    expect((await runCli(['export', '--resource-type', 'folder', ...ep])).stdout).toBe('folder:1#viewer@user:a\n');
  });
});

describe('watch', () => {
  it('prints changes as they commit and stops cleanly on Ctrl-C', async () => {
    const r = await runCli(['watch', ...ep], {
      during: async () => {
        await expect.poll(() => service.received.some((x) => x.method === 'watch')).toBe(true);
        await h.client.unary('relationships', 'WriteRelationships', {
          updates: [{ operation: 'OPERATION_TOUCH', relationship: 'doc:1#viewer@user:a' }],
        });
        await h.client.unary('relationships', 'WriteRelationships', {
          updates: [{ operation: 'OPERATION_DELETE', relationship: 'doc:1#viewer@user:a' }],
        });
        // Give the stream a moment to deliver before "Ctrl-C".
        await new Promise((r) => setTimeout(r, 200));
        process.emit('SIGINT');
      },
    });
    expect(r).toEqual({ code: 0, stdout: 'z2 touch doc:1#viewer@user:a\nz3 delete doc:1#viewer@user:a\n', stderr: '' });
  });
});

describe('connection', () => {
  it('an unreachable server is one clear line and exit 2', async () => {
    const port = h.port;
    await h.close();
    const r = await runCli(['check', 'doc:1', 'viewer', 'user:ana', '--endpoint', `127.0.0.1:${port}`]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `cannot reach Warden at 127.0.0.1:${port}: is \`warden serve\` running?\n` });
  });

  it('sends --token or WARDEN_PRESHARED_KEY as the bearer key', async () => {
    const locked = await startHarness(createFakeService(), { presharedKey: 'k3y' });
    try {
      const lep = ['--endpoint', `127.0.0.1:${locked.port}`];
      const denied = await runCli(['schema', 'write', '-', ...lep], { stdin: 'definition user {}' });
      expect(denied.code).toBe(2);
      expect(denied.stderr).toMatch(/preshared key.*\(UNAUTHENTICATED\)\n$/);
      expect((await runCli(['schema', 'write', '-', '--token', 'k3y', ...lep], { stdin: 'definition user {}' })).stdout).toBe('z1\n');
      process.env.WARDEN_PRESHARED_KEY = 'k3y';
      expect((await runCli(['schema', 'read', ...lep])).stdout).toBe('definition user {}\n');
    } finally {
      delete process.env.WARDEN_PRESHARED_KEY;
      await locked.close();
    }
  });
});
