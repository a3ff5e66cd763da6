// observeSockets reads the socket table and the counters once per collection, however many
// instruments they feed, and nothing once removed; its options fail where they are given.
import { once } from 'node:events';
import net from 'node:net';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { observeSockets } from '../../src/metrics/otel.js';
import { readSocketFigures } from '../../src/metrics/socket-figures.js';
import { readTcpCounters } from '../../src/metrics/tcp-counters.js';
import { otelHarness } from '../helpers/otel.js';

vi.mock('../../src/metrics/socket-figures.js', async (original) => {
  const m = await original<typeof import('../../src/metrics/socket-figures.js')>();
  return { ...m, readSocketFigures: vi.fn(m.readSocketFigures) };
});
vi.mock('../../src/metrics/tcp-counters.js', async (original) => {
  const m = await original<typeof import('../../src/metrics/tcp-counters.js')>();
  return { ...m, readTcpCounters: vi.fn(m.readTcpCounters) };
});

const reads = () => [vi.mocked(readSocketFigures).mock.calls.length, vi.mocked(readTcpCounters).mock.calls.length];

describe('observeSockets', () => {
  const otel = otelHarness('delta'); // only what each collection observed
  afterAll(() => otel.shutdown());

  it('reads once per collection for its 13 instruments, and not at all once removed', async () => {
    const listener = net.createServer().listen({ host: '127.0.0.1', port: 0 }); // for the listener instruments
    await once(listener, 'listening');
    const remove = observeSockets(otel.meter);
    expect(reads()).toEqual([0, 0]);
    const first = await otel.collect().finally(() => listener.close());
    expect([...first.keys()].sort()).toEqual([
      'sockscope.collector.duration', 'sockscope.collector.success', 'sockscope.tcp.connections', 'sockscope.tcp.listen.drops',
      'sockscope.tcp.listen.overflows', 'sockscope.tcp.listener.accept_queue', 'sockscope.tcp.listener.backlog',
      'sockscope.tcp.listener.drops', 'sockscope.tcp.listeners.omitted', 'sockscope.tcp.queued', 'sockscope.tcp.resets.sent', 'sockscope.tcp.segments.retransmitted',
      'sockscope.tcp.syncookies.sent',
    ]);
    expect(reads()).toEqual([1, 1]);
    await otel.collect();
    await otel.collect();
    expect(reads()).toEqual([3, 3]);
    remove();
    expect([...(await otel.collect()).keys()]).toEqual([]);
    expect(reads()).toEqual([3, 3]);
  });

  it('reports a failed read as collector.success 0, leaving that read\'s instruments out', async () => {
    const errors: string[] = [];
    const remove = observeSockets(otel.meter, { procRoot: '/nonexistent', source: 'proc', onError: (e, c) => errors.push(`${c}: ${(e as NodeJS.ErrnoException).code}`) });
    const points = await otel.collect();
    remove();
    expect(points.get('sockscope.collector.success')).toEqual([
      { attributes: { collector: 'sockets' }, value: 0 },
      { attributes: { collector: 'netstat' }, value: 0 },
    ]);
    expect(points.has('sockscope.tcp.connections')).toBe(false);
    expect(points.has('sockscope.tcp.listen.overflows')).toBe(false);
    // The two reads run at once: their failures arrive in either order.
    expect(errors.sort()).toEqual(['netstat: ENOENT', 'sockets: ENOENT']);
  });

  it('checks its arguments before registering anything', () => {
    expect(() => observeSockets(otel.meter, { maxListeners: -1 })).toThrow(
      new RangeError('Expected a non-negative integer for maxListeners but received -1 of type number'),
    );
    expect(() => observeSockets(otel.meter, { maxListener: 5 } as object)).toThrow(
      /^Unknown option "maxListener" for observeSockets\(\); did you mean "maxListeners"\?/,
    );
    expect(() => observeSockets({} as never)).toThrow(new TypeError('Expected an OpenTelemetry Meter (from metrics.getMeter()) for meter'));
    expect(() => observeSockets(otel.meter, { topRemotePrefixes: 1001 })).toThrow(
      new RangeError('Expected an integer from 0 to 1000 for topRemotePrefixes but received 1001 of type number'),
    );
    expect(() => observeSockets(otel.meter, { topPortPressure: '2' } as object)).toThrow(
      new TypeError('Expected a number for topPortPressure but received "2" of type string'),
    );
    expect(() => observeSockets(otel.meter, { sysRoot: 5 } as object)).toThrow(TypeError);
  });
});
