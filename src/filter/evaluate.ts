// Runs a filter on one socket in userspace, with no allocation per socket.

import type { FilterNode, HostNode, ParsedFilter, PortOp } from './ast.js';
import { stateInMask } from './states.js';

/**
 * One socket's fields, read from columns: addresses are 16-byte slots (an IPv4 address in the first 4
 * bytes) given as a column and the slot's byte offset, so one object can be reused for every row.
 */
export interface SocketFields {
  /** 4 or 6. */
  family: number;
  local: Uint8Array;
  localOffset: number;
  remote: Uint8Array;
  remoteOffset: number;
  localPort: number;
  remotePort: number;
  /** Kernel state number, 1 (ESTABLISHED) to 11 (CLOSING). */
  state: number;
}

type HostMatch = (cond: HostNode, bytes: Uint8Array, offset: number, family: number) => boolean;

/**
 * True when the socket meets `filter`'s states (if any) and its expression, as ss would print it.
 */
export function matches(filter: ParsedFilter, row: SocketFields): boolean {
  if (filter.states !== null && !stateInMask(filter.states, row.state)) return false;
  return filter.expression === null || evaluate(filter.expression, row);
}

/**
 * True when ss would print the socket for expression `node`. ss both sends the expression to the
 * kernel as bytecode and runs it again in userspace, and the two read an address condition of the
 * other family differently (see {@link evaluateKernel} and {@link evaluateUserspace}); a socket is
 * printed when both accept it. They differ only under `not`: `not src 0.0.0.0` hides `[::1]` sockets.
 */
export function evaluate(node: FilterNode, row: SocketFields): boolean {
  return run(node, row, kernelHostMatch) && run(node, row, userspaceHostMatch);
}

/**
 * What the kernel's bytecode accepts (net/ipv4/inet_diag.c inet_diag_bc_run): an address condition
 * never matches a socket of the other family, except an IPv4 one on an IPv4-mapped IPv6 address.
 */
export function evaluateKernel(node: FilterNode, row: SocketFields): boolean {
  return run(node, row, kernelHostMatch);
}

/**
 * What ss's own userspace pass accepts (misc/ss.c run_ssfilter, inet2_addr_match): the prefix is
 * compared with the socket's address bytes whatever their family (an IPv4 address padded with
 * zeros), and an IPv4 condition also matches an IPv4-mapped IPv6 address.
 */
export function evaluateUserspace(node: FilterNode, row: SocketFields): boolean {
  return run(node, row, userspaceHostMatch);
}

function run(node: FilterNode, row: SocketFields, host: HostMatch): boolean {
  switch (node.type) {
    case 'and':
      return run(node.left, row, host) && run(node.right, row, host);
    case 'or':
      return run(node.left, row, host) || run(node.right, row, host);
    case 'not':
      return !run(node.operand, row, host);
    case 'port':
      return comparePort(node.op, node.side === 'src' ? row.localPort : row.remotePort, node.port);
    case 'host': {
      const port = node.side === 'src' ? row.localPort : row.remotePort;
      if (node.port !== null && node.port !== port) return false;
      return node.side === 'src'
        ? host(node, row.local, row.localOffset, row.family)
        : host(node, row.remote, row.remoteOffset, row.family);
    }
  }
}

function comparePort(op: PortOp, port: number, value: number): boolean {
  switch (op) {
    case 'eq':
      return port === value;
    case 'ne':
      return port !== value;
    case 'lt':
      return port < value;
    case 'le':
      return port <= value;
    case 'gt':
      return port > value;
    case 'ge':
      return port >= value;
  }
}

/** True when bytes 0-9 are zero and 10-11 are 0xff: an IPv4-mapped IPv6 address. */
function isMapped(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) return false;
  return bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff;
}

/** True when the first `bits` bits at `offset` equal those of `prefix` (the kernel's bitstring_match). */
function prefixMatch(bytes: Uint8Array, offset: number, prefix: Uint8Array, bits: number, width: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (byteAt(bytes, offset, i, width) !== prefix[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((byteAt(bytes, offset, whole, width) ^ prefix[whole]!) & mask) === 0;
}

/** Byte `i` of an address `width` bytes wide, zero past its end (an IPv4 address in a 16-byte slot). */
function byteAt(bytes: Uint8Array, offset: number, i: number, width: number): number {
  return i < width ? bytes[offset + i]! : 0;
}

const kernelHostMatch: HostMatch = (cond, bytes, offset, family) => {
  if (cond.family !== 0 && cond.family !== family) {
    return family === 6 && cond.family === 4 && isMapped(bytes, offset) &&
      prefixMatch(bytes, offset + 12, cond.address, cond.prefixLength, 4);
  }
  return prefixMatch(bytes, offset, cond.address, cond.prefixLength, family === 4 ? 4 : 16);
};

const userspaceHostMatch: HostMatch = (cond, bytes, offset, family) => {
  if (prefixMatch(bytes, offset, cond.address, cond.prefixLength, family === 4 ? 4 : 16)) return true;
  return family === 6 && cond.family === 4 && isMapped(bytes, offset) &&
    prefixMatch(bytes, offset + 12, cond.address, cond.prefixLength, 4);
};
