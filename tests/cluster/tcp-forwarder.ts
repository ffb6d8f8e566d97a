import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP port on `host` that relays every connection to `target` (a server that listens on loopback only). */
export interface TcpForwarder {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Makes a loopback-only server (PostgreSQL, the emulator) reachable on `host` — the host side of a veth pair —
 * for a process in another network namespace. Each side's end or error ends the other side, so a connection
 * the server closes (PostgreSQL ending an idle transaction) reaches the client as a close.
 */
export async function startTcpForwarder(
  host: string,
  target: { host: string; port: number },
): Promise<TcpForwarder> {
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = createConnection(target);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the forwarder has no port');
  return {
    host,
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
