/**
 * Builds dist/ once before any test file runs: the tests that spawn `node bin/warden.js` need the
 * compiled CLI, and several files building it at the same time would overwrite each other's output.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`the build does not compile:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}
