import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { test } from 'node:test';
import { request } from 'undici';
import { whenWritten } from './request-written.ts';

test('whenWritten calls back once the request is on the wire, before the server can see it, and only for that request', async (t) => {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`server ${req.url}`);
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const tracked = whenWritten(
    () => calls.push('written /tracked'),
    () => request(`http://127.0.0.1:${port}/tracked`),
  );
  assert.equal(calls.length, 0, 'issuing is not writing');
  // A request issued without a callback (the next `request()` call) does not take the tracked one's.
  const plain = request(`http://127.0.0.1:${port}/plain`);
  await (await tracked).body.text();
  await (await plain).body.text();
  assert.equal(calls.filter((call) => call === 'written /tracked').length, 1);
  assert.ok(
    calls.indexOf('written /tracked') < calls.indexOf('server /tracked'),
    `the callback came first: ${calls.join(', ')}`,
  );
});
