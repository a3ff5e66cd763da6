// ss's habits in the CLI: short flags combined in one word, -n accepted, -r refused, usage errors
// in one line with a hint, and ss's printing of timers (-o) and of the summary (-s).
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { parse, UsageError } from '../../src/cli/args.js';
import { formatSummary } from '../../src/cli/summary.js';
import { HELP_HINT } from '../../src/cli/usage.js';
import { formatMsTimer, formatTimer } from '../../src/format.js';
import { parseSockstat, type Sockstat } from '../../src/sockstat.js';
import { cli } from '../helpers/netns.js';

const recorded = path.join(__dirname, '../fixtures/proc/recorded');

/** The flags set to true, sorted: what a word like -tanp turned on. */
const on = (argv: string[]) =>
  Object.entries(parse(argv).values).filter(([, v]) => v === true).map(([k]) => k).sort();

describe('short flags, combined as ss takes them', () => {
  it.each([
    [['list', '-tan'], ['all', 'numeric', 'tcp']],
    [['list', '-tlnp'], ['listening', 'numeric', 'processes', 'tcp']],
    [['list', '-ltn'], ['listening', 'numeric', 'tcp']],
    [['list', '-uan'], ['all', 'numeric', 'udp']],
    [['list', '-tanp'], ['all', 'numeric', 'processes', 'tcp']],
    [['list', '-4tan'], ['all', 'ipv4', 'numeric', 'tcp']],
    [['list', '-6'], ['ipv6']],
    [['list', '-tanHo'], ['all', 'no-header', 'numeric', 'options', 'tcp']],
    [['list', '-s'], ['stats']],
    [['list', '-a', '-t', '-n'], ['all', 'numeric', 'tcp']],
  ])('%j sets %j', (argv, flags) => {
    expect(on(argv)).toEqual(flags);
    expect(parse(argv).positionals).toEqual(['list']);
  });

  it('leaves the filter words after the options as positionals, in order', () => {
    const { positionals } = parse(['list', '-tan', 'state', 'established', '( dport = :443 or sport = :443 )']);
    expect(positionals).toEqual(['list', 'state', 'established', '( dport = :443 or sport = :443 )']);
  });

  it('names an unknown short flag alone, without node\'s advice on --', () => {
    expect(() => parse(['list', '-tanq'])).toThrow(new UsageError("unknown option '-q'"));
    expect(() => parse(['list', '--nope'])).toThrow(new UsageError("unknown option '--nope'"));
  });
});

describe('usage errors: one line and a hint, exit 2', () => {
  it.each([
    [['list', '-tanr'], 'sockscope: -r/--resolve is not supported: sockscope prints addresses and ports as numbers only'],
    [['list', '--resolve'], 'sockscope: -r/--resolve is not supported: sockscope prints addresses and ports as numbers only'],
    [['list', '-tanq'], "sockscope: unknown option '-q'"],
    [['list', '-tan', 'sport', '>'], `sockscope: Unexpected end after word 2 of "sport >": expected a port`],
    [['list', '-s', '-N', 'x'], 'sockscope: -s reads /proc/net/sockstat: it takes --proc-root, not -N/--netns'],
    [['states', 'established'], 'sockscope: unexpected argument "established"'],
  ])('%j', (argv, message) => {
    const r = cli(argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${message}\n${HELP_HINT}\n`);
    expect(r.stdout).toBe('');
  });

  it('the hint names --help, which prints the usage and exits 0', () => {
    expect(HELP_HINT).toBe("Try 'sockscope --help' for more information.");
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: sockscope/);
  });
});

describe('list on a recorded /proc: -n, -H and filter words', () => {
  it('-tan equals list -a, -n changing nothing', () => {
    expect(cli(['list', '-tan', '--proc-root', recorded]).stdout).toBe(cli(['list', '-a', '--proc-root', recorded]).stdout);
  });

  it('-H drops exactly the header line', () => {
    const full = cli(['list', '-tan', '--proc-root', recorded]).stdout;
    expect(cli(['list', '-tanH', '--proc-root', recorded]).stdout).toBe(full.slice(full.indexOf('\n') + 1));
  });

  it('state words replace -a: -tan state time-wait keeps TIME_WAIT only, without the State column', () => {
    const all = JSON.parse(cli(['list', '-a', '--json', '--proc-root', recorded]).stdout) as { state: string }[];
    const tw = JSON.parse(cli(['list', '-tan', '--json', '--proc-root', recorded, 'state', 'time-wait']).stdout) as { state: string }[];
    expect(tw.length).toBe(all.filter((r) => r.state === 'TIME_WAIT').length);
    expect(tw.length).toBeGreaterThan(0);
    const text = cli(['list', '-tan', '--proc-root', recorded, 'state', 'time-wait']).stdout.trimEnd().split('\n');
    expect(text[0]).toMatch(/^Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port$/);
    expect(text).toHaveLength(tw.length + 1);
  });
});

describe('timers as ss -o prints them (print_ms_timer)', () => {
  it.each([
    [0, ''],
    [5, '005ms'],
    [200, '200ms'],
    [1600, '1.600sec'],
    [9999, '9.999sec'],
    [10500, '10sec'],
    [59000, '59sec'],
    [60000, '1min'],
    [61500, '1min1sec'],
    [90000, '1min30sec'],
    [540000, '9min'],
    [599999, '9min59sec'],
    [600000, '10min'],
    [7200000, '120min'],
  ])('%d ms is %j', (ms, text) => {
    expect(formatMsTimer(ms)).toBe(text);
  });

  it('names the timer as ss: probe is persist; none when off', () => {
    expect(formatTimer({ timer: 'keepalive', timerExpires: 540000, retransmits: 0 })).toBe('timer:(keepalive,9min,0)');
    expect(formatTimer({ timer: 'on', timerExpires: 200, retransmits: 0 })).toBe('timer:(on,200ms,0)');
    expect(formatTimer({ timer: 'timewait', timerExpires: 59300, retransmits: 0 })).toBe('timer:(timewait,59sec,0)');
    expect(formatTimer({ timer: 'probe', timerExpires: 1600, retransmits: 3 })).toBe('timer:(persist,1.600sec,3)');
    expect(formatTimer({ timer: 'off', timerExpires: 0, retransmits: 0 })).toBe('');
  });
});

describe('the summary as ss -s prints it (print_summary)', () => {
  it('reads sockstat and sockstat6 as ss does, tabs and padding included', () => {
    const s: Sockstat = {};
    parseSockstat('sockets: used 230\nTCP: inuse 12 orphan 1 tw 7 alloc 20 mem 3\nUDP: inuse 4 mem 2\nUDPLITE: inuse 0\nRAW: inuse 1\nFRAG: inuse 2 memory 4096\n', 'sockstat', s);
    parseSockstat('TCP6: inuse 5\nUDP6: inuse 3\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n', 'sockstat6', s);
    expect(formatSummary(s, 9)).toBe([
      'Total: 230',
      'TCP:   27 (estab 9, closed 10, orphaned 1, timewait 7)',
      '',
      'Transport Total     IP        IPv6',
      'RAW\t  1         1         0        ',
      'UDP\t  7         4         3        ',
      'TCP\t  17        12        5        ',
      'INET\t  25        17        8        ',
      'FRAG\t  2         2         0        ',
      '',
    ].join('\n'));
  });

  it('reads zeros for IPv6 when sockstat6 is missing (IPv6 disabled)', () => {
    const s: Sockstat = {};
    parseSockstat('sockets: used 3\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\nUDP: inuse 0 mem 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n', 'sockstat', s);
    expect(formatSummary(s, 0).split('\n')[6]).toBe('TCP\t  1         1         0        ');
  });
});
