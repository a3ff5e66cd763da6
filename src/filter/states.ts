// ss's state words: the names and groups of misc/ss.c scan_state(), as a mask over kernel state numbers.

const bit = (n: number): number => 1 << n;
const ESTABLISHED = bit(1);
const SYN_SENT = bit(2);
const SYN_RECV = bit(3);
const TIME_WAIT = bit(6);
const CLOSE = bit(7);
const LISTEN = bit(10);

/** Every TCP state, 1 (ESTABLISHED) to 11 (CLOSING); ss's `all`. */
export const ALL_STATES = 0xffe;

/**
 * ss's default states for TCP and UDP (SS_CONN): what it shows without -a, -l or state words, and
 * also when state words select none (`exclude all`), whatever -a or -l said.
 */
export const DEFAULT_STATES = ALL_STATES & ~(SYN_RECV | TIME_WAIT | CLOSE | LISTEN);

/** Each state word ss knows, lowercase, to its mask. */
const STATE_WORDS: ReadonlyMap<string, number> = new Map([
  ['established', ESTABLISHED],
  ['syn-sent', SYN_SENT],
  ['syn-recv', SYN_RECV],
  ['syn-rcv', SYN_RECV],
  ['fin-wait-1', bit(4)],
  ['fin-wait-2', bit(5)],
  ['time-wait', TIME_WAIT],
  ['closed', CLOSE],
  ['close', CLOSE],
  ['unconnected', CLOSE],
  ['close-wait', bit(8)],
  ['last-ack', bit(9)],
  ['listening', LISTEN],
  ['closing', bit(11)],
  ['all', ALL_STATES],
  ['connected', ALL_STATES & ~(CLOSE | LISTEN)],
  ['synchronized', ALL_STATES & ~(CLOSE | LISTEN | SYN_SENT)],
  ['bucket', SYN_RECV | TIME_WAIT],
  ['big', ALL_STATES & ~(SYN_RECV | TIME_WAIT)],
]);

/** The names a user may give, for error messages. */
export const STATE_NAMES_HELP =
  'a state (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, ' +
  'last-ack, listening, closing) or group (all, connected, synchronized, bucket, big)';

/** The mask of state word `word` (any case, as ss's strcasecmp), or undefined if ss does not know it. */
export function stateMask(word: string): number | undefined {
  return STATE_WORDS.get(word.toLowerCase());
}

/** True when kernel state number `state` is in `mask`. */
export function stateInMask(mask: number, state: number): boolean {
  return state > 0 && state < 32 && (mask & (1 << state)) !== 0;
}
