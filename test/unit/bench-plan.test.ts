// The bench fixture's plans and rounds, as arithmetic: the TIME_WAIT-heavy mix and the 1M table
// fit the namespace's limits before a socket is opened.
import { describe, expect, it } from 'vitest';

const plan = await import(new URL('../../bench/fixture/plan.mjs', import.meta.url).href);
const rounds = await import(new URL('../../bench/lib/rounds.mjs', import.meta.url).href);

// What a child holds open: both ends of its pairs, its servers and idle listeners.
const fdsOf = (job: Record<string, number>) =>
  2 * (job.pairs4! + job.pairs6! + job.halfClosed!) + plan.serversFor(job).length + job.idleListeners!;

describe('planFixture', () => {
  it('makes the timewait mix at least half TIME_WAIT, over a minute', () => {
    const { expected, timeWaitRampMs } = plan.planFixture(100_000, 'timewait');
    expect(expected.TIME_WAIT).toBe(60_000);
    expect(expected.total).toBe(100_000);
    expect(timeWaitRampMs).toBe(60_000);
    expect(plan.planFixture(100_000).timeWaitRampMs).toBe(0);
  });

  it('spreads 1M sockets over children that each stay under the fd budget', () => {
    const { jobs, expected } = plan.planFixture(1_000_000);
    expect(expected.total).toBe(1_000_000);
    expect(jobs.length).toBe(56);
    expect(jobs.length).toBeLessThanOrEqual(plan.MAX_CHILDREN);
    const worst = Math.max(...jobs.map(fdsOf));
    expect(worst + 64 + 2 * plan.CONNECT_WINDOW).toBeLessThanOrEqual(plan.FDS_PER_CHILD);
  });

  it('refuses a mix it does not know, naming the known ones', () => {
    expect(() => plan.planFixture(1000, 'closewait')).toThrow(new RangeError('unknown fixture mix "closewait"; known: default, timewait'));
  });
});

describe('parseRounds', () => {
  it('reads N and N:mix, the rest taking --mix', () => {
    expect(rounds.parseRounds('1000,100000:timewait', 'default')).toEqual([
      { n: 1000, mix: 'default' },
      { n: 100_000, mix: 'timewait' },
    ]);
    expect(rounds.parseRounds('10000', 'timewait')).toEqual([{ n: 10_000, mix: 'timewait' }]);
  });

  it('refuses a malformed round', () => {
    expect(() => rounds.parseRounds('1e5x')).toThrow(new RangeError('--n takes N or N:mix, N an integer >= 10; got "1e5x"'));
    expect(() => rounds.parseRounds('100:a:b')).toThrow(RangeError);
  });
});
