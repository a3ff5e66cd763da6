// Where the tools people use today stop being measured: they parse text (or /proc's text in
// JavaScript) at a cost that grows with N, and each row takes 20 calls or more, so at 1M sockets
// every one of them would add minutes to the run. Their ratios stand at the N up to this.
export const TOOLS_MAX_N = 300_000;
export const TOOLS_MAX_N_REASON = 'a text parse whose calls grow with N, which would add minutes to the run; compared up to 300k';

/** The fields that skip a tool above TOOLS_MAX_N. */
export const toolLimit = { maxN: TOOLS_MAX_N, maxNReason: TOOLS_MAX_N_REASON };
