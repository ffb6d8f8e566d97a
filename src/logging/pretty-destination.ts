import { pino, type DestinationStream } from 'pino';
import { isColorSupported, prettyFactory, type MessageFormatFunc } from 'pino-pretty';

/** Fields every event has, shown by pino-pretty itself (time, level) or not at all (pid, hostname). */
const shownElsewhere = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'err', 'error']);

/** Beyond this, the fields of one event are cut: a line a person reads at a glance. */
const maxFieldsLength = 240;
const maxValueLength = 80;

/**
 * `SYNCLINE_LOG_FORMAT=pretty` (interfaces.md §2): each event as one short line a person reads —
 * `12:04:31.250 INFO: engine: pass finished · pass=0190… trigger=schedule` — coloured when the terminal
 * supports it. pino-pretty formats time and level; the message, its component and the event's fields become
 * the rest of that line, nested fields as `parent.child=value` and an error as its type, message and first
 * stack frame (the JSON format keeps whole stacks).
 *
 * Synchronous on purpose, no worker thread: each event is on the terminal when the log call returns, so a
 * SIGKILL loses nothing, and the tests read what they wrote. Redaction has happened before: pino formats
 * (and censors) the event, this only re-renders its JSON.
 */
export function prettyDestination(
  options: { destination?: DestinationStream; colorize?: boolean } = {},
): DestinationStream {
  const output = options.destination ?? pino.destination({ dest: 1, sync: true });
  const pretty = prettyFactory({
    colorize: options.colorize ?? isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // Everything beyond time, level and message is in the message line that `formatEvent` writes: errors too,
    // which pino-pretty would otherwise print over several lines.
    hideObject: true,
    errorLikeObjectKeys: [],
    singleLine: true,
    messageFormat: formatEvent,
  });
  return {
    write(line: string) {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        output.write(line);
        return;
      }
      const text = pretty(event);
      output.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

const formatEvent: MessageFormatFunc = (log, messageKey, _levelLabel, { colors }) => {
  const component = typeof log.component === 'string' ? `${colors.bold(log.component)}: ` : '';
  const message = typeof log[messageKey] === 'string' ? (log[messageKey] as string) : '';
  const error = errorSummary(log.err ?? log.error);
  const fields = Object.entries(log)
    .filter(([key]) => !shownElsewhere.has(key))
    .flatMap(([key, value]) => flatten(key, value));
  const parts = [...(error === undefined ? [] : [`err=${error}`]), ...fields];
  let rest = parts.join(' ');
  if (rest.length > maxFieldsLength) rest = `${rest.slice(0, maxFieldsLength)}…`;
  const head = `${component}${message}`;
  if (rest === '') return head;
  return `${head}${head === '' ? '' : ' '}${colors.gray(`· ${rest}`)}`;
};

/** `key=value` pairs of a field; nested objects as `parent.child=value`, arrays of plain values joined. */
function flatten(key: string, value: unknown, depth = 0): string[] {
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) {
    return [`${key}=${plain(value.join(','))}`];
  }
  if (typeof value === 'object' && value !== null) {
    if (depth >= 3) return [`${key}=…`];
    return Object.entries(value).flatMap(([child, inner]) => flatten(`${key}.${child}`, inner, depth + 1));
  }
  return [`${key}=${plain(value)}`];
}

/** A value as text on one line, quoted when it has spaces, cut when long. */
function plain(value: unknown): string {
  let text = String(value).replace(/\s+/g, ' ');
  if (text.length > maxValueLength) text = `${text.slice(0, maxValueLength)}…`;
  return /\s|^$/.test(text) ? `"${text.replace(/"/g, '\\"')}"` : text;
}

/** `TypeError: boom (at file.ts:12:3)`: enough to find the place; the JSON format has the whole stack. */
function errorSummary(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return error === undefined ? undefined : plain(error);
  const { type, name, message, code, stack } = error as Record<string, unknown>;
  const kind = typeof type === 'string' ? type : typeof name === 'string' ? name : 'Error';
  const where = typeof stack === 'string' ? /\n\s+at (.+)/.exec(stack)?.[1] : undefined;
  const text = `${kind}${typeof code === 'string' ? ` ${code}` : ''}: ${String(message ?? '')}`;
  return plain(text) + (where === undefined ? '' : ` (at ${where.replace(/\s+/g, ' ')})`);
}
