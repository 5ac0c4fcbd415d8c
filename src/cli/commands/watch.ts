/** `warden watch`: prints relationship changes as they commit, until Ctrl-C. */
import type { Command } from 'commander';
import { isCancelled } from '../../api/grpc/client.js';
import type { Message } from '../../api/grpc/codec.js';
import { out, runClient, withClientOptions, type ClientFlags } from '../client.js';

const OP: Record<string, string> = { OPERATION_TOUCH: 'touch', OPERATION_DELETE: 'delete' };

/** `<zookie> touch <relationship>` a change; `<zookie> schema changed`. */
export function formatWatchMessage(m: Message): string[] {
  const z = String(m.zookie);
  const lines = ((m.changes as Message[] | undefined) ?? []).map((c) => `${z} ${OP[String(c.operation)] ?? String(c.operation)} ${String(c.relationship)}`);
  if (m.schemaChanged) lines.push(`${z} schema changed`);
  return lines;
}

export function registerWatchCommand(program: Command): void {
  withClientOptions(program.command('watch'))
    .description('print relationship changes as they commit, until Ctrl-C')
    .option('--after <zookie>', 'start after this zookie instead of now (resume where a previous watch stopped)')
    .option('--json', 'print every message as a JSON line, heartbeats included')
    .addHelpText('after', '\nOutput: `<zookie> touch <relationship>`, `<zookie> delete <relationship>`, `<zookie> schema changed`.\nTo resume later without missing anything, pass the last zookie printed as --after.')
    .action(async (opts: ClientFlags & Record<string, unknown>) => {
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await runClient(opts, async (client) => {
          const req = { afterZookie: typeof opts.after === 'string' ? opts.after : '' };
          try {
            for await (const m of client.serverStream('watch', 'Watch', req, { signal: ac.signal })) {
              if (opts.json) await out(`${JSON.stringify(m)}\n`);
              else if (!m.heartbeat) for (const line of formatWatchMessage(m)) await out(`${line}\n`);
            }
          } catch (e) {
            // Ctrl-C is the normal way to stop.
            if (!(ac.signal.aborted && isCancelled(e))) throw e;
          }
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
