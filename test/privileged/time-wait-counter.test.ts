// countStates takes TIME_WAIT from sockstat's tw once a full count agreed with it, and never
// while orphaned FIN_WAIT2 sockets (timewait minisockets the counter also holds) make it differ:
// either way the counts equal ss's.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HAS_NETNS, hasCommand, ROOT, startInNetns, type Fixture } from '../helpers/netns.js';
import { countBy, parseSs } from '../helpers/peers.js';

/** Counts up to 20 times in the namespace; whether TIME_WAIT ever came from the counter, and the last counts. */
function countInside(fx: Fixture<unknown>): { used: boolean; counts: Record<string, number>; tw: number } {
  const script = `
    import { countStatesSync } from 'sockscope';
    import { readFileSync } from 'node:fs';
    const entry = import.meta.resolve('sockscope');
    const { binding } = await import(new URL('./binding.js', entry));
    const { toNativeRequest } = await import(new URL('./options.js', entry));
    const used = () => binding().count(toNativeRequest({}, 'countStatesSync')).dump.timeWaitCounter;
    let ever = false;
    for (let i = 0; i < 20; i++) ever = used() || ever;
    const tw = Number(/ tw (\\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))[1]);
    console.log(JSON.stringify({ used: ever, counts: countStatesSync(), tw }));`;
  return JSON.parse(fx.exec(process.execPath, ['--input-type=module', '-e', script]));
}

const ssCounts = (fx: Fixture<unknown>) => {
  const now = parseSs(fx.exec('ss', ['-tanH']));
  return { ...countBy(now), total: now.length };
};
const withZeros = (counts: Record<string, number>, expected: Record<string, number>) => ({
  ...Object.fromEntries(Object.keys(counts).map((k) => [k, 0])),
  ...expected,
});

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'TIME_WAIT from sockstat (skipped without a private namespace, ss or python3)',
  () => {
    describe('on a table mostly TIME_WAIT', () => {
      let fx: Fixture<{ timeWait: number }>;
      beforeAll(async () => {
        fx = await startInNetns(['python3', path.join(ROOT, 'test/fixtures/port_pressure.py')]);
      });
      afterAll(() => fx?.stop());

      it('takes TIME_WAIT from the counter after a full count agreed, and counts as ss does', () => {
        const { used, counts, tw } = countInside(fx);
        expect(used).toBe(true);
        expect(tw).toBe(fx.made.timeWait);
        expect(counts.TIME_WAIT).toBe(fx.made.timeWait);
        expect(counts).toEqual(withZeros(counts, ssCounts(fx)));
      });
    });

    describe('with orphaned FIN_WAIT2 sockets, which the counter also holds', () => {
      const ORPHANS = 5;
      let fx: Fixture<{ orphans: number }>;
      beforeAll(async () => {
        // Clients close first; the servers never read or close, so each client end waits for a
        // FIN as an orphaned FIN_WAIT2, kept as a timewait minisocket. One TIME_WAIT beside them.
        const code = `
import json, socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(64)
keep = [l]
for _ in range(${ORPHANS}):
    c = socket.create_connection(l.getsockname()); keep.append(l.accept()[0]); c.close()
c = socket.create_connection(l.getsockname()); s = l.accept()[0]; c.close(); s.recv(1); s.close()
print(json.dumps({"orphans": ${ORPHANS}}), flush=True)
sys.stdin.read()`;
        fx = await startInNetns(['python3', '-c', code]);
      });
      afterAll(() => fx?.stop());

      it('never trusts the counter, and FIN_WAIT2 and TIME_WAIT equal ss', () => {
        const { used, counts, tw } = countInside(fx);
        expect(tw).toBe(ORPHANS + 1);
        expect(used).toBe(false);
        expect(counts.FIN_WAIT2).toBe(ORPHANS);
        expect(counts.TIME_WAIT).toBe(1);
        expect(counts).toEqual(withZeros(counts, ssCounts(fx)));
      });
    });
  },
);
