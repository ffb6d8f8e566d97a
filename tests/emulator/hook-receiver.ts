import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook endpoint for tests: records every POST and answers with the next queued status (default 200). */
export interface HookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  readonly received: ReceivedHook[];
  /** Statuses to answer with, first to last; once empty, 200. */
  readonly statuses: number[];
  close(): Promise<void>;
}

export async function openHookReceiver(): Promise<HookReceiver> {
  const received: ReceivedHook[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    statuses,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}
