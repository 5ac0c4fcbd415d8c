/** Registers every command that talks to a running server over gRPC (see ../client.ts for exit codes). */
import type { Command } from 'commander';
import { registerCheckCommand } from './check.js';
import { registerExpandCommand } from './expand.js';
import { registerExportCommand } from './export.js';
import { registerImportCommand } from './import.js';
import { registerLookupResourcesCommand } from './lookup-resources.js';
import { registerLookupSubjectsCommand } from './lookup-subjects.js';
import { registerRelCommands } from './rel.js';
import { registerSchemaCommands } from './schema.js';
import { registerWatchCommand } from './watch.js';

export function registerClientCommands(program: Command): void {
  registerSchemaCommands(program);
  registerRelCommands(program);
  registerImportCommand(program);
  registerExportCommand(program);
  registerCheckCommand(program);
  registerLookupResourcesCommand(program);
  registerLookupSubjectsCommand(program);
  registerExpandCommand(program);
  registerWatchCommand(program);
}
