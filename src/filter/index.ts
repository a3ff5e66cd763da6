// ss's filter language: parse, evaluate in userspace, compile for the kernel.

export type { BinaryNode, FilterNode, HostNode, NotNode, ParsedFilter, PortNode, PortOp, Side } from './ast.js';
export { FilterSyntaxError } from './errors.js';
export { parseFilter } from './parse.js';
export { ALL_STATES, DEFAULT_STATES, stateInMask, stateMask } from './states.js';
export type { SocketFields } from './evaluate.js';
export { evaluate, evaluateKernel, evaluateUserspace, matches } from './evaluate.js';
export type { CompiledFilter } from './bytecode.js';
export { BC, compileBytecode } from './bytecode.js';
