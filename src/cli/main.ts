/**
 * The `warden` program (bin/warden.js runs the compiled copy of this file). Each command lives in its
 * own file under commands/ and registers itself here, so commands can be added without touching
 * one another.
 *
 * Exit codes shared by every command: 0 success; 1 a negative answer (a failed assertion, a denied
 * check); 2 could not answer (bad input, unreadable file, unreachable server). Commands set
 * process.exitCode and return, so pending output is flushed before the process ends.
 */
import { Command, CommanderError } from 'commander';
import { registerClientCommands } from './commands/client-commands.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerServeCommand } from './commands/serve.js';
import { registerValidateCommand } from './commands/validate.js';

/** Bad usage (unknown option, missing argument) is bad input: exit 2, not commander's default 1. */
const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('warden')
    .description('Warden: a Zanzibar-style authorization server that speaks SpiceDB schemas and validation files')
    .showHelpAfterError()
    .exitOverride();
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerBenchCommand(program);
  registerValidateCommand(program);
  registerClientCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version come through here with exit code 0.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    throw e;
  }
}

await main(process.argv);
