import { errorCodes, type ErrorCode } from './codes.ts';

/**
 * The one error class for expected failures. It carries a stable code from the registry, a readable
 * message (never a secret) and optional structured details. The HTTP status comes from the registry
 * unless a caller has a more precise one.
 */
export class SynclineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SynclineError';
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.details = options.details;
  }

  /** The body every API error answers with (interfaces.md §4). */
  toBody(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isSynclineError(value: unknown): value is SynclineError {
  return value instanceof SynclineError;
}
