/** `warden check RESOURCE PERMISSION SUBJECT`: prints true or false; exit 0 when allowed, 1 when denied. */
import type { Command } from 'commander';
import { EXIT_NEGATIVE, EXIT_OK, consistencyFrom, out, runClient, withClientOptions, withConsistencyOptions, type ClientFlags } from '../client.js';

export function registerCheckCommand(program: Command): void {
  withConsistencyOptions(
    withClientOptions(
      program
        .command('check')
        .argument('<resource>', 'type:id, e.g. conversation:42')
        .argument('<permission>', 'e.g. reply')
        .argument('<subject>', 'type:id or type:id#relation, e.g. user:ana'),
    ),
  )
    .description('does SUBJECT have PERMISSION on RESOURCE? true/false; exit 0 allowed, 1 denied, 2 error')
    .option('--json', 'print {"allowed": ..., "zookie": ...}')
    .action(async (resource: string, permission: string, subject: string, opts: ClientFlags & Record<string, unknown>) => {
      await runClient(opts, async (client) => {
        const r = await client.unary('permissions', 'Check', { resource, permission, subject, consistency: consistencyFrom(opts) });
        const allowed = r.allowed === true;
        await out(opts.json ? `${JSON.stringify({ allowed, zookie: r.zookie })}\n` : `${allowed}\n`);
        return allowed ? EXIT_OK : EXIT_NEGATIVE;
      });
    });
}
