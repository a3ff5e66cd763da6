// watch(): stops at once on break or abort, never holds the process, checks its options.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { listenQueuesSync, TCP_STATES, watch } from '../../src/index.js';
import { ROOT } from '../helpers/netns.js';
import { countBy, parseSs } from '../helpers/peers.js';
import { procDir } from '../helpers/proc-dir.js';

const recorded = path.join(ROOT, 'test/fixtures/proc/recorded');

describe('watch', () => {
  it('yields a first sample at once, with state counts when asked', async () => {
    // A recorded table beside two counter files: every figure of the sample is known.
    const procRoot = procDir({
      tcp: fs.readFileSync(path.join(recorded, 'tcp')),
      tcp6: fs.readFileSync(path.join(recorded, 'tcp6')),
      netstat: 'TcpExt: ListenOverflows ListenDrops\nTcpExt: 3 4\n',
      snmp: 'Tcp: RetransSegs OutRsts\nTcp: 5 6\n',
    });
    const ss = parseSs(fs.readFileSync(path.join(recorded, 'ss-tan.txt'), 'utf8'));
    for await (const s of watch({ procRoot, states: true, intervalMs: 60_000 })) {
      expect(s.increase).toBeNull();
      expect(s.perSecond).toBeNull();
      expect(s.states).toEqual({ ...Object.fromEntries(TCP_STATES.map((state) => [state, 0])), ...countBy(ss), total: ss.length });
      expect(s.listeners).toEqual(listenQueuesSync({ procRoot }));
      expect(s.listeners).toHaveLength(ss.filter((r) => r.state === 'LISTEN').length);
      expect(s.counters).toMatchObject({
        listenOverflows: 3, listenDrops: 4, retransSegs: 5, outRsts: 6, syncookiesSent: 0,
        all: { TcpExt: { ListenOverflows: 3, ListenDrops: 4 }, Tcp: { RetransSegs: 5, OutRsts: 6 } },
      });
      expect(s.costMs).toBeGreaterThan(0);
      expect(Object.keys(s)).toEqual(['time', 'elapsedMs', 'states', 'listeners', 'counters', 'increase', 'perSecond', 'costMs']);
      break;
    }
  });

  it('ends without an error when the signal aborts during the wait', async () => {
    const stop = new AbortController();
    const samples: unknown[] = [];
    for await (const s of watch({ intervalMs: 600_000, signal: stop.signal })) {
      samples.push(s);
      setImmediate(() => stop.abort());
    }
    expect(samples).toHaveLength(1);
  });

  it('yields nothing with a signal already aborted', async () => {
    const samples = watch({ signal: AbortSignal.abort() });
    expect(await samples.next()).toEqual({ done: true, value: undefined });
  });

  it('never keeps the process alive: a process waiting on a watch exits', () => {
    const script = `import { watch } from 'sockscope';
      const samples = watch({ intervalMs: 600000 });
      await samples.next();
      samples.next().then(() => console.log('resolved'));
      process.on('exit', () => console.log('exit'));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toBe('exit\n');
  });

  const cases: [unknown, ErrorConstructor, string][] = [
    [{ intervalMs: '5' }, TypeError, 'Expected a number >= 1 for intervalMs but received "5" of type string'],
    [{ intervalMs: 0 }, RangeError, 'Expected a number >= 1 for intervalMs but received 0 of type number'],
    [{ intervalMs: NaN }, RangeError, 'Expected a number >= 1 for intervalMs but received NaN of type number'],
    [{ signal: {} }, TypeError, 'Expected an AbortSignal for signal but received [object Object] of type object'],
    [{ states: 1 }, TypeError, 'Expected a boolean for states but received 1 of type number'],
    [{ interval: 5 }, TypeError, 'Unknown option "interval" for watch(); did you mean "intervalMs"?. Known options: protocols, procRoot, source, synRecv, intervalMs, signal, states'],
  ];
  for (const [options, Kind, message] of cases) {
    it(`throws at the call for ${JSON.stringify(options)}`, () => {
      expect(() => watch(options as never)).toThrow(new Kind(message));
    });
  }
});
