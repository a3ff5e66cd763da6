// The benchmark runner.
//   node bench/run.mjs [--quick] [--n 10000,100000,100000:timewait] [--mix NAME] [--only id,...] [--merge]
//   node bench/run.mjs --render   (latest.md, the charts and docs/benchmark.md again from latest.json)
// As root, each N runs in a fresh network namespace (this script re-executed inside it with
// --round N), filled by the fixture with its mix (N:mix, or --mix for every N without one);
// otherwise the host's own table is measured, once.
// Results go to bench/results/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { CONTENDERS, SETS } from './contenders/index.mjs';
import { buildFloor } from './floor/build.mjs';
import { canUnshare, runInNewNamespace } from './lib/namespace.mjs';
import { parseRounds, roundKey, sortRounds } from './lib/rounds.mjs';
import { tcpSlabObjects, waitForQuietKernel } from './lib/slab.mjs';
import { machine, namespaceTcpCount } from './lib/system.mjs';
import { CHARTS, renderChart } from './report/chart.mjs';
import { fitMethods } from './report/fits.mjs';
import { renderMarkdown } from './report/markdown.mjs';
import { writeBenchmarkDoc } from './report/benchmark-doc.mjs';
import { judgeTargets } from './report/targets.mjs';
import { runRound } from './round.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
const RESULTS = new URL('./results/', import.meta.url);
// The sweep over N, then the table of a server that closes many short connections.
const DEFAULT_ROUNDS = '1000,10000,100000,300000,100000:timewait';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    n: { type: 'string' }, // N or N:mix, comma-separated
    mix: { type: 'string', default: 'default' }, // the fixture mix of each N that names none
    only: { type: 'string' },
    merge: { type: 'boolean', default: false }, // put these results into latest.json's rounds of the same N
    render: { type: 'boolean', default: false }, // measure nothing: write the reports of latest.json again
    round: { type: 'string' }, // internal: run one N here (inside the namespace), write to --out
    out: { type: 'string' },
  },
});

const log = (msg) => console.log(`[bench] ${msg}`);
// --only takes ids and names of SETS.
const ids = opts.only ? opts.only.split(',').flatMap((id) => SETS[id] ?? [id]) : CONTENDERS.map((c) => c.id);
const unknown = ids.filter((id) => !CONTENDERS.some((c) => c.id === id));
if (unknown.length)
  throw new Error(`unknown contender(s) ${unknown.join(', ')}; known: ${[...Object.keys(SETS), ...CONTENDERS.map((c) => c.id)].join(', ')}`);

// --quick trades samples for time: about a minute at N=10k.
const ctx = opts.quick ? { reps: 21, maxTime: 1, minSamples: 8 } : { reps: 51, maxTime: 2, minSamples: 5 };
const timeoutMs = opts.quick ? 60_000 : 600_000;

/** Inside the namespace: one round, written where the parent reads it. */
async function roundHere() {
  const round = await runRound({ n: Number(opts.round), mix: opts.mix, ids, ctx, timeoutMs, log });
  writeFileSync(opts.out, JSON.stringify(round));
}

async function namespaceRounds(specs) {
  const rounds = [];
  const passOn = [...(opts.quick ? ['--quick'] : []), ...(opts.only ? ['--only', opts.only] : [])];
  for (const { n, mix } of specs) {
    const quiet = await waitForQuietKernel({ log });
    if (!quiet.quiet) log(`still ${quiet.objects.total} TCP objects after ${quiet.waitedMs / 1000} s; timing anyway`);
    const hostTcp = namespaceTcpCount();
    const out = fileURLToPath(new URL(`round-${n}-${mix}.tmp`, RESULTS));
    log(`N=${n} (${mix} mix): fresh namespace (host namespace holds ${hostTcp} TCP sockets, ${quiet.objects?.total ?? '?'} TCP objects machine-wide)`);
    const code = await runInNewNamespace([SCRIPT, '--round', String(n), '--mix', mix, '--out', out, ...passOn]);
    if (code !== 0) throw new Error(`round N=${n} (${mix} mix) failed (exit ${code})`);
    rounds.push({ ...JSON.parse(readFileSync(out, 'utf8')), hostTcp, kernelBefore: quiet });
    rmSync(out);
  }
  return rounds;
}

/**
 * The earlier rounds with `fresh`'s results in place of theirs, table by table (N and mix: a
 * rerun of a few contenders), and the fresh rounds of a table the earlier run had not measured.
 */
function mergeInto(earlier, fresh) {
  const merged = earlier.map((round) => {
    const again = fresh.find((r) => roundKey(r) === roundKey(round));
    return again ? { ...round, results: { ...round.results, ...again.results } } : round;
  });
  const added = fresh.filter((r) => !earlier.some((e) => roundKey(e) === roundKey(r)));
  return sortRounds([...merged, ...added]);
}

/** latest.md, the charts and (for a full run, or one merged into) docs/benchmark.md. */
async function writeReports(results, { page }) {
  writeFileSync(new URL('latest.md', RESULTS), renderMarkdown(results));
  for (const chart of CHARTS) writeFileSync(new URL(chart.file, RESULTS), await renderChart(results, chart));
  log(`wrote bench/results/latest.md, ${CHARTS.map((c) => c.file).join(', ')}`);
  if (page) {
    writeBenchmarkDoc(new URL('../docs/benchmark.md', import.meta.url), results);
    log('wrote docs/benchmark.md');
  }
}

async function main() {
  if (opts.round) return roundHere();
  if (opts.render) {
    return writeReports(JSON.parse(readFileSync(new URL('latest.json', RESULTS), 'utf8')), { page: true });
  }
  try {
    buildFloor();
  } catch (err) {
    log(`could not build the C floor (${err.message}); its contenders will report the error`);
  }
  const mode = canUnshare() ? 'namespace' : 'host';
  const specs = parseRounds(opts.n ?? (opts.quick ? '10000' : DEFAULT_ROUNDS), opts.mix);
  let rounds;
  if (mode === 'namespace') rounds = await namespaceRounds(specs);
  else {
    log("cannot make a network namespace (needs root and unshare -n): measuring the host's own table, no fixture");
    rounds = [{ ...(await runRound({ ids, ctx, timeoutMs, log })), hostTcp: namespaceTcpCount(), kernelBefore: { objects: tcpSlabObjects() } }];
  }

  const before = opts.merge ? JSON.parse(readFileSync(new URL('latest.json', RESULTS), 'utf8')) : null;
  if (before) rounds = mergeInto(before.rounds, rounds);
  const date = new Date().toISOString();
  const here = machine();
  // A merged run keeps the machine of the run it merges into (most of its rows); the rows
  // measured again say where they ran when that differs.
  const results = { date, mode, quick: opts.quick, machine: before?.machine ?? here, rounds, fits: fitMethods(rounds) };
  if (before) {
    const moved = here.kernel !== before.machine.kernel ? ` (Linux ${here.kernel})` : '';
    results.merged = `--only ${opts.only ?? 'all'} measured again on ${date}${moved}`;
  }
  results.targets = judgeTargets(rounds);
  mkdirSync(RESULTS, { recursive: true });
  const json = JSON.stringify(results, null, 2);
  writeFileSync(new URL(`results-${date.replaceAll(':', '-')}.json`, RESULTS), json);
  writeFileSync(new URL('latest.json', RESULTS), json);

  log('targets:');
  for (const t of results.targets) {
    const verdict = t.pass === null ? `n/a (${t.miss})` : t.pass ? 'PASS' : `FAIL (${t.miss})`;
    log(`  N=${t.n}${t.mix ? ` ${t.mix}` : ''} ${verdict.padEnd(22)} ${t.text}${t.value === undefined ? '' : `: ${t.value.toFixed(2)}${t.unit}`}`);
  }
  // Only a sweep of every contender (or one merged into) speaks for docs/benchmark.md.
  await writeReports(results, { page: !opts.quick && (!opts.only || opts.merge) });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
