// latest.md: the results as tables a reviewer can read in a diff.
import { COUNT_BY } from '../contenders/sockscope.mjs';
import { mixOf, roundTitle } from '../lib/rounds.mjs';

const fmtN = (n) => n.toLocaleString('en-US');
const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const mib1 = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
/** A round's column heading: N, and the mix where it is not the default. */
const column = (r) => `N=${roundTitle(r, fmtN)}`;

// A `|` inside a cell (the netstat pipeline's label) would end the cell.
export const row = (cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;

/** What a `--merge` run measured again, or '' for a whole run. */
export const mergedNote = (results) => (results.merged ? `Merged: ${results.merged}, into the rounds of the run before.` : '');

function table(head, rows) {
  return [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)].join('\n');
}

/** Methods in first-seen order with their labels. */
function methods(rounds) {
  const seen = new Map();
  for (const r of rounds) for (const [id, x] of Object.entries(r.results)) if (!seen.has(id)) seen.set(id, x.label);
  return [...seen];
}

function cell(r) {
  if (!r) return '';
  if (r.skipped) return 'skipped';
  if (r.error) return 'error';
  return `${ms(r.median)} ms (${r.nsPerSocket.toFixed(0)} ns/s)`;
}

/** countBy beside the snapshot() it alternated with, its memory and the event loop, per round and key. */
function countByTable(rounds) {
  const lines = rounds.flatMap((r) =>
    COUNT_BY.map(({ suffix, by }) => [r, [by].flat().join('+'), r.results[`countBy-${suffix}`], r.results[`paired-countBy-${suffix}`]]),
  ).filter(([, , alone, paired]) => alone?.median !== undefined || paired?.median !== undefined);
  if (lines.length === 0) return [];
  return [
    '## countBy beside snapshot()',
    '',
    'Alternated: countBy and snapshot() of the same table in turns in one process (medians). Alone: countBy in a ' +
      'process of its own. Loop busy: the event loop\'s active time during one call, and its share of the call. ' +
      'Peak: the growth of peak RSS during the first call (the C++ working memory included); external: what the ' +
      'result holds outside the JS heap after a GC.',
    '',
    table(
      ['N', 'by', 'groups', 'countBy alternated', 'snapshot() alternated', 'ratio', 'countBy alone', 'loop busy', 'peak', 'peak per socket', 'external'],
      lines.map(([r, keys, alone, paired]) => {
        const m = alone?.memory;
        return [
          roundTitle(r, fmtN),
          keys,
          alone?.groups ?? '',
          paired?.median === undefined ? '' : `${ms(paired.median)} ms`,
          paired?.snapshotMedian === undefined ? '' : `${ms(paired.snapshotMedian)} ms`,
          paired?.snapshotMedian ? `${(paired.median / paired.snapshotMedian).toFixed(2)}×` : '',
          alone?.median === undefined ? cell(alone) : `${ms(alone.median)} ms`,
          alone?.loopBusyMs === undefined ? '' : `${ms(alone.loopBusyMs)} ms (${((alone.loopBusyMs / alone.median) * 100).toFixed(0)}%)`,
          m ? mib1(m.peakRssGrowthBytes) : '',
          m ? `${(m.peakRssGrowthBytes / r.n).toFixed(1)} B` : '',
          m ? `${(m.externalBytes / 1024).toFixed(0)} KiB` : '',
        ];
      }),
    ),
    '',
  ];
}

/** The first call's memory of every library row, per round: peak RSS growth, and per socket. */
function callMemoryTable(rounds) {
  const rows = methods(rounds).filter(([id]) => rounds.some((r) => r.results[id]?.memory));
  if (rows.length === 0) return [];
  return [
    '## Memory of one call',
    '',
    'The growth of peak RSS during a fresh process\'s first call, its result held (per socket in brackets).',
    '',
    table(
      ['method', ...rounds.map(column)],
      rows.map(([id, label]) => [
        label,
        ...rounds.map((r) => {
          const m = r.results[id]?.memory;
          return m ? `${mib1(m.peakRssGrowthBytes)} (${(m.peakRssGrowthBytes / r.n).toFixed(0)} B)` : '';
        }),
      ]),
    ),
    '',
  ];
}

function ratioTable(rounds, refId, refName) {
  const head = ['method', ...rounds.map(column)];
  const rows = methods(rounds).map(([id, label]) => [
    label,
    ...rounds.map((round) => {
      const a = round.results[id]?.median;
      const b = round.results[refId]?.median;
      return a === undefined || b === undefined ? '' : `${(a / b).toFixed(2)}×`;
    }),
  ]);
  return `### Time relative to ${refName} (below 1× is faster)\n\n${table(head, rows)}`;
}

export function renderMarkdown(results) {
  const { rounds, machine: m } = results;
  const out = [
    `# sockscope benchmark, ${results.date}`,
    '',
    `Linux ${m.kernel}, ${m.cpu} (${m.cores} cores), Node ${m.node}. ` +
      (results.mode === 'namespace'
        ? 'Each N in a fresh network namespace filled by bench/fixture.'
        : "**Host mode**: no namespace could be made, so this is the host's own table as it was, no fixture."),
    results.quick ? 'Quick run (`--quick`).' : '',
    mergedNote(results),
    '',
    '## Median wall time (ns per socket)',
    '',
    table(
      ['method', ...rounds.map(column)],
      methods(rounds).map(([id, label]) => [label, ...rounds.map((r) => cell(r.results[id]))]),
    ),
    '',
    ratioTable(rounds, 'floor', 'the C floor (netlink, per family, in-process)'),
    '',
    ratioTable(rounds, 'netstat-pipeline', 'the netstat | awk | sort | uniq -c pipeline'),
    '',
    ratioTable(rounds, 'ss-tan', 'spawning ss -tan'),
    '',
    '## The event loop during async calls',
    '',
    'Busy: the loop\'s active time during one call (median over 20 calls of a library, 5 of a tool; worst in brackets), all of it ' +
      'callbacks run for the call. Delay: the longest late firing of a 1 ms timer during one call (median), ' +
      'beside the same for an idle wait as long as the call.',
    '',
    table(
      ['method', ...rounds.map(column)],
      methods(rounds)
        .filter(([id]) => rounds.some((r) => r.results[id]?.loopBusyMs !== undefined))
        .map(([id, label]) => [
          label,
          ...rounds.map((r) => {
            const x = r.results[id];
            return x?.loopBusyMs === undefined
              ? ''
              : `busy ${ms(x.loopBusyMs)} (${ms(x.loopBusyWorstMs)}), delay ${ms(x.maxBlockMs)} / idle ${ms(x.idleBlockMs)}`;
          }),
        ]),
    ),
    '',
    ...countByTable(rounds),
    ...callMemoryTable(rounds),
    '## Targets',
    '',
    table(
      ['target', 'N', 'value', 'result'],
      results.targets.map((t) => [
        t.text,
        t.mix ? `${fmtN(t.n)} ${t.mix}` : fmtN(t.n),
        t.value === undefined ? '' : `${t.value.toFixed(2)}${t.unit}`,
        t.pass === null ? `n/a (${t.miss})` : t.pass ? 'pass' : `**FAIL**, ${t.miss}`,
      ]),
    ),
    '',
    '## Cost model (least squares over the N measured)',
    '',
    Object.keys(results.fits).length === 0
      ? 'Needs two N or more.'
      : table(
          ['method', 'µs per socket', 'fixed ms'],
          Object.entries(results.fits).map(([id, f]) => [
            methods(rounds).find(([x]) => x === id)[1],
            f.usPerSocket.toFixed(4),
            f.fixedMs.toFixed(3),
          ]),
        ),
    '',
    '## Tables measured',
    '',
    table(
      ['N', 'mix', 'fill', 'fixture RSS', 'kernel slab', 'expected', 'kernel held', 'host TCP sockets'],
      rounds.map((r) => [
        fmtN(r.n),
        r.fixture ? mixOf(r) : '',
        r.fixture ? `${(r.fixture.fillMs / 1000).toFixed(1)} s (${r.fixture.children} procs)` : '',
        r.fixture ? mib(r.fixture.memory.childrenRss) : '',
        r.fixture ? mib(r.fixture.memory.kernelSlab) : '',
        r.fixture ? JSON.stringify(r.fixture.expected) : '',
        JSON.stringify(r.observed),
        String(r.hostTcp ?? ''),
      ]),
    ),
  ];
  const largest = rounds.reduce((a, b) => (b.n > a.n ? b : a)); // the first of the largest N: the default mix
  const tables = Object.values(largest.results).filter((r) => r.bytesPerSocket !== undefined);
  if (tables.length)
    out.push('', `## Library table memory at N=${fmtN(largest.n)}`, '', table(
      ['method', 'bytes per socket (typed arrays)', 'RSS growth holding one'],
      tables.map((r) => [r.label, r.bytesPerSocket.toFixed(1), mib(r.rssGrowthBytes)]),
    ));
  // A method that misses or invents sockets is fast for the wrong reason; TIME_WAIT drifts a little.
  const held = (r, x) => r.observed[x.reportsState ?? 'total'] ?? 0;
  const off = rounds.flatMap((r) =>
    Object.values(r.results)
      .filter((x) => x.reported !== undefined && Math.abs(x.reported - held(r, x)) > 0.02 * held(r, x))
      .map((x) => `- N=${roundTitle(r, fmtN)} ${x.label}: reported ${x.reported}, the kernel held ${held(r, x)}${x.reportsState ? ` ${x.reportsState}` : ''}`),
  );
  if (off.length) out.push('', '## Socket counts off by more than 2%', '', ...off);
  const notes = rounds.flatMap((r) =>
    Object.values(r.results)
      .filter((x) => x.skipped || x.error)
      .map((x) => `- N=${roundTitle(r, fmtN)} ${x.label}: ${x.skipped ? `skipped, ${x.skipped}` : `error, ${x.error}`}`),
  );
  if (notes.length) out.push('', '## Skipped and failed', '', ...new Set(notes));
  return out.join('\n') + '\n';
}
