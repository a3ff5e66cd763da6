// A round is one table: N sockets of one fixture mix. Rounds of the default mix make the sweep
// over N (its fits and charts); a round of another mix at the same N is a table of its own,
// reported beside them. Rounds written before mixes existed have no `mix`: the default.
import { namedMix } from '../fixture/plan.mjs';

export const DEFAULT_MIX_NAME = 'default';

/** The mix a round was filled with. */
export const mixOf = (round) => round.mix ?? DEFAULT_MIX_NAME;

/** True for a round of the default mix. */
export const isDefaultMix = (round) => mixOf(round) === DEFAULT_MIX_NAME;

/** One key per table: N and mix. */
export const roundKey = (round) => `${round.n}:${mixOf(round)}`;

/**
 * `--n`'s rounds: "1000,100000:timewait" → [{ n: 1000, mix }, { n: 100000, mix: 'timewait' }],
 * where an N without a mix of its own takes `mix`.
 */
export function parseRounds(text, mix = DEFAULT_MIX_NAME) {
  return text.split(',').map((part) => {
    const [count, name = mix, ...rest] = part.split(':');
    const n = Number(count);
    if (!Number.isInteger(n) || n < 10 || rest.length) throw new RangeError(`--n takes N or N:mix, N an integer >= 10; got "${part}"`);
    namedMix(name); // throws on an unknown name
    return { n, mix: name };
  });
}

/** A column heading's N, with the mix where it is not the default: "100k", "100k timewait". */
export function roundTitle(round, formatN) {
  return isDefaultMix(round) ? formatN(round.n) : `${formatN(round.n)} ${mixOf(round)}`;
}

/** The default-mix rounds first, each part by N. */
export function sortRounds(rounds) {
  return [...rounds].sort((a, b) => Number(!isDefaultMix(a)) - Number(!isDefaultMix(b)) || mixOf(a).localeCompare(mixOf(b)) || a.n - b.n);
}
