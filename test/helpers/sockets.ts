// Real sockets made with the net module, for tests that find them in the tables.
import { once } from 'node:events';
import net from 'node:net';

export interface Pair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
  close(): Promise<void>;
}

/** A listener on `host` and one connection to it; the accepted side is paused (reads nothing). */
export async function connectedPair(host = '127.0.0.1', backlog = 511): Promise<Pair> {
  const server = net.createServer({ pauseOnConnect: true });
  server.listen({ host, port: 0, backlog });
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const acceptedP = once(server, 'connection');
  const client = net.connect({ host, port });
  await once(client, 'connect');
  const [accepted] = (await acceptedP) as [net.Socket];
  return {
    server,
    client,
    accepted,
    async close() {
      client.destroy();
      accepted.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Resolves once `check` returns true (the kernel moves bytes asynchronously), or after `ms`. */
export async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}
