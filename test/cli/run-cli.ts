/** Runs the client commands in-process, capturing stdout, stderr and the exit code. */
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { vi } from 'vitest';
import { registerClientCommands } from '../../src/cli/commands/client-commands.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { stdin?: string; during?: () => void | Promise<void> } = {}): Promise<CliResult> {
  const program = new Command('warden').exitOverride();
  registerClientCommands(program);
  let stdout = '';
  let stderr = '';
  const capture = (append: (s: string) => void) => (chunk: string | Uint8Array, ...rest: unknown[]) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture((s) => (stdout += s)) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture((s) => (stderr += s)) as typeof process.stderr.write);
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin');
  if (opts.stdin !== undefined) Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(opts.stdin)]), configurable: true });
  process.exitCode = undefined;
  let code: number;
  try {
    const parsing = program.parseAsync(['node', 'warden', ...args]);
    await opts.during?.();
    await parsing;
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = 2;
    stderr += e.message;
  } finally {
    out.mockRestore();
    err.mockRestore();
    if (stdinDescriptor) Object.defineProperty(process, 'stdin', stdinDescriptor);
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}
