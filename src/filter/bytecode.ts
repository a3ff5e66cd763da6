// Compiles a filter expression into INET_DIAG_REQ_BYTECODE (include/uapi/linux/inet_diag.h), laid
// out as ss's ssfilter_bytecompile does: each piece falls through to its end when true and jumps to
// its end + 4 when false; the kernel accepts a socket whose run ends exactly at the end.

import type { FilterNode, HostNode, PortNode } from './ast.js';

/** Operation codes of struct inet_diag_bc_op. */
export const BC = { NOP: 0, JMP: 1, S_GE: 2, S_LE: 3, D_GE: 4, D_LE: 5, AUTO: 6, S_COND: 7, D_COND: 8 } as const;

const AF_INET = 2;
const AF_INET6 = 10;
const OP_SIZE = 4; // struct inet_diag_bc_op { u8 code; u8 yes; u16 no; }
const HOSTCOND_SIZE = 8; // struct inet_diag_hostcond { u8 family; u8 prefix_len; int port; __be32 addr[]; }
// The attribute's length and every `no` (at most the length + 4) must fit in 16 bits.
const MAX_LENGTH = 0xffff - 8;

/** Host byte order, in which the kernel reads the op offsets, ports and hostcond port. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The result of {@link compileBytecode}. */
export interface CompiledFilter {
  /** The INET_DIAG_REQ_BYTECODE attribute's payload, or null when the kernel cannot run the filter. */
  readonly bytecode: Uint8Array | null;
  /**
   * True when the rows the kernel returns must also go through evaluate() in userspace: always when
   * `bytecode` is null, and also when an address condition sits under `not`, where ss's own second
   * pass (which sockscope mirrors) rejects sockets that the kernel's family-aware test lets through.
   */
  readonly userspace: boolean;
}

/**
 * Compiles `node` for the kernel. Every construct of the language compiles (ports, addresses,
 * prefixes, and/or/not); only an expression longer than the 16-bit offsets allow does not.
 */
export function compileBytecode(node: FilterNode): CompiledFilter {
  const bytecode = compile(node);
  if (bytecode.length > MAX_LENGTH) return { bytecode: null, userspace: true };
  return { bytecode, userspace: hasNegatedAddress(node, false) };
}

/** True when an address condition sits under an odd number of `not`s. */
function hasNegatedAddress(node: FilterNode, negated: boolean): boolean {
  switch (node.type) {
    case 'and':
    case 'or':
      return hasNegatedAddress(node.left, negated) || hasNegatedAddress(node.right, negated);
    case 'not':
      return hasNegatedAddress(node.operand, !negated);
    case 'host':
      return negated && node.family !== 0;
    case 'port':
      return false;
  }
}

function compile(node: FilterNode): Uint8Array {
  switch (node.type) {
    case 'and':
      return and(compile(node.left), compile(node.right));
    case 'or':
      return or(compile(node.left), compile(node.right));
    case 'not':
      return not(compile(node.operand));
    case 'port':
      return port(node);
    case 'host':
      return hostcond(node, node.port);
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function putOp(bytes: Uint8Array, at: number, code: number, yes: number, no: number): void {
  bytes[at] = code;
  bytes[at + 1] = yes;
  view(bytes).setUint16(at + 2, no, LITTLE_ENDIAN);
}

/** sport/dport comparisons; `<`, `>` and `!=` are the negations of `>=`, `<=` and `=`, as in ss. */
function port(node: PortNode): Uint8Array {
  const src = node.side === 'src';
  switch (node.op) {
    case 'eq':
      return hostcond({ type: 'host', side: node.side, family: 0, address: new Uint8Array(0), prefixLength: 0, port: null }, node.port);
    case 'ne':
      return not(port({ ...node, op: 'eq' }));
    case 'ge':
    case 'le': {
      const code = node.op === 'ge' ? (src ? BC.S_GE : BC.D_GE) : src ? BC.S_LE : BC.D_LE;
      const out = new Uint8Array(2 * OP_SIZE);
      putOp(out, 0, code, 2 * OP_SIZE, 2 * OP_SIZE + 4);
      putOp(out, OP_SIZE, 0, 0, node.port); // the port rides in the next op's `no`
      return out;
    }
    case 'lt':
      return not(port({ ...node, op: 'ge' }));
    case 'gt':
      return not(port({ ...node, op: 'le' }));
  }
}

/** One S_COND/D_COND op with its struct inet_diag_hostcond; `port` null is any port (-1). */
function hostcond(node: HostNode, port: number | null): Uint8Array {
  const size = OP_SIZE + HOSTCOND_SIZE + node.address.length;
  const out = new Uint8Array(size);
  putOp(out, 0, node.side === 'src' ? BC.S_COND : BC.D_COND, size, size + 4);
  out[4] = node.family === 4 ? AF_INET : node.family === 6 ? AF_INET6 : 0;
  out[5] = node.prefixLength;
  view(out).setInt32(8, port ?? -1, LITTLE_ENDIAN);
  out.set(node.address, 12);
  return out;
}

/** `left` then `right`; `left`'s false exits are moved on to the end of both (ss's ssfilter_patch). */
function and(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(left.length + right.length);
  out.set(left);
  out.set(right, left.length);
  const v = view(out);
  for (let at = 0; at < left.length; at += out[at + 1]!) {
    const remaining = left.length - at;
    // Offsets past 16 bits wrap here, but then the whole is over MAX_LENGTH and is not used.
    if (v.getUint16(at + 2, LITTLE_ENDIAN) === remaining + 4) v.setUint16(at + 2, (remaining + 4 + right.length) & 0xffff, LITTLE_ENDIAN);
  }
  return out;
}

/** `left`, a jump over `right` to the end (true), then `right`, where `left`'s false exits land. */
function or(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(left.length + OP_SIZE + right.length);
  out.set(left);
  putOp(out, left.length, BC.JMP, OP_SIZE, right.length + OP_SIZE);
  out.set(right, left.length + OP_SIZE);
  return out;
}

/** `operand`, then a jump to the false exit: true falls onto the jump, false lands on the end. */
function not(operand: Uint8Array): Uint8Array {
  const out = new Uint8Array(operand.length + OP_SIZE);
  out.set(operand);
  putOp(out, operand.length, BC.JMP, OP_SIZE, 2 * OP_SIZE);
  return out;
}
