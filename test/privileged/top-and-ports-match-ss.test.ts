// `top --json` against ss -tanH counted the way operators count it (awk | sort | uniq -c), and
// `ports --json` against a count by hand of ss's rows, in a namespace with a narrowed
// ip_local_port_range, a few reserved ports, clients from several /24s and one destination
// holding hundreds of TIME_WAIT sockets.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cli, HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { parseSs, type PeerRow } from '../helpers/peers.js';

interface Made {
  range: [number, number];
  reserved: string;
  timeWait: number;
  established: number;
}

const hostOf = (endpoint: string) => endpoint.slice(0, endpoint.lastIndexOf(':'));
const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1).replace('*', '0'));

/** uniq -c: the rows counted by key, as a map. */
function uniqC(rows: PeerRow[], key: (r: PeerRow) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return m;
}

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'top and ports against ss (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<Made>;
    let ss: PeerRow[];

    beforeAll(async () => {
      fx = await startInNetns<Made>(['python3', path.join(ROOT, 'test/fixtures/port_pressure.py')]);
      ss = parseSs(fx.exec('ss', ['-tanH']));
    });
    afterAll(() => fx?.stop());

    const run = (args: string[]) => {
      const r = cli(args, fx);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout);
    };

    it('top --by remoteAddress equals ss -tanH | awk $5 | uniq -c', () => {
      const groups = run(['top', '--by', 'remoteAddress', '--top', '1000', '--json']) as { remoteAddress?: string; count: number; other?: true }[];
      const want = uniqC(ss, (r) => hostOf(r.remote));
      expect(groups.at(-1)).toEqual({ other: true, count: 0, groups: 0 });
      expect(new Map(groups.slice(0, -1).map((g) => [g.remoteAddress, g.count]))).toEqual(want);
      expect(groups[0]).toEqual({ remoteAddress: '127.0.0.1', count: fx.made.timeWait + fx.made.established + 18 });
    });

    it('top --by state,localPort equals ss counted by state and local port', () => {
      const groups = run(['top', '--by', 'state,localPort', '--top', '5000', '--json']) as { state: string; localPort: number; count: number }[];
      const want = uniqC(ss, (r) => `${r.state} ${portOf(r.local)}`);
      expect(new Map(groups.slice(0, -1).map((g) => [`${g.state} ${g.localPort}`, g.count]))).toEqual(want);
    });

    it('top --by remotePrefix groups the clients by /24, --top 2 sums the rest', () => {
      const groups = run(['top', '--by', 'remotePrefix', '--state', 'established', '--sport', '8080', '--top', '2', '--json']);
      expect(groups).toEqual([
        { remotePrefix: '127.0.0.0/24', count: fx.made.established },
        { remotePrefix: '127.0.1.0/24', count: 8 },
        { other: true, count: 10, groups: 3 },
      ]);
    });

    it('ports --json equals a count by hand of ss rows on usable ephemeral ports', () => {
      const r = run(['ports', '--json']) as { range: number[]; reserved: number; rangeSize: number; destinations: Record<string, unknown>[] };
      const [lo, hi] = fx.made.range;
      const reserved = (p: number) => (p >= 40100 && p <= 40109) || p === 40500;
      expect(r.range).toEqual([lo, hi]);
      expect(r.reserved).toBe(11);
      expect(r.rangeSize).toBe(hi - lo + 1 - 11);
      const mine = ss.filter((s) => s.state !== 'LISTEN' && portOf(s.local) >= lo && portOf(s.local) <= hi && !reserved(portOf(s.local)));
      const byDestination = new Map<string, { used: number; established: number; timeWait: number; other: number }>();
      for (const s of mine) {
        const key = `${hostOf(s.local)} ${s.remote}`;
        const d = byDestination.get(key) ?? { used: 0, established: 0, timeWait: 0, other: 0 };
        d.used++;
        if (s.state === 'ESTABLISHED') d.established++;
        else if (s.state === 'TIME_WAIT') d.timeWait++;
        else d.other++;
        byDestination.set(key, d);
      }
      const got = new Map(r.destinations.map((d) => [`${d.localAddress} ${d.remoteAddress}:${d.remotePort}`, { used: d.used, established: d.established, timeWait: d.timeWait, other: d.other }]));
      expect(got).toEqual(byDestination);
      expect(r.destinations[0]).toEqual({
        localAddress: '127.0.0.9', remoteAddress: '127.0.0.1', remotePort: 8080,
        used: fx.made.timeWait + fx.made.established, established: fx.made.established, timeWait: fx.made.timeWait, other: 0,
        rangeSize: r.rangeSize, fraction: (fx.made.timeWait + fx.made.established) / r.rangeSize,
      });
    });

    it('doctor names the destination whose ports run out, with the numbers and thresholds', () => {
      const findings = run(['doctor', '--json']) as { id: string; severity: string; title: string; evidence: Record<string, number> }[];
      const f = findings.find((x) => x.id === 'ephemeral-ports')!;
      const used = fx.made.timeWait + fx.made.established;
      const rangeSize = fx.made.range[1] - fx.made.range[0] + 1 - 11;
      expect(f.severity).toBe('warning');
      expect(f.title).toBe(`${used} of ${rangeSize} ephemeral ports (${((used / rangeSize) * 100).toFixed(1)}%) held toward 127.0.0.1:8080 from 127.0.0.9`);
      expect(f.evidence).toEqual({
        used, established: fx.made.established, timeWait: fx.made.timeWait, other: 0, rangeSize,
        fraction: used / rangeSize, infoAt: 0.2, warningAt: 0.5, criticalAt: 0.9,
      });
    });
  },
);
