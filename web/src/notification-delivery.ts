import type { SyncNotificationView } from './api/types.ts';
import type { BadgeTone } from './components/badge.tsx';

/** How a notification's POST to the notification URL reads (B6.6): a word, its tone, and what to know. */
export interface DeliveryView {
  readonly word: 'sending' | 'retrying' | 'sent' | 'not sent';
  readonly tone: BadgeTone;
  /** The attempts and the last error; empty when there is nothing more to say. */
  readonly detail: string;
  /** When the next attempt is due (retrying only). */
  readonly nextAttemptAt: string | null;
  /** When the receiver took it (sent only). */
  readonly deliveredAt: string | null;
}

const attemptsText = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;

/** null: the notification is not sent out (no SYNCLINE_NOTIFY_URL when it was written). */
export function deliveryView(delivery: SyncNotificationView['delivery']): DeliveryView | null {
  if (delivery === null) return null;
  const { status, attempts, lastError, nextAttemptAt, deliveredAt } = delivery;
  const error = lastError ?? 'unknown error';
  if (status === 'delivered') {
    const detail = attempts > 1 ? `after ${attemptsText(attempts)}` : '';
    return { word: 'sent', tone: 'good', detail, nextAttemptAt: null, deliveredAt };
  }
  if (status === 'failed') {
    return {
      word: 'not sent',
      tone: 'bad',
      detail: `gave up after ${attemptsText(attempts)}: ${error}`,
      nextAttemptAt: null,
      deliveredAt: null,
    };
  }
  if (attempts === 0)
    return { word: 'sending', tone: 'info', detail: '', nextAttemptAt: null, deliveredAt: null };
  return {
    word: 'retrying',
    tone: 'warn',
    detail: `${attemptsText(attempts)} failed, the last with ${error}`,
    nextAttemptAt,
    deliveredAt: null,
  };
}
