// Measures one contender in this fresh process (forked by run.mjs, run with --expose-gc) and
// sends the result back over IPC:
//   { id, median, p25, p75, samples (ms), reported, loopBusyMs?, loopBusyWorstMs?, maxBlockMs?,
//     worstBlockMs?, idleBlockMs?, bytesPerSocket?, rssGrowthBytes?, memory?, groups? }
// or { id, skipped } / { id, error }.
import { readFileSync, writeFileSync } from 'node:fs';

import Benchmark from 'benchmark';

import { contender } from './contenders/index.mjs';
import { Skip } from './contenders/skip.mjs';
import { typedArrayBytes } from './lib/bytes.mjs';
import { busyPerCallMs, delayPerCallMs } from './lib/loop-probe.mjs';
import { quantile, summarize } from './lib/stats.mjs';

// Library calls are probed over 20 calls; the spawned tools and npm packages, whose calls take
// seconds at 100k, over 5.
const probeCalls = (kind) => (kind === 'library' ? 20 : 5);

/** benchmark.js statistics of `run` in ms; async runs are deferred benchmarks. */
function bench(name, run, isAsync, { maxTime, minSamples }) {
  return new Promise((resolve, reject) => {
    let failure;
    const fn = isAsync
      ? (deferred) =>
          run().then(
            () => deferred.resolve(),
            (err) => ((failure ??= err), deferred.resolve()),
          )
      : run;
    const b = new Benchmark(name, { fn, defer: isAsync, maxTime, minSamples, async: false });
    b.on('complete', () => {
      if (failure || b.error) return reject(failure ?? b.error);
      const samples = b.stats.sample.map((s) => s * 1000);
      resolve({ ...summarize(samples), samples: samples.length });
    });
    b.run();
  });
}

/** This process's peak resident memory (VmHWM) in bytes. */
const peakRss = () => Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;

/** Starts the peak over from the current RSS (clear_refs 5); false where the kernel refuses. */
function resetPeakRss() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * What the first call costs in memory, its result held: the growth of external memory and of
 * ArrayBuffers (a part of external) after a GC, of RSS, and of the peak RSS during the call,
 * which counts what the call allocated and freed before it returned (a native aggregation's
 * working memory) as well as what it returns.
 */
async function firstCallMemory(run) {
  global.gc?.();
  const before = process.memoryUsage();
  const peakReset = resetPeakRss();
  const peakBefore = peakReset ? before.rss : peakRss();
  const pending = run(); // also the warm-up; its result is held while memory is read
  const first = await pending;
  const rssAfter = process.memoryUsage().rss;
  const peakGrowth = Math.max(0, peakRss() - peakBefore);
  global.gc?.();
  const after = process.memoryUsage();
  return {
    pending,
    first,
    memory: {
      externalBytes: after.external - before.external,
      arrayBuffersBytes: after.arrayBuffers - before.arrayBuffers,
      heapBytes: after.heapUsed - before.heapUsed,
      rssGrowthBytes: rssAfter - before.rss,
      peakRssGrowthBytes: peakGrowth,
      peakFromReset: peakReset,
    },
  };
}

async function measure(id, ctx) {
  const c = contender(id);
  const prepared = await c.prepare(ctx);
  if (prepared.measure) return prepared.measure();

  const { run, count } = prepared;
  const { pending, first, memory } = await firstCallMemory(run);
  const isAsync = typeof pending?.then === 'function';
  const reported = count(first);
  const extra = {};
  if (c.kind === 'library') extra.memory = memory;
  // A grouped count: how many groups it returned.
  if (Array.isArray(first) && typeof first.total === 'number') extra.groups = first.length;
  if (c.table && reported > 0) {
    extra.bytesPerSocket = typedArrayBytes(first) / reported;
    extra.rssGrowthBytes = memory.rssGrowthBytes;
  }
  const stats = await bench(c.label, run, isAsync, ctx);
  if (isAsync) {
    // Medians over calls say what recurs in every call; the worst adds what the machine did.
    const busy = await busyPerCallMs(run, probeCalls(c.kind));
    extra.loopBusyMs = quantile(busy, 0.5);
    extra.loopBusyWorstMs = Math.max(...busy);
    const delays = await delayPerCallMs(run, probeCalls(c.kind));
    extra.maxBlockMs = quantile(delays, 0.5);
    extra.worstBlockMs = Math.max(...delays);
    // The same timer probe over idle waits as long as the call: the delays the machine makes
    // anyway (GC, the fixture's processes, the kernel's timers), which no library goes below.
    const idle = () => new Promise((resolve) => setTimeout(resolve, stats.median));
    extra.idleBlockMs = quantile(await delayPerCallMs(idle, probeCalls(c.kind)), 0.5);
  }
  return { ...stats, reported, ...extra };
}

process.once('message', async ({ id, ctx }) => {
  let result;
  try {
    result = { id, ...(await measure(id, ctx)) };
  } catch (err) {
    result = err instanceof Skip ? { id, skipped: err.message } : { id, error: String(err?.stack ?? err).split('\n').slice(0, 3).join(' | ') };
  }
  process.send(result, () => process.exit(0));
});
