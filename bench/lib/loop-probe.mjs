// How long an async call keeps the event loop from turning: a setImmediate chain notes the
// longest gap between its turns while the call runs (finer than a 1 ms timer histogram).

/** The longest event-loop block (ms) during each of `times` sequential awaits of `run()`. */
export async function longestBlocksMs(run, times) {
  let longest = 0;
  let last = performance.now();
  let spinning = true;
  const turn = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (spinning) setImmediate(turn);
  };
  setImmediate(turn);
  const perCall = [];
  try {
    for (let i = 0; i < times; i++) {
      await run();
      // The gap that ends with this turn still belongs to the call: take it before resetting.
      await new Promise((resolve) => setImmediate(resolve));
      perCall.push(longest);
      longest = 0;
    }
  } finally {
    spinning = false;
  }
  return perCall;
}
