/**
 * The real `warden` binary (bin/warden.js over the tsc build) against the real server: what a user types.
 * Builds dist/ first, so it also proves the build compiles.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_SCHEMA, startRealServer, type RealServer } from '../api/grpc/real-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/warden.js');
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function warden(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

let s: RealServer;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  // dist/ is built once by test/global-setup.ts.
  s = await startRealServer();
  env = { WARDEN_ENDPOINT: s.endpoint };
  dir = await mkdtemp(join(tmpdir(), 'warden-bin-'));
}, 300_000);
afterAll(() => s?.close());

describe('warden (binary)', () => {
  it('lists the client commands in --help', async () => {
    const r = await warden(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['schema', 'rel', 'import', 'export', 'check', 'lookup-resources', 'lookup-subjects', 'expand', 'watch']) expect(r.stdout).toContain(c);
  });

  it('an unreachable server: one line, exit 2, no stack trace', async () => {
    const port = await freePort();
    const r = await warden(['check', 'channel:wa1', 'send', 'user:ana', '--endpoint', `127.0.0.1:${port}`]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `cannot reach Warden at 127.0.0.1:${port}: is \`warden serve\` running?\n` });
    // The default endpoint is the one named when nothing is given.
    const d = await warden(['schema', 'read'], {});
    if (d.code === 2 && d.stderr.startsWith('cannot reach')) expect(d.stderr).toBe('cannot reach Warden at 127.0.0.1:50051: is `warden serve` running?\n');
  });

  it('a usage error is exit 2', async () => {
    const r = await warden(['check', 'channel:wa1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument/);
  });

  it('writes a schema and relationships, then checks (exit 0 allowed, 1 denied) at the zookie written', async () => {
    const schemaFile = join(dir, 'schema.zed');
    await writeFile(schemaFile, E2E_SCHEMA);
    expect((await warden(['schema', 'write', schemaFile], env)).code).toBe(0);
    const w = await warden(['rel', 'write', 'channel:wa1#assigned_user@user:ana', 'channel:wa1#banned@user:bob'], env);
    expect(w.code).toBe(0);
    const zookie = w.stdout.trim();
    expect(await warden(['check', 'channel:wa1', 'send', 'user:ana', '--zookie', zookie], env)).toEqual({ code: 0, stdout: 'true\n', stderr: '' });
    expect(await warden(['check', 'channel:wa1', 'send', 'user:bob', '--zookie', zookie], env)).toEqual({ code: 1, stdout: 'false\n', stderr: '' });
    const bad = await warden(['check', 'channel:wa1', 'fly', 'user:ana'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*fly.* \(FAILED_PRECONDITION\)\n$/);
  });

  it('imports a file twice (safe), then lookups, expand and export see it', async () => {
    const file = join(dir, 'rels.txt');
    const rels = Array.from({ length: 1500 }, (_, i) => `channel:c${String(i).padStart(4, '0')}#assigned_team@team:t1#member`);
    await writeFile(file, `team:t1#member@user:zoe\n${rels.join('\n')}\n`);
    let zookie = '';
    for (let i = 0; i < 2; i++) {
      const r = await warden(['import', file], env);
      expect(r.code).toBe(0);
      const m = /^imported 1501 relationships in \d+\.\d\d s \(\d+\/s\), zookie (\S+)\n$/.exec(r.stdout);
      expect(m, r.stdout + r.stderr).not.toBeNull();
      zookie = m![1]!;
    }
    const lr = await warden(['lookup-resources', 'channel', 'send', 'user:zoe', '--zookie', zookie], env);
    expect(lr.stdout.trim().split('\n')).toHaveLength(1500);
    const ls = await warden(['lookup-subjects', 'channel:c0001', 'send', 'user', '--zookie', zookie], env);
    expect(ls.stdout).toBe('user:zoe\n');
    const ex = await warden(['expand', 'channel:c0001', 'send', '--zookie', zookie], env);
    expect(ex.stdout.split('\n')[0]).toMatch(/^channel:c0001#send \(/);
    expect(ex.stdout).toContain('team:t1#member');
    const exported = await warden(['export', '--zookie', zookie, '--resource-id-prefix', 'c', '--resource-type', 'channel'], env);
    expect(exported.stdout.trim().split('\n')).toEqual(rels);
  });

  it('watch prints changes as they commit and exits 0 on Ctrl-C', async () => {
    const start = (await warden(['rel', 'write', 'channel:w0#assigned_user@user:ana'], env)).stdout.trim();
    const child = spawn(process.execPath, [BIN, 'watch', '--after', start], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await warden(['rel', 'write', 'channel:w1#assigned_user@user:ana'], env);
    await warden(['rel', 'write', '--delete', 'channel:w1#assigned_user@user:ana'], env);
    await expect.poll(() => stdout.split('\n').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(1).join(' '))).toEqual(['touch channel:w1#assigned_user@user:ana', 'delete channel:w1#assigned_user@user:ana']);
  });
});
