/**
 * What every client command shares: the --endpoint/--token flags, one connection, the consistency and
 * filter flags, output with backpressure, and how failures are reported.
 *
 * Exit codes of every client command: 0 success; 1 a negative answer (`check` denied); 2 could not
 * answer (server unreachable, the server refused the request, bad local input).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { WardenGrpcClient, isServiceError, isUnreachable, statusName } from '../api/grpc/client.js';
import type { Message } from '../api/grpc/codec.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:50051';

export const EXIT_OK = 0;
export const EXIT_NEGATIVE = 1;
export const EXIT_ERROR = 2;

export interface ClientFlags {
  endpoint: string;
  token?: string;
}

/** Adds the connection flags; they sit on each client command, so they go after the command name. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--endpoint <host:port>', 'Warden gRPC address').env('WARDEN_ENDPOINT').default(DEFAULT_ENDPOINT))
    .addOption(new Option('--token <key>', 'preshared key, sent as `authorization: Bearer <key>`').env('WARDEN_PRESHARED_KEY'));
}

export function withConsistencyOptions(cmd: Command): Command {
  return cmd
    .option('--zookie <zookie>', 'read at least as fresh as this zookie (e.g. the one a write printed)')
    .option('--at-exact-snapshot <zookie>', 'read at exactly the revision of this zookie')
    .option('--fully-consistent', 'read at the newest revision (slower)');
}

export function withFilterOptions(cmd: Command): Command {
  return cmd
    .option('--resource-type <type>', 'only relationships on resources of this type')
    .option('--resource-id <id>', 'only this resource id')
    .option('--resource-id-prefix <prefix>', 'only resource ids starting with this')
    .option('--relation <relation>', 'only this relation')
    .option('--subject <subject>', 'only this subject: type, type:id, type#relation or type:id#relation');
}

/** A local mistake (bad flags, unreadable file): reported as `error: <message>`, exit 2. */
export class UsageError extends Error {}

export function consistencyFrom(opts: Record<string, unknown>): Message | undefined {
  const { zookie, atExactSnapshot, fullyConsistent } = opts;
  const given = [zookie, atExactSnapshot, fullyConsistent].filter((v) => v !== undefined && v !== false);
  if (given.length > 1) throw new UsageError('give at most one of --zookie, --at-exact-snapshot and --fully-consistent');
  if (typeof zookie === 'string') return { atLeastAsFresh: zookie };
  if (typeof atExactSnapshot === 'string') return { atExactSnapshot };
  if (fullyConsistent === true) return { fullyConsistent: true };
  return undefined;
}

export function filterFrom(opts: Record<string, unknown>): Message {
  const f: Record<string, string> = {};
  for (const k of ['resourceType', 'resourceId', 'resourceIdPrefix', 'relation', 'subject']) {
    if (typeof opts[k] === 'string') f[k] = opts[k];
  }
  return f;
}

export function positiveInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    // commander's own error type: it prints it as a usage error instead of a stack trace.
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

/** The line printed for a failure: never a stack trace. */
export function describeFailure(err: unknown, endpoint: string): string {
  if (isUnreachable(err)) return `cannot reach Warden at ${endpoint}: is \`warden serve\` running?`;
  if (isServiceError(err)) return `error: ${err.details} (${statusName(err.code)})`;
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Runs a command body with a connected client; prints failures and sets the exit code. The body returns
 * the exit code (default 0). It sets process.exitCode rather than exiting, so pending output is flushed.
 */
export async function runClient(flags: ClientFlags, body: (client: WardenGrpcClient) => Promise<number | void>): Promise<void> {
  let client: WardenGrpcClient | undefined;
  try {
    client = new WardenGrpcClient(flags.endpoint, { token: flags.token });
    process.exitCode = (await body(client)) ?? EXIT_OK;
  } catch (err) {
    process.stderr.write(`${describeFailure(err, flags.endpoint)}\n`);
    process.exitCode = EXIT_ERROR;
  } finally {
    client?.close();
  }
}

let stdoutGuarded = false;

/** Writes to stdout, waiting when the reader is slow; a closed pipe (`| head`) ends the process quietly. */
export async function out(text: string): Promise<void> {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_OK);
      throw e;
    });
  }
  if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', r));
}
