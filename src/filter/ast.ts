// The syntax tree of an ss filter expression, as parse.ts builds it and evaluate.ts and bytecode.ts read it.

/** Which end of the socket a condition looks at: `src`/`sport` the local end, `dst`/`dport` the remote. */
export type Side = 'src' | 'dst';

/** A port comparison in ss's word forms: `=` is `eq`, `!=` is `ne`, `<` is `lt` and so on. */
export type PortOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** `sport OP PORT` or `dport OP PORT`. */
export interface PortNode {
  readonly type: 'port';
  readonly side: Side;
  readonly op: PortOp;
  /** 0-65535. */
  readonly port: number;
}

/**
 * `src HOST` or `dst HOST`, and also `sport = *`: an address prefix and/or a port, as ss's `hostcond`.
 * `family` 0 means no address (`*`, `any`): only the port, if any, is compared.
 */
export interface HostNode {
  readonly type: 'host';
  readonly side: Side;
  readonly family: 0 | 4 | 6;
  /** Network-order bytes: 4 for family 4, 16 for family 6, none for family 0. */
  readonly address: Uint8Array;
  /** Leading bits of `address` compared: 0 compares none. */
  readonly prefixLength: number;
  /** The port the end must have, or null for any. */
  readonly port: number | null;
}

/** `not X` or `! X`. */
export interface NotNode {
  readonly type: 'not';
  readonly operand: FilterNode;
}

/** `X and Y` (also `&&`, `&`, or two terms side by side) and `X or Y` (also `||`, `|`). */
export interface BinaryNode {
  readonly type: 'and' | 'or';
  readonly left: FilterNode;
  readonly right: FilterNode;
}

/** Any node of a filter expression. */
export type FilterNode = PortNode | HostNode | NotNode | BinaryNode;

/** A parsed filter: the state mask taken from leading `state`/`exclude` words, and the expression. */
export interface ParsedFilter {
  /**
   * Bit `n` set for each kernel TCP state number `n` (1 = ESTABLISHED ... 11 = CLOSING) that the
   * state words select, or null when there were none (the caller's default applies: ss's -a, -l or
   * its DEFAULT_STATES).
   */
  readonly states: number | null;
  /** The expression after the state words, or null when there is none (every socket matches). */
  readonly expression: FilterNode | null;
}
