// The ss invocations people type, run as `ss ARGS` and `sockscope list ARGS` side by side in a
// namespace holding every TCP state (and UDP sockets): the same sockets, states and queues, the
// same timers with -o, and the same summary with -s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ALL_STATES, cli, HAS_NETNS, hasCommand, startInNetns, type Fixture } from '../helpers/netns.js';
import { endpointKey, parseSs } from '../helpers/peers.js';

interface Made {
  v4: Record<string, number>;
  v6: Record<string, number>;
  udp: Record<string, number>;
}

/** One printed socket: its key ("local remote"), state, queues, and the -p and -o fields. */
interface Line {
  key: string;
  state: string;
  recvQ: number;
  sendQ: number;
  users?: string;
  timer?: string;
}

const NETIDS = new Set(['tcp', 'udp']);

/**
 * ss's or sockscope's text table, parsed alike: a Netid column is dropped, ss's state names and
 * `*` wildcard read as sockscope's (through parseSs), sockscope's UNCONN as CLOSE.
 */
function parseTable(out: string, header: boolean): Line[] {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  // A filter of one state leaves the State column out, in ss and in sockscope.
  const stateless = header && lines.length > 0 && !/^(Netid\s+)?State\s/.test(lines[0]!);
  return (header ? lines.slice(1) : lines).map((line) => {
    const fields = line.trim().split(/\s+/);
    if (NETIDS.has(fields[0]!)) fields.shift();
    if (stateless) fields.unshift('-');
    const [peer] = parseSs(fields.slice(0, 5).join(' '));
    const extra = fields.slice(5);
    return {
      key: `${peer!.local} ${peer!.remote}`,
      state: peer!.state === 'UNCONN' ? 'CLOSE' : peer!.state,
      recvQ: peer!.recvQ,
      sendQ: peer!.sendQ,
      ...(extra.some((f) => f.startsWith('users:')) && { users: extra.find((f) => f.startsWith('users:')) }),
      ...(extra.some((f) => f.startsWith('timer:')) && { timer: extra.find((f) => f.startsWith('timer:')) }),
    };
  });
}

/**
 * A timer's time as the [low, high] milliseconds its text stands for: ss truncates (`59sec` is
 * 59000-59999 ms). ss before iproute2 6.11 wrote 1.6 s as `1.600ms`: read like `1.600sec`.
 */
function timerRange(text: string): [number, number] {
  const m = /^(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)(?:ms|sec))?$/.exec(text);
  if (!m) throw new Error(`not a timer time: ${text}`);
  const [min, sec, ms] = [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  const low = min * 60000 + sec * 1000 + ms;
  const unit = m[3] !== undefined ? 1 : m[2] !== undefined ? 1000 : m[1] !== undefined ? (min > 9 ? 60000 : 1000) : 1;
  return [low, low + unit - 1];
}

const TIMER = /^timer:\((\w+),([^,]*),(\d+)\)$/;
/** Timers run down between two reads: a jiffy or two of slack on top of the printed resolution. */
const TICK_MS = 20;

describe.skipIf(!HAS_NETNS || !hasCommand('ss') || !hasCommand('python3'))(
  'ss invocations side by side with sockscope list (skipped without a private namespace, ss or python3)',
  () => {
    let fx: Fixture<Made>;

    beforeAll(async () => {
      fx = await startInNetns<Made>(ALL_STATES);
    });
    afterAll(() => fx?.stop());

    const ss = (args: string[]) => fx.exec('ss', args);

    /** ss before and after sockscope, and sockscope's table, parsed. */
    function sideBySide(args: string[], extra: string[] = []) {
      const header = !args.some((a) => /^-\w*H/.test(a));
      const before = parseTable(ss(args), header);
      const r = cli(['list', ...args, ...extra], fx);
      const after = parseTable(ss(args), header);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(0);
      if (!header) expect(r.stdout.startsWith('State')).toBe(false);
      else expect(r.stdout.split('\n')[0]!.split(/\s+/).slice(0, 3)).toEqual(ss(args).split('\n')[0]!.split(/\s+/).slice(0, 3));
      return { before, ours: parseTable(r.stdout, header), after };
    }

    function expectSameRows(args: string[], extra: string[] = []) {
      const { before, ours, after } = sideBySide(args, extra);
      const what = [...args, ...extra].join(' ');
      expect(ours.map((l) => l.key).sort(), what).toEqual(before.map((l) => l.key).sort());
      const index = (lines: Line[]) => new Map(lines.map((l) => [l.key, l]));
      const [b, a] = [index(before), index(after)];
      for (const line of ours) {
        const peers = [b.get(line.key)!, a.get(line.key)].filter((p) => p !== undefined);
        // A state may move on between the reads (a handshake completing): one ss saw, before or after.
        expect(peers.map((p) => p.state), `${what}: ${line.key}`).toContain(line.state);
        // Queues behind a zero window still creep: equal to ss's before or after.
        expect(peers.map((p) => p.recvQ), `${what}: ${line.key} Recv-Q`).toContain(line.recvQ);
        // A listener's Send-Q is its backlog over netlink; /proc/net/tcp has none and says 0.
        if (!(line.state === 'LISTEN' && extra.includes('proc'))) expect(peers.map((p) => p.sendQ), `${what}: ${line.key} Send-Q`).toContain(line.sendQ);
        if (peers[0]!.users !== undefined || line.users !== undefined) expect(line.users, `${what}: ${line.key} users`).toBe(peers[0]!.users);
      }
      return { before, ours, after };
    }

    const port = () => String(fx.made.v4.established_unread);

    it('reaches ESTABLISHED, LISTEN, TIME_WAIT, SYN_RECV and UDP sockets to compare', () => {
      const states = new Set(parseTable(ss(['-tuanH']), false).map((l) => l.state));
      for (const s of ['ESTABLISHED', 'LISTEN', 'TIME_WAIT', 'SYN_RECV', 'CLOSE_WAIT', 'CLOSE']) expect(states).toContain(s);
    });

    const FLAGS = [['-tan'], ['-tln'], ['-ltn'], ['-tanH'], ['-tn'], ['-uan'], ['-ua'], ['-tuan'], ['-4tan'], ['-6tan'], ['-tanp'], ['-tlnp'], ['-at', '-n']];
    for (const args of FLAGS) {
      it(`ss ${args.join(' ')}`, () => {
        const { ours } = expectSameRows(args);
        expect(ours.length).toBeGreaterThan(0);
      });
    }

    // P stands for a port of the fixture's, known once it runs.
    const FILTERS: string[][] = [
      ['-tn', 'state', 'established'],
      ['-tan', 'state', 'established'],
      ['-tn', 'state', 'connected'],
      ['-tn', 'state', 'synchronized'],
      ['-tn', 'state', 'bucket'],
      ['-tn', 'state', 'big'],
      ['-tan', 'exclude', 'listening'],
      ['-tn', 'state', 'time-wait', 'state', 'syn-recv'],
      ['-tan', '( dport = :P or sport = :P )'],
      ['-tan', 'state', 'established', '( dport = :P or sport = :P )'],
      ['-tn', 'dst', '127.0.0.0/8'],
      ['-tan', 'src', '[::1]'],
      ['-tan', 'src', '[::ffff:127.0.0.1]'],
      ['-tan', 'sport', 'gt', ':1024'],
      ['-tan', 'dport', '<=', ':P'],
      ['-tan', 'not', 'dport', '=', ':P'],
      ['-tan', 'not', 'src', '127.0.0.0/8'],
      ['-tan', '!', '(', 'src', '[::1]', 'or', 'dst', '127.0.0.1', ')'],
      ['-tan', 'src', '127.0.0.1', 'and', 'sport', '!=', ':P'],
      ['-uan', 'dst', '127.0.0.1'],
    ];
    for (const filter of FILTERS) {
      it(`ss ${filter.join(' ')} (netlink and /proc)`, () => {
        const args = filter.map((w) => w.replaceAll('P', port()));
        const { ours } = expectSameRows(args);
        expectSameRows(args, ['--source', 'proc']);
        if (!args.includes('not') && !args.includes('!')) expect(ours.length, args.join(' ')).toBeGreaterThan(0);
      });
    }

    it('ss -tano: the same timers, within the printed resolution and a tick', () => {
      const { before, ours, after } = expectSameRows(['-tano']);
      const [b, a] = [new Map(before.map((l) => [l.key, l])), new Map(after.map((l) => [l.key, l]))];
      let timers = 0;
      for (const line of ours) {
        const [pre, post] = [b.get(line.key)!, a.get(line.key)];
        if (line.timer === undefined) {
          expect([pre.timer, post?.timer], `${line.key}: no timer`).toContain(undefined);
          continue;
        }
        timers++;
        const [, name, time, retrans] = TIMER.exec(line.timer)!;
        const peers = [pre, post].map((p) => (p?.timer ? TIMER.exec(p.timer) : null)).filter((m) => m !== null);
        expect(peers.map((m) => m[1]), `${line.key}: timer name`).toContain(name);
        const counts = peers.map((m) => Number(m[3]));
        expect(Number(retrans), `${line.key}: retransmits`).toBeGreaterThanOrEqual(Math.min(...counts));
        expect(Number(retrans), `${line.key}: retransmits`).toBeLessThanOrEqual(Math.max(...counts));
        // TIME_WAIT's timer only runs down between ss's two reads (the others are armed again as
        // they fire: retransmits and zero-window probes).
        if (name === 'timewait' && peers.length === 2) {
          const [low, high] = timerRange(time!);
          expect(high, `${line.key}: ${time} after ss's ${peers[1]![2]}`).toBeGreaterThanOrEqual(timerRange(peers[1]![2]!)[0] - TICK_MS);
          expect(low, `${line.key}: ${time} before ss's ${peers[0]![2]}`).toBeLessThanOrEqual(timerRange(peers[0]![2]!)[1] + TICK_MS);
        }
      }
      expect(timers).toBeGreaterThan(0); // TIME_WAIT and the zero-window probes at least
      expect(ours.filter((l) => l.state === 'TIME_WAIT').every((l) => l.timer?.startsWith('timer:(timewait,'))).toBe(true);
    });

    it('ss -s: the same summary, line by line (Total is the host\'s and may move)', () => {
      const before = ss(['-s']);
      const r = cli(['list', '-s'], fx);
      const after = ss(['-s']);
      expect(r.status).toBe(0);
      const lines = (text: string) => text.split('\n');
      const ours = lines(r.stdout);
      // ss -s ends with a blank line; so does the CLI's output.
      expect(ours).toHaveLength(lines(before).length);
      expect(ours[0]).toMatch(/^Total: \d+$/);
      expect(Number(ours[0]!.slice(7))).toBeGreaterThan(0);
      for (let i = 1; i < ours.length; i++) expect([lines(before)[i], lines(after)[i]], `line ${i + 1}`).toContain(ours[i]);
      expect(ours[1]).toMatch(/^TCP: {3}\d+ \(estab [1-9]\d*, closed \d+, orphaned \d+, timewait [1-9]\d*\)$/);
    });

    it('ss -s -t: the summary, then the sockets', () => {
      const r = cli(['list', '-s', '-t', '-a', '-n'], fx);
      expect(r.status).toBe(0);
      const at = r.stdout.indexOf('\n\nState');
      expect(at).toBeGreaterThan(0);
      const [summary, table] = [r.stdout.slice(0, at + 1), r.stdout.slice(at + 2)];
      expect(summary.split('\n')).toHaveLength(10); // 9 lines and a blank one, as ss -s -t
      expect(summary.startsWith('Total: ')).toBe(true);
      expect(parseTable(table, true).map((l) => l.key).sort()).toEqual(parseTable(ss(['-tan']), true).map((l) => l.key).sort());
    });

    it('refuses -r in one line, and a bad filter naming its word, with exit 2', () => {
      for (const [args, message] of [
        [['list', '-tanr'], 'sockscope: -r/--resolve is not supported: sockscope prints addresses and ports as numbers only'],
        [['list', '-tan', 'dport', '=', 'https'], `sockscope: Unexpected 'https' at word 3 of "dport = https": expected a port number (service names are not resolved)`],
        [['list', '-tan', 'state', 'establish'], `sockscope: Unexpected 'establish' at word 2 of "state establish": expected a state (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing) or group (all, connected, synchronized, bucket, big)`],
      ] as const) {
        const r = cli([...args], fx);
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr).toBe(`${message}\nTry 'sockscope --help' for more information.\n`);
        expect(r.stdout).toBe('');
      }
    });

    it('endpoint keys agree with the fixture: the filtered port is the one made', () => {
      const { ours } = expectSameRows(['-tn', 'sport', '=', `:${port()}`]);
      expect(ours.map((l) => l.key.split(' ')[0])).toContain(endpointKey('127.0.0.1', port()));
    });
  },
);
