// One round: the table at one N (filled by the fixture, or the host's own), and every chosen
// contender measured against it, each in a fresh Node process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { CONTENDERS } from './contenders/index.mjs';
import { startFixture } from './fixture/index.mjs';
import { namedMix } from './fixture/plan.mjs';
import { spawnText } from './contenders/spawn-text.mjs';
import { buildFloor } from './floor/build.mjs';

const MEASURE = fileURLToPath(new URL('./measure.mjs', import.meta.url));

/** Runs contender `id` in a fresh process; a hang becomes an error after `timeoutMs`. */
function measureInChild(id, ctx, timeoutMs) {
  return new Promise((resolve) => {
    const child = fork(MEASURE, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let result;
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      result ??= { id, error: `timed out after ${timeoutMs / 1000} s` };
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (m) => (result ??= m));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(result ?? { id, error: `measuring process exited (${signal ?? code}): ${stderr.trim().slice(-300)}` });
    });
    child.send({ id, ctx });
  });
}

/** Per-state counts the kernel holds right now, by the C floor (one dump per family). */
async function observedCounts() {
  const r = JSON.parse(await spawnText(buildFloor(), ['--reps', '1']));
  return { ...r.counts, total: r.total };
}

function describe(r) {
  if (r.skipped) return `skipped: ${r.skipped}`;
  if (r.error) return `ERROR: ${r.error}`;
  const block = r.loopBusyMs === undefined ? '' :
    `, loop busy ${r.loopBusyMs.toFixed(2)} ms a call (worst ${r.loopBusyWorstMs.toFixed(2)}), timer delay ${r.maxBlockMs.toFixed(2)} ms (idle wait ${r.idleBlockMs.toFixed(2)})`;
  return `${r.median.toFixed(3)} ms (p25 ${r.p25.toFixed(3)}, p75 ${r.p75.toFixed(3)}, ${r.samples} samples), reported ${r.reported}${block}`;
}

/**
 * @param {{ n?: number, mix?: string, ids: string[], ctx: object, timeoutMs: number, log: Function }} options
 *   n: sockets for the fixture to make; absent = measure the table as it is (host mode);
 *   mix: the fixture's mix by name (fixture/plan.mjs MIXES)
 */
export async function runRound({ n, mix = 'default', ids, ctx, timeoutMs, log }) {
  let fixture;
  const round = {};
  if (n !== undefined) {
    log(`filling the namespace with ${n} sockets (${mix} mix)...`);
    fixture = await startFixture({ n, mix });
    round.mix = mix;
    round.fixture = { mix: namedMix(mix), expected: fixture.counts, children: fixture.children, fillMs: fixture.fillMs, memory: fixture.memory };
    log(`filled in ${(fixture.fillMs / 1000).toFixed(1)} s by ${fixture.children} processes; ` +
      `their RSS ${(fixture.memory.childrenRss / 2 ** 20).toFixed(0)} MiB, kernel slab +${(fixture.memory.kernelSlab / 2 ** 20).toFixed(0)} MiB`);
  }
  try {
    round.observed = await observedCounts();
    round.n = n ?? round.observed.total;
    log(`kernel holds: ${JSON.stringify(round.observed)}`);
    round.results = {};
    for (const c of CONTENDERS.filter((x) => ids.includes(x.id))) {
      // A contender too slow at this N is skipped with its reason, not started.
      const r = c.maxN !== undefined && round.n > c.maxN
        ? { skipped: `not run above ${c.maxN.toLocaleString('en-US')} sockets: ${c.maxNReason}` }
        : await measureInChild(c.id, { ...ctx, n: round.n }, Math.min(timeoutMs, c.timeoutMs ?? Infinity));
      delete r.id;
      if (r.median !== undefined) r.nsPerSocket = (r.median * 1e6) / round.n;
      round.results[c.id] = { label: c.label, kind: c.kind, ...(c.reportsState && { reportsState: c.reportsState }), ...r };
      log(`  ${c.id.padEnd(24)} ${describe(r)}`);
    }
  } finally {
    await fixture?.stop();
  }
  return round;
}
