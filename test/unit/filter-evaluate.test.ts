import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateKernel, evaluateUserspace, matches, type SocketFields } from '../../src/filter/evaluate.js';
import { parseIPv4, parseIPv6 } from '../../src/filter/host.js';
import { parseFilter } from '../../src/filter/parse.js';

// Rows live at slot 3 of 16-byte-per-row columns, with junk in the other slots, as in a real table.
function row(local: string, localPort: number, remote: string, remotePort: number, state = 1): SocketFields {
  const family = isIPv4(local) ? 4 : 6;
  const column = (text: string) => {
    const bytes = new Uint8Array(16 * 5).fill(0xee);
    const address = family === 4 ? parseIPv4(text)! : parseIPv6(text)!;
    bytes.fill(0, 48, 64);
    bytes.set(address, 48);
    return bytes;
  };
  return { family, local: column(local), localOffset: 48, remote: column(remote), remoteOffset: 48, localPort, remotePort, state };
}

const expr = (text: string) => parseFilter(text).expression!;

describe('evaluate: ports', () => {
  const r = row('10.0.0.1', 443, '10.0.0.2', 50000);
  const cases: [string, boolean][] = [
    ['sport = :443', true],
    ['sport = :444', false],
    ['sport != :443', false],
    ['sport != :444', true],
    ['sport < 443', false],
    ['sport < 444', true],
    ['sport <= 443', true],
    ['sport <= 442', false],
    ['sport > 442', true],
    ['sport > 443', false],
    ['sport >= 443', true],
    ['sport >= 444', false],
    ['dport = :50000', true],
    ['dport > 49999 and dport < 50001', true],
    ['dport = :443', false],
    ['sport = *', true],
    ['sport != *', false],
    ['( dport = :443 or sport = :443 )', true],
    ['not ( dport = :443 or sport = :443 )', false],
    ['sport = :443 dport = :1', false],
    ['sport = :1 or sport = :443 and dport = :50000', true],
    ['sport = :443 or sport = :1 and dport = :1', false],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(evaluate(expr(text), r)).toBe(expected);
    expect(evaluateKernel(expr(text), r)).toBe(expected);
  });
});

describe('evaluate: addresses', () => {
  const cases: [string, SocketFields, boolean][] = [
    ['dst 10.0.0.0/8', row('127.0.0.1', 1, '10.200.3.4', 80), true],
    ['dst 10.0.0.0/8', row('127.0.0.1', 1, '11.0.0.1', 80), false],
    ['dst 10.16.0.0/12', row('127.0.0.1', 1, '10.31.255.255', 80), true],
    ['dst 10.16.0.0/12', row('127.0.0.1', 1, '10.32.0.0', 80), false],
    ['dst 10.0.0.0/8', row('::1', 1, '::ffff:10.1.2.3', 80), true],
    ['dst 10.0.0.0/8', row('::1', 1, '::ffff:11.1.2.3', 80), false],
    ['dst 127.0.0.1:80', row('127.0.0.1', 1, '127.0.0.1', 80), true],
    ['dst 127.0.0.1:80', row('127.0.0.1', 1, '127.0.0.1', 81), false],
    ['dst 127.0.0.1:80', row('::1', 1, '::ffff:127.0.0.1', 80), true],
    ['dst *:80', row('::1', 1, '::1', 80), true],
    ['dst *:80', row('::1', 1, '::1', 81), false],
    ['src [::1]:22', row('::1', 22, '::1', 5000), true],
    ['src [::1]:22', row('::1', 23, '::1', 5000), false],
    ['src [::1]', row('0.0.0.0', 22, '0.0.0.0', 0), false],
    ['src [fe80::]/10', row('febf::1', 22, '::', 0), true],
    ['src [fe80::]/10', row('fec0::1', 22, '::', 0), false],
    ['src [::]/0', row('2001:db8::1', 22, '::', 0), true],
    ['src 0.0.0.0/0', row('127.0.0.1', 22, '0.0.0.0', 0), true],
    ['src 127.0.0.1 and dst 127.0.0.1', row('127.0.0.1', 1, '127.0.0.1', 2), true],
  ];
  it.each(cases)('%s on %#', (text, r, expected) => {
    expect(evaluate(expr(text), r)).toBe(expected);
  });
});

describe('evaluate: the other family, where the kernel and ss disagree', () => {
  // ss prints a socket when both its kernel bytecode and its userspace pass accept it.
  const cases: [string, SocketFields, { kernel: boolean; userspace: boolean; ss: boolean }][] = [
    // ss's userspace compares an IPv4 prefix with an IPv6 address's first bytes.
    ['src 0.0.0.0', row('::1', 1, '::', 0), { kernel: false, userspace: true, ss: false }],
    ['not src 0.0.0.0', row('::1', 1, '::', 0), { kernel: true, userspace: false, ss: false }],
    ['not src 0.0.0.0', row('127.0.0.1', 1, '0.0.0.0', 0), { kernel: true, userspace: true, ss: true }],
    ['not dst [::]', row('0.0.0.0', 1, '0.0.0.0', 0), { kernel: true, userspace: false, ss: false }],
    ['not dst [::]', row('127.0.0.1', 1, '127.0.0.1', 5), { kernel: true, userspace: true, ss: true }],
    // A zero-length prefix still names a family for the kernel.
    ['src 0.0.0.0/0', row('::1', 1, '::', 0), { kernel: false, userspace: true, ss: false }],
    ['not src [::]/0', row('127.0.0.1', 1, '0.0.0.0', 0), { kernel: true, userspace: false, ss: false }],
    // An IPv6 prefix never matches an IPv4-mapped address as IPv4, in either.
    ['src [::ffff:127.0.0.1]', row('127.0.0.1', 1, '0.0.0.0', 0), { kernel: false, userspace: false, ss: false }],
  ];
  it.each(cases)('%s on %#', (text, r, expected) => {
    expect({
      kernel: evaluateKernel(expr(text), r),
      userspace: evaluateUserspace(expr(text), r),
      ss: evaluate(expr(text), r),
    }).toEqual(expected);
  });
});

describe('matches: states and expression', () => {
  it('applies the state mask, then the expression', () => {
    const filter = parseFilter(['state', 'established', 'sport = :443']);
    expect(matches(filter, row('10.0.0.1', 443, '10.0.0.2', 1, 1))).toBe(true);
    expect(matches(filter, row('10.0.0.1', 443, '10.0.0.2', 1, 10))).toBe(false);
    expect(matches(filter, row('10.0.0.1', 444, '10.0.0.2', 1, 1))).toBe(false);
  });

  it('accepts every socket with neither', () => {
    expect(matches(parseFilter(''), row('10.0.0.1', 443, '10.0.0.2', 1, 7))).toBe(true);
  });

  it('applies a state mask alone', () => {
    const filter = parseFilter('exclude bucket');
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((s) => matches(filter, row('::', 1, '::', 0, s)))).toEqual([1, 2, 4, 5, 7, 8, 9, 10, 11]);
  });
});
