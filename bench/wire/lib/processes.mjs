// Starting and stopping the servers under test, each in its own process. A server's stdout goes to a
// file, not a pipe: Warden writes a log line per request, synchronously, and a pipe that this process
// drained a little late (it shares the two cores) would block the server and be measured as its
// slowness. A server is ready when that file shows the line naming its ports, or when a probe answers.
// stop() asks it to exit
// (SIGTERM, so --cpu-prof can write its profile) and kills it only if it does not. Whatever this module
// started is killed if run.mjs dies.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, truncateSync } from 'node:fs';
import { createServer } from 'node:net';

const started = new Set();
process.on('exit', () => {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

const POLL_MS = 50;

/** A port that was free a moment ago on 127.0.0.1 (for servers whose log may not say which they took). */
export async function freePort() {
  const srv = createServer();
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * Spawns `node [nodeArgs] script [args]` with stdout appended to `stdoutFile`, and waits (up to
 * timeoutMs) until it is ready: `ready` is a regular expression for a line of its stdout, or an async
 * probe returning something truthy; resolves to {pid, match, stop(), truncateStdout()}.
 * The server's stderr is kept (the tail) for error messages.
 */
export async function startProcess({ name, script, args = [], nodeArgs = [], ready, stdoutFile, timeoutMs = 60_000, cwd, log = () => {} }) {
  const out = openSync(stdoutFile, 'a');
  let child;
  try {
    child = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd, stdio: ['ignore', out, 'pipe'] });
  } finally {
    closeSync(out);
  }
  started.add(child);
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    stderrTail = (stderrTail + s).slice(-4000);
  });
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal ?? code));

  const deadline = Date.now() + timeoutMs;
  let match = null;
  while (!match) {
    const lines = readFileSync(stdoutFile, 'utf8').split('\n');
    if (typeof ready === 'function') {
      match = await ready();
    } else {
      for (const line of lines) {
        match = ready.exec(line);
        if (match) {
          log(`[${name}] ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
          break;
        }
      }
    }
    if (match) break;
    if (exited !== null || Date.now() > deadline) {
      if (exited === null) child.kill('SIGKILL');
      const why = exited !== null ? `exited (${exited}) before it was ready` : `did not become ready in ${timeoutMs} ms`;
      throw new Error(`${name} ${why}\n${lines.slice(-10).join('\n')}\n${stderrTail}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return {
    pid: child.pid,
    match,
    running: () => exited === null,
    /** For failure messages: whether it is still running, and the ends of its stderr and stdout. */
    describe() {
      const stdout = readFileSync(stdoutFile, 'utf8').slice(-1500);
      return `${name} (pid ${child.pid}) ${exited === null ? 'is running' : `exited (${exited})`}; stderr: ${stderrTail.slice(-1500) || '(empty)'}; stdout ends: ${stdout || '(empty)'}`;
    },
    /** Empties the stdout file between runs (the server appends, so it carries on at the new end). */
    truncateStdout() {
      truncateSync(stdoutFile, 0);
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
      started.delete(child);
    },
  };
}
