import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';

test('secrets are redacted wherever they appear in a log object', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: 'info', destination }).child({ component: 'test' });
  logger.info(
    { clientSecret: 's3cret-1', crm: { token: 's3cret-2' }, headers: { authorization: 'Bearer s3cret-3' } },
    'hello',
  );
  const output = lines.join('');
  assert.match(output, /"component":"test"/);
  assert.match(output, /\[redacted\]/);
  assert.doesNotMatch(output, /s3cret/);
});

function capture(): { lines: () => string[]; destination: Writable } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { lines: () => chunks.join('').split('\n').slice(0, -1), destination };
}

test('json (the default): one JSON object per line', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ level: 'info', destination }).child({ component: 'engine' });
  logger.info({ counts: { 'contact.fromCrm.updated': 3 } }, 'pass finished');
  logger.warn({ entity: 'lead' }, 'change-tracking token expired');
  assert.equal(lines().length, 2);
  const [first, second] = lines().map((line) => JSON.parse(line));
  assert.equal(first.msg, 'pass finished');
  assert.deepEqual(first.counts, { 'contact.fromCrm.updated': 3 });
  assert.equal(second.level, 40);
});

test('pretty: one short line per event with level, component, message and fields, no JSON braces', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ level: 'debug', format: 'pretty', destination, colorize: false });
  const engine = logger.child({ component: 'engine' }).child({ pass: 'p-1' });
  engine.info({ trigger: 'schedule' }, 'pass started');
  engine.info({ counts: { 'contact.fromCrm.updated': 3, 'lead.toCrm.updated': 2 } }, 'pass finished');
  engine.warn({ entity: 'lead', attributes: ['new_tier', 'jobtitle'] }, 'field quarantined');
  engine.error({ err: new TypeError('the CRM answered nonsense') }, 'pass failed');
  logger.info({ note: 'two  words\nand a newline' }, 'spaces');
  const output = lines();
  assert.equal(output.length, 5, output.join('\n'));
  for (const line of output) {
    assert.doesNotMatch(line, /[{}]/, line);
    assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /, line);
    assert.ok(line.length < 300, line);
  }
  assert.match(output[0]!, /INFO: engine: pass started · pass=p-1 trigger=schedule$/);
  assert.match(
    output[1]!,
    /pass finished · pass=p-1 counts\.contact\.fromCrm\.updated=3 counts\.lead\.toCrm\.updated=2$/,
  );
  assert.match(
    output[2]!,
    /WARN: engine: field quarantined · pass=p-1 entity=lead attributes=new_tier,jobtitle$/,
  );
  // The error on the same line: type, message and where it was thrown.
  assert.match(
    output[3]!,
    /ERROR: engine: pass failed · err="TypeError: the CRM answered nonsense" \(at .+logger\.test\.ts:\d+:\d+\)/,
  );
  assert.match(output[4]!, /INFO: spaces · note="two words and a newline"$/);
  assert.ok(!output.join('\n').includes('\u001b['), 'no colour codes when colorize is off');
});

test('pretty: secrets are redacted too, and a long event is cut', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ level: 'info', format: 'pretty', destination, colorize: false });
  logger.info(
    { clientSecret: 's3cret-1', crm: { token: 's3cret-2' }, headers: { authorization: 'Bearer s3cret-3' } },
    'hello',
  );
  logger.info({ rows: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`table${i}`, i])) }, 'big');
  const [secret, big] = lines();
  assert.match(
    secret!,
    /clientSecret=\[redacted\] crm\.token=\[redacted\] headers\.authorization=\[redacted\]/,
  );
  assert.doesNotMatch(secret!, /s3cret/);
  assert.ok(big!.length < 300 && big!.endsWith('…'), big);
});

test('pretty with colours: the level is coloured', () => {
  const { lines, destination } = capture();
  createLogger({ level: 'info', format: 'pretty', destination, colorize: true }).warn('careful');
  assert.ok(lines()[0]!.includes('\u001b[33mWARN\u001b[39m'), lines()[0]);
});
