// `sockscope watch [SECONDS]`: a line (or a JSON object) per sample until --count samples or
// Ctrl-C: counter increases, the listeners that dropped, and busy accept queues.
import { keyCounters, type KeyCounters } from '../counters.js';
import { holdProcess } from '../hold.js';
import { dropIncreases, type ListenQueue } from '../queues.js';
import { watch as watchSamples, type WatchSample } from '../watch.js';
import { positive, queueReadOptions, type Flags } from './args.js';
import { listenerName } from './queues.js';

const SHORT: Record<keyof KeyCounters, string> = {
  listenOverflows: 'overflows',
  listenDrops: 'drops',
  syncookiesSent: 'cookies',
  reqQFullDrop: 'reqQFull',
  backlogDrop: 'backlogDrop',
  retransSegs: 'retrans',
  outRsts: 'rsts',
  attemptFails: 'attemptFails',
  estabResets: 'estabResets',
};

/**
 * One text line of a sample: counters (totals in the first, increases after), the listeners whose
 * drops grew since the previous sample (`before`: its listeners), busy listeners.
 */
export function watchLine(s: WatchSample, color: boolean, before?: readonly ListenQueue[]): string {
  const clock = new Date(s.time).toTimeString().slice(0, 8);
  const values = s.increase ?? s.counters;
  const fields = (Object.keys(SHORT) as (keyof KeyCounters)[]).map((k) => {
    const text = `${SHORT[k]} ${s.increase ? '+' : ''}${values[k]}`;
    const alarming = s.increase && (k === 'listenOverflows' || k === 'listenDrops') && values[k] > 0;
    return alarming && color ? `\x1b[1;31m${text}\x1b[0m` : text;
  });
  const busy = s.listeners
    .filter((l) => l.acceptQueue > 0)
    .map((l) => `${listenerName(l)} ${l.acceptQueue}/${l.backlog ?? '-'}`);
  const dropped = s.increase && before ? dropIncreases(before, s.listeners).map((d) => `${listenerName(d.listener)} +${d.increase}`) : [];
  const droppedText = ['| dropped', ...dropped].join('  ');
  const head = s.increase ? clock : `${clock} since boot:`;
  return [
    head,
    ...fields,
    ...(dropped.length ? [color ? `\x1b[1;31m${droppedText}\x1b[0m` : droppedText] : []),
    ...(busy.length ? ['| accept queues', ...busy] : []),
  ].join('  ');
}

/** The sample as `watch --json` prints it: the shortcut counters only (`all` would be ~400 numbers thrice). */
function watchRecord(s: WatchSample) {
  const pick = (c: WatchSample['increase']) => (c ? keyCounters(c.all) : null);
  const { time, elapsedMs, costMs, listeners } = s;
  return { time, elapsedMs, costMs, listeners, counters: pick(s.counters), increase: pick(s.increase), perSecond: pick(s.perSecond) };
}

/** Writes as it goes and returns ''. */
export async function watch(f: Flags, seconds?: string): Promise<string> {
  const read = queueReadOptions(f, 'watch');
  const intervalMs = positive(seconds, 'SECONDS', 1, false) * 1000;
  const count = positive(f.count, '--count', Infinity, true);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const release = holdProcess();
  try {
    let n = 0;
    let before: ListenQueue[] | undefined;
    for await (const sample of watchSamples({ ...read, intervalMs, signal: stop.signal })) {
      process.stdout.write(`${f.json ? JSON.stringify(watchRecord(sample)) : watchLine(sample, process.stdout.isTTY === true, before)}\n`);
      before = sample.listeners;
      if (++n >= count) break;
    }
  } finally {
    release();
    process.off('SIGINT', onSigint);
  }
  return '';
}
