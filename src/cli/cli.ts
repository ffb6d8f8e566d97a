import { Command } from 'commander';
import { registerCheckCommand } from './commands/check-command.ts';
import { registerSyncCommand } from './commands/sync-command.ts';
import type { Environment } from '../config/config.ts';
import { registerEmulatorCommand } from './commands/emulator-command.ts';
import { registerMigrateCommand } from './commands/migrate-command.ts';
import { registerStartCommand } from './commands/start-command.ts';
import { registerWebhooksCommand } from './commands/webhooks-command.ts';

/** What every command receives from the process edge (main.ts); commands never touch `process.env`. */
export interface CliContext {
  readonly env: Environment;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** One file per command under `commands/`, each exporting `registerXCommand(program, context)`. */
export function buildCli(context: CliContext): Command {
  const program = new Command('syncline')
    .description('Keeps a marketing database of people in sync with Microsoft Dynamics 365 (Dataverse).')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
  for (const register of commandRegistrations) register(program, context);
  return program;
}

type CommandRegistration = (program: Command, context: CliContext) => void;

/** The command registry; each command adds itself here. */
const commandRegistrations: CommandRegistration[] = [
  registerStartCommand,
  registerEmulatorCommand,
  registerMigrateCommand,
  registerSyncCommand,
  registerCheckCommand,
  registerWebhooksCommand,
];
