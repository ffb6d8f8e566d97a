import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogFormat, LogLevel } from '../config/config.ts';
import { prettyDestination } from './pretty-destination.ts';

/** The logger every component receives by injection; `child({ component })` names it. */
export type Logger = PinoLogger;

/**
 * Paths pino censors wherever they occur in a log object. Secrets must never reach a log (DEVELOPERS.md):
 * tokens, client secrets, API keys and authorization headers are redacted here once for the whole process.
 */
export const redactedPaths = [
  'apiKey',
  'token',
  'accessToken',
  'access_token',
  'clientSecret',
  'client_secret',
  'password',
  'secret',
  'webhookSecret',
  'authorization',
  '*.apiKey',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.secret',
  '*.webhookSecret',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'req.headers["x-syncline-webhook-key"]',
  'headers["x-syncline-webhook-key"]',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** `json` (default): one JSON object per line; `pretty`: one readable line per event (pretty-destination.ts). */
  readonly format?: LogFormat;
  /** Where lines go (default stdout); tests capture them. */
  readonly destination?: DestinationStream;
  /** Pretty format only: colours; by default when the terminal supports them (NO_COLOR, FORCE_COLOR honoured). */
  readonly colorize?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.format === 'pretty'
      ? prettyDestination({
          ...(options.destination === undefined ? {} : { destination: options.destination }),
          ...(options.colorize === undefined ? {} : { colorize: options.colorize }),
        })
      : options.destination;
  return pino({ level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
}

/** A logger that discards everything (tests that do not assert on logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
