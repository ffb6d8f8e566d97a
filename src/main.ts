// Process entry: hand the environment and streams to the CLI; nothing else lives here.
import { buildCli } from './cli/cli.ts';
import { isSynclineError } from './errors/syncline-error.ts';

try {
  await buildCli({ env: process.env, stdout: process.stdout, stderr: process.stderr }).parseAsync(
    process.argv,
  );
} catch (error) {
  // Expected failures (bad configuration, unreachable CRM…) get their code and message, not a stack trace.
  if (isSynclineError(error)) {
    process.stderr.write(`syncline: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(
      `syncline: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 1;
}
