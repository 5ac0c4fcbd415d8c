/** `warden schema write FILE|-` and `warden schema read`. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError, consistencyFrom, out, runClient, withClientOptions, withConsistencyOptions, type ClientFlags } from '../client.js';

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Adds to an existing `schema` command if another file registered one (e.g. for `schema check`). */
function schemaCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'schema') ?? program.command('schema').description('read or write the schema');
}

export function registerSchemaCommands(program: Command): void {
  const schema = schemaCommand(program);
  withClientOptions(schema.command('write').argument('<file>', 'schema file, or - for stdin'))
    .description('replace the schema; prints the zookie it was written at')
    .action(async (file: string, opts: ClientFlags) => {
      await runClient(opts, async (client) => {
        const text = await readInput(file);
        const r = await client.unary('schema', 'WriteSchema', { schema: text });
        await out(`${String(r.zookie)}\n`);
      });
    });
  withConsistencyOptions(withClientOptions(schema.command('read')))
    .description('print the schema in force')
    .action(async (opts: ClientFlags & Record<string, unknown>) => {
      await runClient(opts, async (client) => {
        const r = await client.unary('schema', 'ReadSchema', { consistency: consistencyFrom(opts) });
        const text = String(r.schema);
        await out(text.endsWith('\n') ? text : `${text}\n`);
      });
    });
}
