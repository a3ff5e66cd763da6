// `sockscope serve`: Prometheus metrics on http://HOST:PORT/metrics until SIGINT or SIGTERM.
import { once } from 'node:events';

import { positive, readOptions, UsageError, type Flags } from './args.js';

/** `443,8080`. */
function portList(text: string): number[] {
  if (!/^\d{1,5}(,\d{1,5})*$/.test(text)) throw new UsageError(`--count-ports takes ports separated by commas, not "${text}"`);
  return text.split(',').map(Number);
}

/** prom-client is loaded only here, as it is an optional peer dependency. */
export async function serve(f: Flags): Promise<string> {
  const port = f.port === undefined ? 9464 : Number(f.port);
  if (!/^\d+$/.test(f.port ?? '0') || port > 65535) throw new UsageError(`--port takes 0 to 65535, not "${f.port}"`);
  if (f.sport !== undefined || f.dport !== undefined) throw new UsageError('serve exports every socket: --sport and --dport do not apply');
  const { source, procRoot, netns } = readOptions(f, []);
  let serveMetrics: typeof import('../metrics/serve.js').serveMetrics;
  try {
    ({ serveMetrics } = await import('../metrics/serve.js'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String(err).includes('prom-client')) throw err;
    throw new Error('serve needs prom-client, an optional peer dependency: install it with `npm install prom-client`');
  }
  const who = {
    ...(f['count-ports'] !== undefined && { ports: portList(f['count-ports']) }),
    topRemotePrefixes: positive(f['top-prefixes'], '--top-prefixes', 0, true),
    topPortPressure: positive(f['top-destinations'], '--top-destinations', 0, true),
  };
  const lastError = new Map<string, string>();
  const server = await serveMetrics({
    port,
    host: f.host ?? '127.0.0.1',
    ...(source && { source }),
    ...(procRoot && { procRoot }),
    ...(netns && { netns }),
    ...who,
    // Once per read and distinct failure, not once per scrape: scrapes every few seconds would flood the log.
    onError(err, collector) {
      if (lastError.get(collector) !== err.message) process.stderr.write(`sockscope serve: ${collector} read failed: ${err.message}\n`);
      lastError.set(collector, err.message);
    },
  });
  process.stderr.write(`sockscope: serving metrics on ${server.url}\n`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await server.close();
  return '';
}
