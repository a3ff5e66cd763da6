// An HTTP /metrics endpoint over a private prom-client registry holding sockscope's metrics.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Registry } from 'prom-client';

import { registerSockscopeMetrics, type SockscopeMetricsOptions } from './prometheus.js';
import { invalid } from '../validate.js';

/** Options of serveMetrics: the collector's, and where to listen. */
export interface MetricsServerOptions extends SockscopeMetricsOptions {
  /** TCP port; 0 picks a free one. @default 9464 */
  port?: number;
  /** Address to listen on; loopback, so nothing is exposed unless asked. @default '127.0.0.1' */
  host?: string;
}

export interface MetricsServer {
  /** Where the metrics are: `http://HOST:PORT/metrics`. */
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

function checkPort(port: unknown): number {
  if (typeof port !== 'number') throw invalid(TypeError, 'a number', 'port', port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(RangeError, 'an integer from 0 to 65535', 'port', port);
  return port;
}

/** Serves sockscope's metrics on `http://host:port/metrics`, read afresh at every request. */
export async function serveMetrics(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const { port = 9464, host = '127.0.0.1', ...collector } = options;
  checkPort(port);
  if (typeof host !== 'string') throw invalid(TypeError, 'a string', 'host', host);
  const registry = new Registry();
  registerSockscopeMetrics(registry, collector);

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    // A failed read is already a metric; only a fault in the registry itself lands here.
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  server.listen({ port, host });
  await once(server, 'listening'); // rejects on 'error' (EADDRINUSE, EACCES)
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/metrics`,
    port: bound,
    server,
    async close() {
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      server.closeAllConnections(); // idle keep-alive connections would hold close() open
      await closed;
    },
  };
}
