import { dataverseErrorResponse, type HttpMessageResponse } from '../batch/http-message.ts';

/** The three service-protection faults, with Dataverse's codes and exact message texts (reference §6). */
export type ThrottleReason = 'requests' | 'executionTime' | 'concurrency';

export const throttleCodes: Record<ThrottleReason, string> = {
  requests: '0x80072322',
  executionTime: '0x80072321',
  concurrency: '0x80072326',
};

export function throttleMessage(
  reason: ThrottleReason,
  settings: { requestsPerWindow: number; executionMsPerWindow: number; maxConcurrent: number },
  windowSeconds: number,
): string {
  switch (reason) {
    case 'requests':
      return `Number of requests exceeded the limit of ${settings.requestsPerWindow} over time window of ${windowSeconds} seconds.`;
    case 'executionTime':
      // Sic: the service's text has two spaces before "milliseconds" and a thousands separator.
      return (
        `Combined execution time of incoming requests exceeded limit of ` +
        `${settings.executionMsPerWindow.toLocaleString('en-US')}  milliseconds over time window of ` +
        `${windowSeconds} seconds. Decrease number of concurrent requests or reduce the duration of requests ` +
        `and try again later.`
      );
    case 'concurrency':
      return `Number of concurrent requests exceeded the limit of ${settings.maxConcurrent}.`;
  }
}

/** HTTP 429 with `Retry-After` in whole seconds (at least 1). */
export function throttleResponse(
  reason: ThrottleReason,
  message: string,
  retryAfterMs: number,
): HttpMessageResponse {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return dataverseErrorResponse(429, throttleCodes[reason], message, { 'Retry-After': String(seconds) });
}
