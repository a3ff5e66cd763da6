// What an async call costs the event loop, in two passes that do not disturb each other:
// - busy: the loop's active time during the call (performance.eventLoopUtilization), i.e. all the
//   JavaScript and native callbacks it ran for the call, GC included. No block can be longer.
//   Nothing spins meanwhile: on a 2-core box a spinning probe competes with the call's own
//   threads and gets preempted, which reads as a block the call never made.
// - delay: the longest timer delay seen during the call (perf_hooks.monitorEventLoopDelay at a
//   1 ms resolution, less that resolution): how late a timer of the application would fire.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Per call: the loop's active ms during each of `times` sequential awaits of `run()`. */
export async function busyPerCallMs(run, times) {
  const out = [];
  for (let i = 0; i < times; i++) {
    const start = performance.eventLoopUtilization();
    await run();
    out.push(performance.eventLoopUtilization(start).active);
  }
  return out;
}

/** Per call: the longest event-loop delay (ms) during each of `times` sequential awaits of `run()`. */
export async function delayPerCallMs(run, times) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const out = [];
  try {
    for (let i = 0; i < times; i++) {
      h.reset();
      await run();
      await new Promise((resolve) => setTimeout(resolve, 2)); // the tick that spans the call's end
      out.push(Math.max(0, h.max / 1e6 - 1));
    }
  } finally {
    h.disable();
  }
  return out;
}
