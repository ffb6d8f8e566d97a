import { subscribe } from 'node:diagnostics_channel';

/**
 * Calls back when undici has written a request's headers to a socket, which is later than when the request was
 * issued: a request issued right before a long synchronous stretch (parsing and applying a 5 MB page) went out
 * only after it, 40–70 ms per page (S3, page-reader.ts). undici says both moments on its public diagnostics
 * channels: `undici:request:create` fires synchronously inside the `request()` call that creates the request,
 * `undici:client:sendHeaders` when its headers are written. A dispatcher that publishes neither (a mock) never
 * calls back, so a caller must not wait for it without a bound.
 */
let creating: (() => void) | undefined;
const waiting = new WeakMap<object, () => void>();
let subscribed = false;

export function whenWritten<T>(onWritten: (() => void) | undefined, issue: () => T): T {
  if (onWritten === undefined) return issue();
  subscribeOnce();
  creating = onWritten;
  try {
    return issue();
  } finally {
    creating = undefined;
  }
}

function subscribeOnce(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:request:create', (message) => {
    if (creating === undefined) return;
    waiting.set((message as { request: object }).request, creating);
    creating = undefined;
  });
  subscribe('undici:client:sendHeaders', (message) => {
    const request = (message as { request: object }).request;
    const callback = waiting.get(request);
    if (callback === undefined) return;
    waiting.delete(request);
    callback();
  });
}
