import { loadConfig, type Config } from '../config/config.ts';
import type { CliContext } from './cli.ts';

/**
 * The configuration of a command: the environment, plus whether stdout is a terminal (logs are then `pretty`
 * unless SYNCLINE_LOG_FORMAT says otherwise, interfaces.md §2).
 */
export function loadCliConfig(context: CliContext): Config {
  return loadConfig(context.env, { stdoutIsTty: (context.stdout as NodeJS.WriteStream).isTTY === true });
}
