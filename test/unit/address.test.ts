// Address text: IPv4 dotted, IPv6 as RFC 5952 section 4 asks.
import { describe, expect, it } from 'vitest';

import { formatIPv4, formatIPv6 } from '../../src/index.js';

const v6 = (hex: string) => formatIPv6(Uint8Array.from(Buffer.from(hex.replace(/:/g, ''), 'hex')), 0);

describe('address text', () => {
  it('prints IPv4 dotted', () => {
    expect(formatIPv4(Uint8Array.of(0, 127, 0, 0, 1), 1)).toBe('127.0.0.1');
  });
  const cases: [string, string][] = [
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // one zero group stays
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // the first of equal runs
    ['2001:0db8:0000:0000:0000:0001:0000:0000', '2001:db8::1:0:0'], // the longest run wins
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:7f00:0001', '::ffff:127.0.0.1'],
    ['2001:0DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'],
  ];
  for (const [hex, text] of cases) it(`prints ${hex} as ${text}`, () => expect(v6(hex)).toBe(text));
});
