/** `warden export`: every relationship at one revision, one a line, to stdout (the input `warden import` takes). */
import type { Command } from 'commander';
import { consistencyFrom, filterFrom, out, runClient, withClientOptions, withConsistencyOptions, withFilterOptions, type ClientFlags } from '../client.js';

export function registerExportCommand(program: Command): void {
  withConsistencyOptions(withFilterOptions(withClientOptions(program.command('export'))))
    .description('print every relationship at one revision, one a line')
    .option('--cursor <cursor>', 'resume an interrupted export')
    .action(async (opts: ClientFlags & Record<string, unknown>) => {
      await runClient(opts, async (client) => {
        const req = { filter: filterFrom(opts), consistency: consistencyFrom(opts), cursor: opts.cursor ?? '' };
        let zookie = '';
        for await (const m of client.serverStream('relationships', 'ExportRelationships', req)) {
          const rels = m.relationships as string[];
          if (rels.length > 0) await out(`${rels.join('\n')}\n`);
          zookie = String(m.zookie);
        }
        // On stderr so that stdout stays importable.
        if (process.stderr.isTTY) process.stderr.write(`exported at zookie ${zookie}\n`);
      });
    });
}
