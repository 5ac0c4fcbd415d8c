/**
 * The replica tests run the real `bin/warden.js`, which loads dist/. test/global-setup.ts builds it
 * before any file runs; this only covers a run without that setup, building dist/ when it is missing,
 * once even when several test files ask at the same time (a lock directory: two concurrent `tsc` runs
 * writing the same files could leave a half-written dist behind). A stale dist is not rebuilt here:
 * rewriting it mid-run would pull it from under other files' running servers.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const ENTRY = join(REPO_ROOT, 'dist/cli/main.js');
const LOCK = join(REPO_ROOT, 'node_modules/.cache/warden-replica-tests-build.lock');
const BUILD_TIMEOUT_MS = 240_000;

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function built(): boolean {
  return mtime(ENTRY) > 0;
}

export async function ensureDist(): Promise<void> {
  if (built()) return;
  mkdirSync(join(LOCK, '..'), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another test file is building; a lock older than the build timeout was left by a killed run.
      if (Date.now() - mtime(LOCK) > BUILD_TIMEOUT_MS) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`dist/ is being built by another process for over ${BUILD_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (built()) return;
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    try {
      await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, timeout: BUILD_TIMEOUT_MS });
    } catch (e) {
      // tsc still emits when another part of the tree has a type error; only a missing entry is fatal.
      if (mtime(ENTRY) === 0) throw new Error(`building dist/ failed: ${(e as { stdout?: string }).stdout ?? String(e)}`);
      console.warn(`replica tests: tsc reported errors while building dist/; running what it emitted:\n${(e as { stdout?: string }).stdout ?? ''}`);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
