// Every contender, in the order results list them. A contender is
// { id, label, kind: 'floor'|'tool'|'js'|'npm'|'library', table?, maxN?, maxNReason?, prepare(ctx) }
// where prepare returns { run, count } (timed by benchmark.js) or { measure } (timed by itself),
// or throws Skip. Above maxN sockets a contender is skipped, with maxNReason.
import bareRead from './bare-read.mjs';
import floors from './c-floor.mjs';
import netstat from './netstat.mjs';
import netstatPipeline from './netstat-pipeline.mjs';
import npmPackages from './npm-packages.mjs';
import paired from './paired.mjs';
import procJs from './proc-js.mjs';
import sockscope from './sockscope.mjs';
import ssSummary from './ss-summary.mjs';
import ssTan from './ss-tan.mjs';

/**
 * Named sets for `--only`. scale: what must hold on the largest hosts (1M sockets): the C floor,
 * the counts, the table, countBy, and each alternated with its reference; the tools people use
 * today stop at 300k (large-n.mjs), and the rest adds little there that 300k did not show.
 */
export const SETS = {
  scale: [
    'floor',
    'countStates-netlink',
    'snapshot-netlink',
    'countBy-remotePrefix',
    'countBy-state-localPort',
    'paired-countStates',
    'paired-snapshot',
    'paired-countBy-remotePrefix',
    'paired-countBy-state-localPort',
  ],
};

export const CONTENDERS = [...floors, bareRead, netstat, netstatPipeline, ssTan, ssSummary, procJs, ...npmPackages, ...sockscope, ...paired];

export function contender(id) {
  const c = CONTENDERS.find((x) => x.id === id);
  if (!c) throw new Error(`no contender "${id}"; known: ${CONTENDERS.map((x) => x.id).join(', ')}`);
  return c;
}
