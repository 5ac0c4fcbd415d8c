/**
 * `warden validate FILE...`: runs SpiceDB validation files (schema, relationships, assertions, expected
 * relations). Exit 0 when everything holds, 1 when an assertion or expected relation fails, 2 when a
 * file cannot be loaded (2 wins when both happen). One bad file never stops the others.
 *
 * `--json` prints exactly one JSON object on stdout and nothing else:
 *   {"files":[{"file","error","assertions":[{"assertion","expected","actual","ok"(,"message")}]}]}
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { formatPosition } from '../../validation/validation-file.js';
import { runValidationFiles } from '../../validation/run-validation.js';
import type { AssertionResult, FileResult } from '../../validation/run-validation.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_LOAD_ERROR = 2;

export interface ValidateOptions {
  readonly json?: boolean;
  readonly maxDepth?: number;
}

/** Where the command writes; tests pass collectors. */
export interface Output {
  stdout(text: string): Promise<void> | void;
  stderr(text: string): Promise<void> | void;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('run SpiceDB validation files: exit 0 when every assertion holds, 1 when one fails, 2 when a file cannot be loaded')
    .argument('<files...>', 'validation YAML files (schema or schemaFile, relationships, assertions, validation)')
    .option('--json', 'print one JSON object: {"files":[{"file","error","assertions":[...]}]}')
    .option('--max-depth <n>', 'dispatch depth limit for checks and expansions (default 25, as zed validate)', parseDepth)
    .action(async (files: string[], opts: { json?: boolean; maxDepth?: number }) => {
      process.exitCode = await validateCommand(files, opts, processOutput);
    });
}

/** Runs the files, writes the report, and returns the exit code. */
export async function validateCommand(files: readonly string[], options: ValidateOptions, output: Output): Promise<number> {
  const results = await runValidationFiles(files, options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth });
  const code = exitCodeOf(results);
  if (options.json) await output.stdout(`${JSON.stringify(toJson(results))}\n`);
  else await output.stdout(formatHuman(results));
  return code;
}

export function exitCodeOf(results: readonly FileResult[]): number {
  if (results.some((r) => r.error !== null)) return EXIT_LOAD_ERROR;
  if (results.some((r) => r.assertions.some((a) => !a.ok))) return EXIT_FAILED;
  return EXIT_OK;
}

/**
 * The report's wire shape, exactly the documented keys: tools compare it as is. Why an entry failed
 * (`message`, with its position) goes to the human output only.
 */
export function toJson(results: readonly FileResult[]): { files: unknown[] } {
  return {
    files: results.map((r) => ({
      file: r.file,
      error: r.error,
      assertions: r.assertions.map((a) => ({
        assertion: a.assertion,
        expected: a.expected,
        actual: a.actual,
        ok: a.ok,
      })),
    })),
  };
}

export function formatHuman(results: readonly FileResult[]): string {
  const lines: string[] = [];
  let failed = 0;
  let errored = 0;
  let total = 0;
  for (const r of results) {
    if (r.error !== null) {
      errored++;
      lines.push(`ERROR ${r.file}: could not load`);
      for (const l of r.error.split('\n')) lines.push(`  ${l}`);
      continue;
    }
    const bad = r.assertions.filter((a) => !a.ok);
    total += r.assertions.length;
    failed += bad.length;
    if (bad.length === 0) {
      lines.push(`ok    ${r.file}: ${r.assertions.length} ${plural(r.assertions.length, 'assertion')} hold`);
      continue;
    }
    lines.push(`FAIL  ${r.file}: ${bad.length} of ${r.assertions.length} ${plural(r.assertions.length, 'assertion')} failed`);
    for (const a of bad) lines.push(`  ${describeFailure(a)}`);
  }
  const summary = [`${results.length} ${plural(results.length, 'file')}`, `${total} ${plural(total, 'assertion')}`, `${failed} failed`];
  if (errored > 0) summary.push(`${errored} could not be loaded`);
  lines.push(summary.join(', '));
  return `${lines.join('\n')}\n`;
}

function describeFailure(a: AssertionResult): string {
  const where = a.position ? `${formatPosition(a.position)}: ` : '';
  // An expected-relations entry explains itself (missing and extra subjects); an assertion is named
  // with what was expected and what came back.
  if (!a.assertion.includes('@') && a.actual !== 'error' && a.message !== undefined) return `${where}${a.assertion}: ${a.message}`;
  const detail = a.actual === 'error' && a.message !== undefined ? `: ${a.message}` : '';
  return `${where}${a.assertion}: expected ${a.expected}, got ${a.actual}${detail}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function parseDepth(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const processOutput: Output = {
  stdout: (text) => write(process.stdout, text),
  stderr: (text) => write(process.stderr, text),
};

let guarded = false;

async function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (!guarded) {
    guarded = true;
    // `warden validate ... | head` closes the pipe early: that is not an error worth a stack trace.
    for (const s of [process.stdout, process.stderr]) {
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
      });
    }
  }
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}
