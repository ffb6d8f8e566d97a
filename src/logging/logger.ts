import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config/config.ts';

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

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    { level: options.level, redact: { paths: redactedPaths, censor: '[redacted]' } },
    options.destination,
  );
}

/** A logger that discards everything (tests that do not assert on logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
