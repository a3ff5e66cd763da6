// watch(): samples of listen queues, kernel counters and (on request) state counts, at a fixed
// interval, as an async iterator that never keeps the process alive.
import { performance } from 'node:perf_hooks';

import { keyCounters, netstatCounters, type KeyCounters, type NetstatCounters } from './counters.js';
import { countStates } from './read.js';
import {
  planListenQueues,
  readListenQueues,
  type ListenQueue,
  type ListenQueueOptions,
  type ListenQueuePlan,
} from './queues.js';
import type { StateCounts } from './states.js';
import { checkBoolean, invalid } from './validate.js';

/** Options of {@link watch}: listenQueues' (each sample reads the listeners with them) and these. */
export interface WatchOptions extends ListenQueueOptions {
  /** Time between the starts of two samples, in milliseconds. @default 1000 */
  intervalMs?: number;
  /** Aborting it ends the iteration at once, without an error: a pending wait resolves immediately. */
  signal?: AbortSignal;
  /**
   * Also count sockets per state in each sample. Off by default because it is the one full dump:
   * without it a sample is a LISTEN-only read and two small counter files, cheap at any number
   * of connections. @default false
   */
  states?: boolean;
}

/** The shortcuts of {@link KEY_COUNTERS}, and every counter by group and name in `all`. */
export type CounterValues = KeyCounters & { all: NetstatCounters };

/** One sample of {@link watch}. */
export interface WatchSample {
  /** When the sample was taken, in ms since the epoch (Date.now()). */
  time: number;
  /** Milliseconds since the watch began (monotonic). */
  elapsedMs: number;
  /** Sockets per state; only with `states: true`. */
  states?: StateCounts;
  listeners: ListenQueue[];
  /** Counters since the namespace was made (the host's: since boot). */
  counters: CounterValues;
  /**
   * Each counter's increase since the previous sample; `null` in the first. A counter the
   * kernel shows only once non-zero (IcmpMsg's) counts from 0. Gauges among them
   * (Tcp.CurrEstab) can decrease.
   */
  increase: CounterValues | null;
  /** `increase` divided by the seconds between the two samples; `null` in the first. */
  perSecond: CounterValues | null;
  /** How long the sample's reads took, in milliseconds. */
  costMs: number;
}

const WATCH_OPTION_NAMES = ['intervalMs', 'signal', 'states'] as const;

function checkInterval(value: unknown): number {
  if (value === undefined) return 1000;
  if (typeof value !== 'number') throw invalid(TypeError, 'a number >= 1', 'intervalMs', value);
  if (!(value >= 1 && value <= 2 ** 31 - 1)) throw invalid(RangeError, 'a number >= 1', 'intervalMs', value);
  return value;
}

function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalid(TypeError, 'an AbortSignal', 'signal', value);
}

/** `fn` applied to each counter of `now` and its value in `before` (0 when absent there). */
function combine(now: NetstatCounters, before: NetstatCounters, fn: (a: number, b: number) => number): NetstatCounters {
  const out: NetstatCounters = {};
  for (const [group, fields] of Object.entries(now)) {
    const prev = before[group] ?? {};
    out[group] = {};
    for (const [name, value] of Object.entries(fields)) out[group][name] = fn(value, prev[name] ?? 0);
  }
  return out;
}

const withKeys = (all: NetstatCounters): CounterValues => ({ ...keyCounters(all), all });

/** Resolves after `ms`, or at once when `signal` aborts; its timer never holds the process. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Samples listen queues and kernel counters every `intervalMs`, the first at once: an async
 * iterator. `break` or `signal.abort()` ends it at once; its timers are unref()ed, so a watch
 * alone never keeps the process alive. A sample is one LISTEN-only read and the two counter
 * files, plus a SYN_RECV read with `synRecv: true` and a full count with `states: true`.
 *
 * @throws TypeError or RangeError for bad options, when called (before any read).
 */
export function watch(options?: WatchOptions): AsyncGenerator<WatchSample, void, undefined> {
  const plan = planListenQueues(options, 'watch', WATCH_OPTION_NAMES);
  const o = (options ?? {}) as WatchOptions;
  const intervalMs = checkInterval(o.intervalMs);
  const signal = checkSignal(o.signal);
  const withStates = checkBoolean(o.states, 'states', false);
  return samples(plan, intervalMs, signal, withStates);
}

async function* samples(
  plan: ListenQueuePlan,
  intervalMs: number,
  signal: AbortSignal | undefined,
  withStates: boolean,
): AsyncGenerator<WatchSample, void, undefined> {
  const start = performance.now();
  let nextAt = start;
  let previous: { at: number; all: NetstatCounters } | undefined;
  const { procRoot, source, protocols } = plan.read;
  while (!signal?.aborted) {
    const at = performance.now();
    const time = Date.now();
    const [listeners, all, states] = await Promise.all([
      readListenQueues(plan),
      netstatCounters(procRoot === undefined ? {} : { procRoot }),
      withStates ? countStates({ procRoot, source, protocols }) : undefined,
    ]);
    const costMs = performance.now() - at;
    if (signal?.aborted) return;
    const seconds = previous ? (at - previous.at) / 1000 : 0;
    const sample: WatchSample = {
      time,
      elapsedMs: at - start,
      ...(states && { states }),
      listeners,
      counters: withKeys(all),
      increase: previous ? withKeys(combine(all, previous.all, (a, b) => a - b)) : null,
      perSecond: previous ? withKeys(combine(all, previous.all, (a, b) => (a - b) / seconds)) : null,
      costMs,
    };
    previous = { at, all };
    yield sample;
    nextAt = Math.max(nextAt + intervalMs, performance.now());
    await pause(nextAt - performance.now(), signal);
  }
}
