import { dataverseErrorResponse, type HttpMessageResponse } from './http-message.ts';

/**
 * Dataverse's generic "invalid argument" code. The service's exact codes for malformed `$batch` framing and
 * for oversized batches are not documented (reference §4 lists none), so the emulator uses this one.
 */
export const invalidArgumentCode = '0x80040203';

/** Dataverse's most requests per `$batch` (reference §4). */
export const maxBatchRequests = 1000;

/** A `$batch` request that cannot be run at all: answered with one 400 Dataverse error, nothing executed. */
export class BatchError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(message: string, options: { status?: number; code?: string } = {}) {
    super(message);
    this.name = 'BatchError';
    this.status = options.status ?? 400;
    this.code = options.code ?? invalidArgumentCode;
  }

  toResponse(): HttpMessageResponse {
    return dataverseErrorResponse(this.status, this.code, this.message);
  }
}
