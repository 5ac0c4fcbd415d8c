/** `warden rel write|delete|read`: relationships one at a time or by filter. */
import type { Command } from 'commander';
import type { Message } from '../../api/grpc/codec.js';
import {
  UsageError,
  consistencyFrom,
  filterFrom,
  out,
  positiveInt,
  runClient,
  withClientOptions,
  withConsistencyOptions,
  withFilterOptions,
  type ClientFlags,
} from '../client.js';

type Opts = ClientFlags & Record<string, unknown>;

export function registerRelCommands(program: Command): void {
  const rel = program.command('rel').description('write, delete or read relationships');

  withClientOptions(rel.command('write').argument('<relationship...>', 'e.g. channel:wa1#assigned_team@team:sales#member'))
    .description('touch relationships (or create / delete them) in one atomic write; prints the zookie')
    .option('--create', 'create: fail (and write nothing) if one already exists')
    .option('--delete', 'delete them instead')
    .action(async (rels: string[], opts: Opts) => {
      await runClient(opts, async (client) => {
        if (opts.create && opts.delete) throw new UsageError('give --create or --delete, not both');
        const operation = opts.create ? 'OPERATION_CREATE' : opts.delete ? 'OPERATION_DELETE' : 'OPERATION_TOUCH';
        const r = await client.unary('relationships', 'WriteRelationships', { updates: rels.map((relationship) => ({ operation, relationship })) });
        await out(`${String(r.zookie)}\n`);
      });
    });

  withFilterOptions(withClientOptions(rel.command('delete')))
    .description('delete the relationships matching the filter flags (at least one is required)')
    .option('--limit <n>', 'delete at most this many (run again while it says more match)', positiveInt('--limit'))
    .action(async (opts: Opts) => {
      await runClient(opts, async (client) => {
        const filter = filterFrom(opts);
        // An empty filter would delete everything: too easy to do by accident from a shell.
        if (Object.keys(filter).length === 0) throw new UsageError('give at least one of --resource-type, --resource-id, --resource-id-prefix, --relation, --subject');
        const r = await client.unary('relationships', 'DeleteRelationships', { filter, limit: opts.limit ?? 0 });
        const more = r.partial ? '; more match: run again' : '';
        const n = Number(r.deletedCount);
        await out(`deleted ${n} relationship${n === 1 ? '' : 's'} at zookie ${String(r.zookie)}${more}\n`);
      });
    });

  withConsistencyOptions(withFilterOptions(withClientOptions(rel.command('read'))))
    .description('print the relationships matching the filter flags, one a line')
    .option('--limit <n>', 'print at most this many', positiveInt('--limit'))
    .option('--cursor <cursor>', 'continue after a previous --limit')
    .action(async (opts: Opts) => {
      await runClient(opts, async (client) => {
        const req: Message = { filter: filterFrom(opts), consistency: consistencyFrom(opts), limit: opts.limit ?? 0, cursor: opts.cursor ?? '' };
        let cursor = '';
        for await (const m of client.serverStream('relationships', 'ReadRelationships', req)) {
          const rels = m.relationships as string[];
          if (rels.length > 0) await out(`${rels.join('\n')}\n`);
          cursor = String(m.afterCursor);
        }
        if (cursor) process.stderr.write(`more relationships follow: --cursor ${cursor}\n`);
      });
    });
}
