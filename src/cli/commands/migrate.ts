/** `warden migrate`: brings a PostgreSQL database up to this Warden's schema version. */
import { Option, type Command } from 'commander';
import { migrate } from '../../store/postgres/migrations.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the PostgreSQL tables (serve refuses to start on an unmigrated database)')
    .addOption(new Option('--datastore-url <url>', 'PostgreSQL URL').env('WARDEN_DATASTORE_URL').makeOptionMandatory())
    .addOption(new Option('--datastore-schema <name>', 'PostgreSQL schema holding the tables').default('public').env('WARDEN_DATASTORE_SCHEMA'))
    .action(async (opts: { datastoreUrl: string; datastoreSchema: string }) => {
      try {
        const r = await migrate(opts.datastoreUrl, { schema: opts.datastoreSchema });
        console.log(r.from === r.to ? `warden: already at version ${r.to}` : `warden: migrated from version ${r.from} to ${r.to}`);
      } catch (e) {
        console.error(`warden: ${(e as Error).message}`);
        process.exitCode = 2;
      }
    });
}
