import type { NotifyFormat } from '../config/config.ts';
import type { NotificationRecord } from '../store/run-log-store.ts';

/** What a person reads first, by notification type (B6.6); an unknown type reads as itself. */
const titles: Readonly<Record<string, string>> = {
  'initial-load-done': 'Initial load done',
  'backfill-done': 'Backfill done',
  'pass-failed': 'Sync pass failed',
  'field-quarantined': 'Field quarantined',
  'new-failing-records': 'New failing records',
};

/** Types that ask someone to act; Teams shows them in its attention colour. */
const alarming = new Set(['pass-failed', 'field-quarantined', 'new-failing-records']);

/**
 * The body POSTed for a notification (B6.6, `SYNCLINE_NOTIFY_FORMAT`):
 * - `json`: the notification as `GET /api/v1/notifications` shows it, without this console's own state of it
 *   (`readAt`, `delivery`);
 * - `slack`: a Slack incoming-webhook message — `text` (the notification text Slack shows in alerts and where
 *   blocks cannot be shown) and Block Kit `blocks`;
 * - `teams`: a Microsoft Teams incoming-webhook (or Workflows "When a Teams webhook request is received") message
 *   carrying one Adaptive Card, in the shape Microsoft documents: `{type: "message", attachments: [{contentType:
 *   "application/vnd.microsoft.card.adaptive", contentUrl: null, content: <AdaptiveCard>}]}`. Version 1.2 of the
 *   card schema, which both kinds of Teams webhook render.
 */
export function notificationPayload(format: NotifyFormat, notification: NotificationRecord): unknown {
  const { id, type, message, details, at } = notification;
  const title = titles[type] ?? type;
  switch (format) {
    case 'json':
      return { id, type, message, details, at };
    case 'slack':
      return {
        text: `Syncline — ${title}: ${slackEscape(message)}`,
        blocks: [
          // Slack caps a header at 150 characters and a section's text at 3,000.
          { type: 'header', text: { type: 'plain_text', text: clip(`Syncline: ${title}`, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: clip(slackEscape(message), 3000) } },
          {
            type: 'context',
            elements: [{ type: 'mrkdwn', text: slackEscape(`${type} · ${at} · notification ${id}`) }],
          },
        ],
      };
    case 'teams':
      return {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.2',
              body: [
                {
                  type: 'TextBlock',
                  text: `Syncline: ${title}`,
                  weight: 'Bolder',
                  size: 'Medium',
                  color: alarming.has(type) ? 'Attention' : 'Good',
                  wrap: true,
                },
                { type: 'TextBlock', text: message, wrap: true },
                {
                  type: 'FactSet',
                  facts: [
                    { title: 'Type', value: type },
                    { title: 'At', value: at },
                    { title: 'Notification', value: id },
                  ],
                },
              ],
            },
          },
        ],
      };
  }
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` would ping everyone); its documented escapes. */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
