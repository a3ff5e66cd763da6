// Address, prefix and port words of ss filters (misc/ss.c parse_hostcond, lib/utils.c get_prefix_1).

import type { HostNode, Side } from './ast.js';

/** Thrown by the word parsers below with what was expected; parse.ts adds the word's position. */
export class Expected extends Error {}

/** A number as C's strtoul(s, &end, 0) reads a whole word: decimal, 0x hex or 0 octal. */
export function parseCNumber(text: string): number | null {
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  return null;
}

/** An IPv4 address as iproute2 reads it: 1 to 4 parts, missing ones zero (`10/8` is 10.0.0.0/8). */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < parts.length; i++) {
    const n = parseCNumber(parts[i]!);
    if (n === null || n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** An IPv6 address as inet_pton(AF_INET6) reads it, or null. */
export function parseIPv6(text: string): Uint8Array | null {
  let hex = text;
  let v4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const quad = text.slice(lastColon + 1);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(quad)) return null;
    v4 = Uint8Array.from(quad.split('.').map(Number));
    if (quad.split('.').some((n) => Number(n) > 255)) return null;
    hex = `${text.slice(0, lastColon + 1)}0:0`; // two stand-in groups, overwritten below
  }
  const halves = hex.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const all = [...head, ...new Array<string>(8 - count).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i]!)) return null;
    const g = parseInt(all[i]!, 16);
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  if (v4 !== null) out.set(v4, 12);
  return out;
}

/** A port word without its colon: a number 0-65535, or null for `*` or nothing (any port). */
export function parsePort(text: string): number | null {
  if (text === '' || text === '*') return null;
  const n = parseCNumber(text);
  if (n !== null && n <= 65535) return n;
  if (n !== null || /^\d+$/.test(text)) throw new Expected('a port (0-65535)');
  if (/^[A-Za-z][\w.+-]*$/.test(text)) throw new Expected('a port number (service names are not resolved)');
  throw new Expected('a port');
}

/** The word after `sport`/`dport` and an operator: `:PORT`, `PORT`, `*` or `:*`. */
export function parsePortWord(word: string): number | null {
  return parsePort(word.startsWith(':') ? word.slice(1) : word);
}

const UNSUPPORTED_FAMILIES = ['unix:', 'link:', 'netlink:', 'vsock:', 'inet:', 'inet6:'];
const ANY_WORDS = new Set(['all', 'any', 'default']);
const HOST_HELP = "an address (a.b.c.d, a.b.c.d/len, [v6], [v6]/len or '*') with an optional :port";

/** The word after `src`/`dst`: an address or prefix and/or a port, e.g. `10.0.0.0/8`, `[::1]:22`, `*:80`. */
export function parseHostWord(word: string, side: Side): HostNode {
  if (UNSUPPORTED_FAMILIES.some((p) => word.startsWith(p))) {
    throw new Expected(`${HOST_HELP} (family prefixes such as ${word.slice(0, word.indexOf(':') + 1)} are not supported)`);
  }
  const [addressText, portText] = splitHostWord(word);
  const port = parsePort(portText.startsWith(':') ? portText.slice(1) : portText);
  if (addressText === '' || addressText === '*') return anyHost(side, port);
  return { type: 'host', side, port, ...parsePrefix(addressText) };
}

/** A condition that every socket meets, but for the port when there is one. */
export function anyHost(side: Side, port: number | null): HostNode {
  return { type: 'host', side, family: 0, address: new Uint8Array(0), prefixLength: 0, port };
}

/** [address or prefix, port part] of a host word, as ss splits it. */
function splitHostWord(word: string): [string, string] {
  if (word.startsWith('[')) {
    const close = word.indexOf(']');
    if (close < 0) throw new Expected(`${HOST_HELP} (no ']' closes the IPv6 address)`);
    const rest = word.slice(close + 1);
    // ss reads only `[v6/len]:port`; `[v6]/len:port` is read as well.
    const prefix = rest.match(/^\/[^:]*/)?.[0] ?? '';
    return [word.slice(1, close) + prefix, rest.slice(prefix.length)];
  }
  if (word.startsWith('*')) return ['*', word.slice(1)];
  const slash = word.indexOf('/');
  const colon = word.lastIndexOf(':');
  if (colon <= slash) return [word, ''];
  const address = word.slice(0, colon);
  if (address.includes(':')) throw new Expected('an IPv6 address in brackets, as in [::1] or [::1]:22');
  return [address, word.slice(colon)];
}

function parsePrefix(text: string): Pick<HostNode, 'family' | 'address' | 'prefixLength'> {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (ANY_WORDS.has(addressText)) {
    if (slash >= 0) throw new Expected(`${HOST_HELP} ('${addressText}' takes no prefix length)`);
    return { family: 0, address: new Uint8Array(0), prefixLength: 0 };
  }
  const v6 = addressText.includes(':');
  const address = v6 ? parseIPv6(addressText) : parseIPv4(addressText);
  if (address === null) throw new Expected(HOST_HELP);
  const bits = address.length * 8;
  if (slash < 0) return { family: v6 ? 6 : 4, address, prefixLength: bits };
  const length = parseCNumber(text.slice(slash + 1));
  if (length === null || length > bits) throw new Expected(`a prefix length of 0-${bits} after '/'`);
  return { family: v6 ? 6 : 4, address, prefixLength: length };
}
