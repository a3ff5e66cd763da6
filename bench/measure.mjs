// Measures one contender in this fresh process (forked by run.mjs, run with --expose-gc) and
// sends the result back over IPC:
//   { id, median, p25, p75, samples (ms), reported, loopBusyMs?, loopBusyWorstMs?, maxBlockMs?,
//     worstBlockMs?, idleBlockMs?, bytesPerSocket?, rssGrowthBytes? }
// or { id, skipped } / { id, error }.
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

async function measure(id, ctx) {
  const c = contender(id);
  const prepared = await c.prepare(ctx);
  if (prepared.measure) return prepared.measure();

  const { run, count } = prepared;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const pending = run(); // also the warm-up; its result is held while RSS is read
  const isAsync = typeof pending?.then === 'function';
  const first = await pending;
  const rssGrowthBytes = process.memoryUsage().rss - rssBefore;
  const reported = count(first);
  const extra = {};
  if (c.table && reported > 0) {
    extra.bytesPerSocket = typedArrayBytes(first) / reported;
    extra.rssGrowthBytes = rssGrowthBytes;
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
