import { describe, expect, it } from 'vitest';
import type { FilterNode, HostNode, PortNode, PortOp } from '../../src/filter/ast.js';
import { FilterSyntaxError } from '../../src/filter/errors.js';
import { parseFilter } from '../../src/filter/parse.js';

const sport = (op: PortOp, port: number): PortNode => ({ type: 'port', side: 'src', op, port });
const dport = (op: PortOp, port: number): PortNode => ({ type: 'port', side: 'dst', op, port });
const host = (side: 'src' | 'dst', family: 0 | 4 | 6, address: number[], prefixLength: number, port: number | null): HostNode =>
  ({ type: 'host', side, family, address: Uint8Array.from(address), prefixLength, port });
const v6 = (...groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
const and = (left: FilterNode, right: FilterNode): FilterNode => ({ type: 'and', left, right });
const or = (left: FilterNode, right: FilterNode): FilterNode => ({ type: 'or', left, right });
const not = (operand: FilterNode): FilterNode => ({ type: 'not', operand });

const expressions: [string | string[], FilterNode][] = [
  // every port operator, symbol and word
  ['dport = :443', dport('eq', 443)],
  ['dport == 443', dport('eq', 443)],
  ['dport eq :443', dport('eq', 443)],
  ['dport :443', dport('eq', 443)],
  ['sport != :22', sport('ne', 22)],
  ['sport ne 22', sport('ne', 22)],
  ['sport neq 22', sport('ne', 22)],
  ['sport < :1024', sport('lt', 1024)],
  ['sport lt 1024', sport('lt', 1024)],
  ['sport <= 1024', sport('le', 1024)],
  ['sport le 1024', sport('le', 1024)],
  ['dport > :1023', dport('gt', 1023)],
  ['dport gt 1023', dport('gt', 1023)],
  ['dport >= 0', dport('ge', 0)],
  ['dport ge 65535', dport('ge', 65535)],
  ['dport = 0x1bb', dport('eq', 443)],
  ['sport = *', host('src', 0, [], 0, null)],
  ['sport != :*', not(host('src', 0, [], 0, null))],
  // addresses, prefixes, ports
  ['dst 10.0.0.0/8', host('dst', 4, [10, 0, 0, 0], 8, null)],
  ['dst 10/8', host('dst', 4, [10, 0, 0, 0], 8, null)],
  ['dst = 193.233.7/24', host('dst', 4, [193, 233, 7, 0], 24, null)],
  ['dst 127.0.0.1:80', host('dst', 4, [127, 0, 0, 1], 32, 80)],
  ['src 127.0.0.1', host('src', 4, [127, 0, 0, 1], 32, null)],
  ['src 10.1.0.0/16:8080', host('src', 4, [10, 1, 0, 0], 16, 8080)],
  ['src [::1]:22', host('src', 6, v6(0, 0, 0, 0, 0, 0, 0, 1), 128, 22)],
  ['src [::1]', host('src', 6, v6(0, 0, 0, 0, 0, 0, 0, 1), 128, null)],
  ['src [fe80::/10]', host('src', 6, v6(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, null)],
  ['src [2001:db8::]/32:443', host('src', 6, v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32, 443)],
  ['dst [::ffff:10.0.0.1]', host('dst', 6, v6(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001), 128, null)],
  ['dst *', host('dst', 0, [], 0, null)],
  ['dst *:80', host('dst', 0, [], 0, 80)],
  ['dst any', host('dst', 0, [], 0, null)],
  ['src eq 0.0.0.0/0', host('src', 4, [0, 0, 0, 0], 0, null)],
  // operators, implicit and, grouping
  ['sport = :1 and dport = :2', and(sport('eq', 1), dport('eq', 2))],
  ['sport = :1 && dport = :2', and(sport('eq', 1), dport('eq', 2))],
  ['sport = :1 & dport = :2', and(sport('eq', 1), dport('eq', 2))],
  ['sport = :1 dport = :2', and(sport('eq', 1), dport('eq', 2))],
  ['sport = :1 or dport = :2', or(sport('eq', 1), dport('eq', 2))],
  ['sport = :1 || dport = :2', or(sport('eq', 1), dport('eq', 2))],
  ['sport = :1 | dport = :2', or(sport('eq', 1), dport('eq', 2))],
  ['not sport = :1', not(sport('eq', 1))],
  ['! sport = :1', not(sport('eq', 1))],
  ['! ! sport = :1', not(not(sport('eq', 1)))],
  // not binds to one term; and/or are equal and group from the left, as ss's grammar does
  ['not sport = :1 and sport = :2', and(not(sport('eq', 1)), sport('eq', 2))],
  ['sport = :1 or sport = :2 and sport = :3', and(or(sport('eq', 1), sport('eq', 2)), sport('eq', 3))],
  ['sport = :1 and sport = :2 or sport = :3', or(and(sport('eq', 1), sport('eq', 2)), sport('eq', 3))],
  ['sport = :1 or sport = :2 sport = :3', and(or(sport('eq', 1), sport('eq', 2)), sport('eq', 3))],
  ['sport = :1 or ( sport = :2 and sport = :3 )', or(sport('eq', 1), and(sport('eq', 2), sport('eq', 3)))],
  ['not ( sport = :1 or sport = :2 )', not(or(sport('eq', 1), sport('eq', 2)))],
  ['(dport = :443 or sport = :443)', or(dport('eq', 443), sport('eq', 443))],
  [['(', 'dport', '=', ':443', 'or', 'sport', '=', ':443', ')'], or(dport('eq', 443), sport('eq', 443))],
  [['( dport = :443 or sport = :443 )', 'dst', '10.0.0.0/8'], and(or(dport('eq', 443), sport('eq', 443)), host('dst', 4, [10, 0, 0, 0], 8, null))],
  ['dst 127.0.0.1\\:80', host('dst', 4, [127, 0, 0, 1], 32, 80)],
];

describe('parseFilter: expressions', () => {
  it.each(expressions)('%j', (input, expected) => {
    expect(parseFilter(input)).toEqual({ states: null, expression: expected });
  });
});

const bit = (...states: number[]) => states.reduce((m, s) => m | (1 << s), 0);

describe('parseFilter: state words', () => {
  const cases: [string, number][] = [
    ['state established', bit(1)],
    ['state ESTABLISHED', bit(1)],
    ['state syn-sent state syn-recv', bit(2, 3)],
    ['state syn-rcv', bit(3)],
    ['state fin-wait-1 state fin-wait-2 state time-wait', bit(4, 5, 6)],
    ['state closed state close-wait state last-ack', bit(7, 8, 9)],
    ['state close state unconnected', bit(7)],
    ['state listening state closing', bit(10, 11)],
    ['state all', bit(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)],
    ['state connected', bit(1, 2, 3, 4, 5, 6, 8, 9, 11)],
    ['state synchronized', bit(1, 3, 4, 5, 6, 8, 9, 11)],
    ['state bucket', bit(3, 6)],
    ['state big', bit(1, 2, 4, 5, 7, 8, 9, 10, 11)],
    ['exclude listening', bit(1, 2, 3, 4, 5, 6, 7, 8, 9, 11)],
    ['excl bucket exclude closed', bit(1, 2, 4, 5, 8, 9, 10, 11)],
    ['state connected exclude established', bit(2, 3, 4, 5, 6, 8, 9, 11)],
    ['exclude all state listening', bit(10)],
  ];
  it.each(cases)('%s', (input, mask) => {
    expect(parseFilter(input)).toEqual({ states: mask, expression: null });
  });

  it('takes state words only before the expression', () => {
    expect(parseFilter(['state', 'established', '( dport = :443 or sport = :443 )'])).toEqual({
      states: bit(1),
      expression: or(dport('eq', 443), sport('eq', 443)),
    });
  });

  it("reads states that select none as ss's default states, as ss does", () => {
    const conn = bit(1, 2, 4, 5, 8, 9, 11);
    expect(parseFilter('exclude all')).toEqual({ states: conn, expression: null });
    expect(parseFilter('state bucket exclude bucket sport = :1')).toEqual({ states: conn, expression: sport('eq', 1) });
  });

  it('reads an empty filter as no states and no expression', () => {
    expect(parseFilter([])).toEqual({ states: null, expression: null });
    expect(parseFilter('  ')).toEqual({ states: null, expression: null });
  });
});

describe('parseFilter: errors', () => {
  const cond = "a condition (src, dst, sport, dport), 'not' or '('";
  const cases: [string, string][] = [
    ['dport = foo', `Unexpected 'foo' at word 3 of "dport = foo": expected a port number (service names are not resolved)`],
    ['dport = :https', `Unexpected ':https' at word 3 of "dport = :https": expected a port number (service names are not resolved)`],
    ['dport = 70000', `Unexpected '70000' at word 3 of "dport = 70000": expected a port (0-65535)`],
    ['dport = 1.2', `Unexpected '1.2' at word 3 of "dport = 1.2": expected a port`],
    ['dport =', `Unexpected end after word 2 of "dport =": expected a port`],
    ['sport >= *', `Unexpected '*' at word 3 of "sport >= *": expected a port number (only = and != take *)`],
    ['dst', `Unexpected end after word 1 of "dst": expected an address`],
    ['dst != 10.0.0.1', `Unexpected '!=' at word 2 of "dst != 10.0.0.1": expected an address`],
    ['dst 10.0.0.256', `Unexpected '10.0.0.256' at word 2 of "dst 10.0.0.256": expected an address (a.b.c.d, a.b.c.d/len, [v6], [v6]/len or '*') with an optional :port`],
    ['dst 10.0.0.0/33', `Unexpected '10.0.0.0/33' at word 2 of "dst 10.0.0.0/33": expected a prefix length of 0-32 after '/'`],
    ['src ::1', `Unexpected '::1' at word 2 of "src ::1": expected an IPv6 address in brackets, as in [::1] or [::1]:22`],
    ['src [::1', `Unexpected '[::1' at word 2 of "src [::1": expected an address (a.b.c.d, a.b.c.d/len, [v6], [v6]/len or '*') with an optional :port (no ']' closes the IPv6 address)`],
    ['src [::1]/129', `Unexpected '[::1]/129' at word 2 of "src [::1]/129": expected a prefix length of 0-128 after '/'`],
    ['src unix:/tmp/x', `Unexpected 'unix:/tmp/x' at word 2 of "src unix:/tmp/x": expected an address (a.b.c.d, a.b.c.d/len, [v6], [v6]/len or '*') with an optional :port (family prefixes such as unix: are not supported)`],
    ['( sport = :1', `Unexpected end after word 4 of "( sport = :1": expected ')'`],
    ['sport = :1 )', `Unexpected ')' at word 4 of "sport = :1 )": expected the end, 'and', 'or' or a condition (no '(' to close)`],
    ['( )', `Unexpected ')' at word 2 of "( )": expected ${cond}`],
    ['sport = :1 and', `Unexpected end after word 4 of "sport = :1 and": expected ${cond}`],
    ['and sport = :1', `Unexpected 'and' at word 1 of "and sport = :1": expected ${cond}`],
    ['not', `Unexpected end after word 1 of "not": expected ${cond}`],
    ['sport\\ = :1', `Unexpected 'sport =' at word 1 of "sport = :1": expected ${cond}`],
    ['foo', `Unexpected 'foo' at word 1 of "foo": expected ${cond}`],
    ['sport = :1 state established', `Unexpected 'state' at word 4 of "sport = :1 state established": expected ${cond}; state words go before the expression`],
    ['dev eth0', `Unexpected 'dev' at word 1 of "dev eth0": expected ${cond}; sockscope does not filter by dev`],
    ['state foo', `Unexpected 'foo' at word 2 of "state foo": expected a state (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing) or group (all, connected, synchronized, bucket, big)`],
    ['state new-syn-recv', `Unexpected 'new-syn-recv' at word 2 of "state new-syn-recv": expected a state (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing) or group (all, connected, synchronized, bucket, big)`],
    ['exclude', `Unexpected end after word 1 of "exclude": expected a state (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing) or group (all, connected, synchronized, bucket, big)`],
  ];
  it.each(cases)('%s', (input, message) => {
    expect(() => parseFilter(input)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(input)).toThrow(expect.objectContaining({ message }));
  });

  it('refuses input that is not words with a TypeError', () => {
    expect(() => parseFilter(443 as never)).toThrow(new TypeError('Expected a string or an array of strings for filter but received 443 of type number'));
    expect(() => parseFilter(['sport', 443] as never)).toThrow(new TypeError('Expected a string or an array of strings for filter but received an array holding a non-string'));
  });

  it('carries code, word, token and expression, and is a SyntaxError', () => {
    let caught: unknown;
    try {
      parseFilter(['dport', '=', 'foo']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SyntaxError);
    expect(caught).toBeInstanceOf(FilterSyntaxError);
    expect(caught).toMatchObject({ name: 'FilterSyntaxError', code: 'ERR_FILTER_SYNTAX', word: 3, token: 'foo', expression: 'dport = foo' });
    expect(Object.keys(caught as object)).not.toContain('name');
  });
});
