// `sockscope serve` over a namespace holding every TCP state: its /metrics equal what ss shows there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TCP_STATES } from '../../src/index.js';
import { listenerLabels, ssRows, valueOf } from '../helpers/metrics.js';
import { ALL_STATES, HAS_NETNS, hasCommand, startInNetns, type Fixture } from '../helpers/netns.js';
import { countBy } from '../helpers/peers.js';
import { scrape, serve } from '../helpers/serve.js';

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'sockscope serve over a namespace holding every TCP state (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<unknown>;
    beforeAll(async () => {
      fx = await startInNetns(ALL_STATES);
    });
    afterAll(() => fx?.stop());

    it("answers with ss's per-state counts and listener Recv-Q", async () => {
      const s = await serve(['--proc-root', `/proc/${fx.pid}/net`]);
      try {
        const ss = ssRows(fx);
        const { metrics } = await scrape(s.url);
        const counts = countBy(ss);
        for (const state of TCP_STATES) {
          expect(valueOf(metrics, 'sockscope_tcp_connection_states', { state: state.toLowerCase() }), state).toBe(counts[state] ?? 0);
        }
        const listeners = ss.filter((r) => r.state === 'LISTEN');
        expect(metrics.get('sockscope_tcp_listener_accept_queue')).toHaveLength(listeners.length);
        for (const l of listeners) {
          expect(valueOf(metrics, 'sockscope_tcp_listener_accept_queue', listenerLabels(l.local)), l.local).toBe(l.recvQ);
        }
      } finally {
        await s.stop();
      }
    });
  },
);
