import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny scripted HTTP server for the connector's HTTP-level behaviours (retries, Retry-After, 5xx, 401, batch
 * outcome mapping) where the emulator is not the point. Answers are scripted per test; every request is
 * recorded with its arrival time. Listens on port 0.
 */
export interface FakeRequest {
  readonly method: string;
  /** Path and query, decoded once (`/api/data/v9.2/contacts?$select=…`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface FakeAnswer {
  readonly status: number;
  /** Drop the connection without answering (a network failure). */
  readonly destroy?: boolean;
  readonly headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  readonly body?: unknown;
}

export type FakeHandler = (request: FakeRequest) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;

export interface FakeDataverse {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeDataverse(handler: FakeHandler): Promise<FakeDataverse> {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        url: decodeURIComponent(req.url ?? '/'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(request);
      Promise.resolve(handler(request) ?? metadataAnswer(request))
        .then((answer) => {
          const final = answer ?? {
            status: 404,
            body: { error: { code: '', message: `No route ${request.url}` } },
          };
          if (final.destroy) {
            req.socket.destroy();
            return;
          }
          const json = typeof final.body === 'object' && final.body !== null;
          res.writeHead(final.status, {
            'odata-version': '4.0',
            ...(json ? { 'content-type': 'application/json; odata.metadata=minimal' } : {}),
            ...final.headers,
          });
          res.end(
            final.body === undefined ? undefined : json ? JSON.stringify(final.body) : String(final.body),
          );
        })
        .catch((error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Minimal metadata so that reads and writes can resolve their shape: `contact` (change tracking on) and
 * `new_plain` (a custom entity without change tracking).
 */
export function metadataAnswer(request: FakeRequest): FakeAnswer | undefined {
  const match = /EntityDefinitions\(LogicalName='(\w+)'\)(\/Attributes(\/)?)?/.exec(request.url);
  if (!match || (match[1] !== 'contact' && match[1] !== 'new_plain')) return undefined;
  const entity = match[1];
  if (match[3]) return { status: 200, body: { value: [] } };
  if (match[2]) {
    const attribute = (LogicalName: string, AttributeType: string, writable: boolean) => ({
      LogicalName,
      AttributeType,
      MetadataId: `${entity}-${LogicalName}`,
      IsValidForRead: true,
      IsValidForCreate: writable,
      IsValidForUpdate: writable,
    });
    return {
      status: 200,
      body: {
        value: [
          attribute(`${entity}id`, 'Uniqueidentifier', false),
          attribute('firstname', 'String', true),
          attribute('modifiedon', 'DateTime', false),
        ],
      },
    };
  }
  return {
    status: 200,
    body: {
      LogicalName: entity,
      SchemaName: entity === 'contact' ? 'Contact' : 'new_Plain',
      EntitySetName: `${entity}s`,
      PrimaryIdAttribute: `${entity}id`,
      PrimaryNameAttribute: 'fullname',
      ChangeTrackingEnabled: entity === 'contact',
      IsOptimisticConcurrencyEnabled: true,
    },
  };
}

/** A `$batch` response body in Dataverse's framing (CRLF, blank line after part headers). */
export function batchResponse(
  parts: { status: string; headers?: Record<string, string>; body?: unknown }[],
): FakeAnswer {
  const boundary = 'batchresponse_fake';
  const lines: string[] = [];
  for (const part of parts) {
    lines.push(`--${boundary}`, 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '');
    lines.push(`HTTP/1.1 ${part.status}`);
    for (const [name, value] of Object.entries(part.headers ?? {})) lines.push(`${name}: ${value}`);
    if (part.body !== undefined) lines.push('Content-Type: application/json; odata.metadata=minimal');
    lines.push('', part.body === undefined ? '' : JSON.stringify(part.body));
  }
  lines.push(`--${boundary}--`, '');
  return {
    status: 200,
    headers: { 'content-type': `multipart/mixed; boundary=${boundary}` },
    body: lines.join('\r\n'),
  };
}
