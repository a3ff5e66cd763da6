// How long an async call keeps the event loop from turning: a setImmediate chain notes the
// longest gap between its turns while the call runs (finer than a 1 ms timer histogram).

/** Longest event-loop block in ms over `times` sequential awaits of `run()`. */
export async function longestBlockMs(run, times) {
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
  try {
    for (let i = 0; i < times; i++) await run();
  } finally {
    spinning = false;
  }
  return longest;
}
