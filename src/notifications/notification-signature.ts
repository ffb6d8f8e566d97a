import { createHmac } from 'node:crypto';

/**
 * `X-Syncline-Signature` (interfaces.md §2, B6.6): `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * keyed with `SYNCLINE_NOTIFY_SECRET`. The timestamp is signed with the body, so a receiver that also refuses
 * old timestamps (say, more than five minutes) cannot be fooled by a replayed POST.
 */
export function notificationSignature(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
