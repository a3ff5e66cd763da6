// events() and summarizeEvents() check their options in TS, before a socket is opened.
import { describe, expect, it } from 'vitest';

import { events, summarizeEvents, type CloseEvent } from '../../src/index.js';

describe('events() options', () => {
  const cases: [unknown, ErrorConstructor, string][] = [
    [{ protocols: ['tcp', 'sctp'] }, RangeError, 'Expected one of "tcp", "tcp6", "udp", "udp6" for protocols[1] but received "sctp" of type string'],
    [{ states: 'CLOSE' }, TypeError, 'Expected an array of'],
    [{ localPort: 70000 }, RangeError, 'Expected a port number (0-65535) for localPort but received 70000 of type number'],
    [{ receiveBuffer: 100 }, RangeError, 'Expected an integer from 4096 to 1073741824 for receiveBuffer but received 100 of type number'],
    [{ batchSize: '8' }, TypeError, 'Expected an integer from 1 to 65536 for batchSize but received "8" of type string'],
    [{ signal: {} }, TypeError, 'Expected an AbortSignal for signal but received [object Object] of type object'],
    [{ protocol: ['tcp'] }, TypeError, 'Unknown option "protocol" for events(); did you mean "protocols"?'],
    [null, TypeError, 'Expected an object for options but received null of type null'],
  ];
  for (const [options, Kind, message] of cases) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      expect(() => events(options as never)).toThrow(Kind);
      expect(() => events(options as never)).toThrow(message);
    });
  }
});

async function* from(list: Partial<CloseEvent>[], gapMs = 0) {
  for (const e of list) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    yield e as CloseEvent;
  }
}

const tcp = (remoteAddress: string, localPort: number, rtt: number, bytesAcked: number, totalRetrans = 0): Partial<CloseEvent> => ({
  family: remoteAddress.includes(':') ? 6 : 4, remoteAddress, localPort,
  info: { rtt, bytesAcked, bytesReceived: 10, totalRetrans },
});

describe('summarizeEvents()', () => {
  it('folds by remote prefix: counts, sums and nearest-rank rtt percentiles', async () => {
    const list = [
      ...Array.from({ length: 10 }, (_, i) => tcp(`10.1.2.${i + 1}`, 443, (i + 1) * 100, 1000, i === 9 ? 3 : 0)),
      tcp('10.1.3.7', 443, 50, 5),
      tcp('2001:db8:0:1:ffff::9', 80, 70, 7),
      { family: 4, remoteAddress: '10.1.3.8', localPort: 53 } as Partial<CloseEvent>, // UDP: no tcp_info
    ];
    const out = [];
    for await (const s of summarizeEvents(from(list), { intervalMs: 60_000 })) out.push(s);
    expect(out).toHaveLength(1);
    expect(out[0]!.lost).toBe(0);
    expect(out[0]!.groups).toEqual([
      { key: '10.1.2.0/24', closed: 10, bytesAcked: 10000, bytesReceived: 100, totalRetrans: 3, rttP50: 500, rttP90: 900, rttP99: 1000 },
      { key: '10.1.3.0/24', closed: 2, bytesAcked: 5, bytesReceived: 10, totalRetrans: 0, rttP50: 50, rttP90: 50, rttP99: 50 },
      { key: '2001:db8:0:1::/64', closed: 1, bytesAcked: 7, bytesReceived: 10, totalRetrans: 0, rttP50: 70, rttP90: 70, rttP99: 70 },
    ]);
  });

  it('folds by local port, with other prefixes, and emits empty intervals', async () => {
    const list = [tcp('10.9.9.9', 443, 10, 1), tcp('10.9.9.9', 8080, 20, 2)];
    const byPort = [];
    for await (const s of summarizeEvents(from(list), { intervalMs: 60_000, by: 'localPort' })) byPort.push(...s.groups.map((g) => g.key));
    expect(byPort).toEqual(['443', '8080']);
    const prefixes = [];
    for await (const s of summarizeEvents(from([tcp('192.168.77.200', 1, 1, 1), tcp('2001:db8::1', 1, 1, 1)]), { intervalMs: 60_000, prefix4: 17, prefix6: 16 })) {
      prefixes.push(...s.groups.map((g) => g.key));
    }
    expect(prefixes.sort()).toEqual(['192.168.0.0/17', '2001::/16']);
    const intervals = [];
    for await (const s of summarizeEvents(from([tcp('10.0.0.1', 1, 1, 1)], 130), { intervalMs: 50 })) intervals.push(s.groups.length);
    expect(intervals.slice(0, 2)).toEqual([0, 0]);
    expect(intervals.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('checks its options', async () => {
    const run = (o: unknown) => summarizeEvents(from([]), o as never).next();
    await expect(run({ intervalMs: 0 })).rejects.toThrow('Expected an integer from 1 to 2147483647 for intervalMs but received 0 of type number');
    await expect(run({ intervalMs: 10, by: 'remotePort' })).rejects.toThrow(RangeError);
    await expect(run({ intervalMs: 10, prefix4: 33 })).rejects.toThrow('Expected an integer from 0 to 32 for prefix4 but received 33 of type number');
  });
});
