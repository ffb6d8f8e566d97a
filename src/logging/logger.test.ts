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
