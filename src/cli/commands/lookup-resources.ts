/** `warden lookup-resources TYPE PERMISSION SUBJECT`: the resources the subject has the permission on. */
import type { Command } from 'commander';
import { consistencyFrom, out, positiveInt, runClient, withClientOptions, withConsistencyOptions, type ClientFlags } from '../client.js';

export function registerLookupResourcesCommand(program: Command): void {
  withConsistencyOptions(
    withClientOptions(
      program
        .command('lookup-resources')
        .argument('<type>', 'resource type, e.g. channel')
        .argument('<permission>', 'e.g. send')
        .argument('<subject>', 'type:id or type:id#relation, e.g. user:ana'),
    ),
  )
    .description('print the TYPE resources SUBJECT has PERMISSION on, one type:id a line')
    .option('--limit <n>', 'print at most this many', positiveInt('--limit'))
    .option('--cursor <cursor>', 'continue after a previous --limit')
    .action(async (resourceType: string, permission: string, subject: string, opts: ClientFlags & Record<string, unknown>) => {
      await runClient(opts, async (client) => {
        const req = { resourceType, permission, subject, consistency: consistencyFrom(opts), limit: opts.limit ?? 0, cursor: opts.cursor ?? '' };
        let cursor = '';
        for await (const m of client.serverStream('permissions', 'LookupResources', req)) {
          const ids = m.resourceIds as string[];
          if (ids.length > 0) await out(`${ids.map((id) => `${resourceType}:${id}`).join('\n')}\n`);
          cursor = String(m.afterCursor);
        }
        if (cursor) process.stderr.write(`more resources follow: --cursor ${cursor}\n`);
      });
    });
}
