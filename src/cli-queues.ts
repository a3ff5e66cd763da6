// The queue commands of the sockscope CLI (queues, watch, counters, doctor): they call the
// library and format what it returns. Argument errors are TypeError/RangeError (exit status 2).
import { keyCounters, netstatCounters, type KeyCounters, type NetstatCounters } from './counters.js';
import { diagnose, type Finding } from './doctor.js';
import { endpoint, formatTable } from './format.js';
import { holdProcess } from './hold.js';
import { listenQueues, type AnyListenQueue, type ListenQueue, type ListenQueueOptions } from './queues.js';
import { unixListenerName } from './unix-queues.js';
import { invalid } from './validate.js';
import { watch, type WatchSample } from './watch.js';

/** The overflow counters `queues` prints under its table. */
const OVERFLOW_KEYS = ['listenOverflows', 'listenDrops', 'syncookiesSent', 'reqQFullDrop'] as const;

const counterRoot = (read: ListenQueueOptions) => (read.procRoot === undefined ? {} : { procRoot: read.procRoot });
const listenerName = (l: ListenQueue) => endpoint(l.localAddress, l.localPort, l.proto);

const anyListenerName = (l: AnyListenQueue) => (l.proto === 'unix' ? unixListenerName(l) : listenerName(l));
const known = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(n));

/** `sockscope queues`: every listener's queues (half-open counts included), UNIX ones last, then the overflow counters. */
export async function queuesCommand(read: ListenQueueOptions, json: boolean): Promise<string> {
  const [listeners, all] = await Promise.all([listenQueues({ ...read, synRecv: true, unix: true }), netstatCounters(counterRoot(read))]);
  const key = keyCounters(all);
  const counters = Object.fromEntries(OVERFLOW_KEYS.map((k) => [k, key[k]]));
  if (json) return JSON.stringify({ listeners, counters }, null, 2);
  const table = formatTable(listeners, [
    { title: 'Local Address:Port', value: anyListenerName },
    { title: 'Accept-Q', value: (l) => known(l.acceptQueue), right: true },
    { title: 'Backlog', value: (l) => known(l.backlog), right: true },
    { title: 'SYN-Recv', value: (l) => (l.proto === 'unix' ? '-' : String(l.synRecv)), right: true },
    { title: 'Full', value: (l) => (l.full === null ? '-' : l.full ? 'yes' : 'no') },
  ]);
  const lines = OVERFLOW_KEYS.map((k) => `${String(key[k]).padStart(10)} ${k}`);
  return `${table}\n\nSince boot (or the namespace's creation):\n${lines.join('\n')}`;
}

/** nstat's names: group and counter run together, `TcpExtListenOverflows`. */
function nstatNames(all: NetstatCounters): [string, number][] {
  return Object.entries(all).flatMap(([group, fields]) =>
    Object.entries(fields).map(([name, value]): [string, number] => [`${group}${name}`, value]),
  );
}

function patternOf(pattern: string | undefined): RegExp | undefined {
  if (pattern === undefined) return undefined;
  try {
    return new RegExp(pattern, 'i');
  } catch {
    throw invalid(RangeError, 'a regular expression', 'PATTERN', pattern);
  }
}

/** `sockscope counters [PATTERN]`: every counter as `nstat -az` names it, those matching PATTERN. */
export async function countersCommand(pattern: string | undefined, procRoot: string | undefined, json: boolean): Promise<string> {
  const match = patternOf(pattern);
  const all = await netstatCounters(procRoot === undefined ? {} : { procRoot });
  const rows = nstatNames(all).filter(([name]) => !match || match.test(name));
  if (json) return JSON.stringify(Object.fromEntries(rows), null, 2);
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)} ${value}`).join('\n');
}

function positive(text: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  const what = integer ? 'a positive integer' : 'a positive number';
  if (text.trim() === '' || !(n > 0) || (integer && !Number.isInteger(n))) throw invalid(RangeError, what, name, text);
  return n;
}

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

/** One text line of a sample: counters (totals in the first, increases after), busy listeners. */
function watchLine(s: WatchSample, color: boolean): string {
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
  const head = s.increase ? clock : `${clock} since boot:`;
  return [head, ...fields, ...(busy.length ? ['| accept queues', ...busy] : [])].join('  ');
}

/** The sample as `watch --json` prints it: the shortcut counters only (`all` would be ~400 numbers thrice). */
function watchRecord(s: WatchSample) {
  const pick = (c: WatchSample['increase']) => (c ? keyCounters(c.all) : null);
  const { time, elapsedMs, costMs, listeners } = s;
  return { time, elapsedMs, costMs, listeners, counters: pick(s.counters), increase: pick(s.increase), perSecond: pick(s.perSecond) };
}

/**
 * `sockscope watch [SECONDS]`: a line (or a JSON object) per sample until `count` samples or
 * Ctrl-C. Writes as it goes and returns ''.
 */
export async function watchCommand(
  seconds: string | undefined,
  countText: string | undefined,
  read: ListenQueueOptions,
  json: boolean,
): Promise<string> {
  const intervalMs = positive(seconds, 'SECONDS', 1, false) * 1000;
  const count = positive(countText, '--count', Infinity, true);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const release = holdProcess();
  try {
    let n = 0;
    for await (const sample of watch({ ...read, intervalMs, signal: stop.signal })) {
      process.stdout.write(`${json ? JSON.stringify(watchRecord(sample)) : watchLine(sample, process.stdout.isTTY === true)}\n`);
      if (++n >= count) break;
    }
  } finally {
    release();
    process.off('SIGINT', onSigint);
  }
  return '';
}

const LABEL: Record<Finding['severity'], string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };
const numbers = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${k}=${v}`).join(' ');

/** `sockscope doctor`: findings, critical first; JSON: the array diagnose() returns. */
export async function doctorCommand(read: ListenQueueOptions, duration: string | undefined, json: boolean): Promise<string> {
  const options = duration === undefined ? read : { ...read, durationMs: positive(duration, '--duration', 1, false) * 1000 };
  const findings = await diagnose(options);
  if (json) return JSON.stringify(findings, null, 2);
  if (findings.length === 0) return 'No findings.';
  return findings
    .map((f) =>
      [
        `${LABEL[f.severity]} ${f.id}: ${f.title}`,
        `  evidence: ${numbers(f.evidence)}`,
        ...f.endpoints.map((e) => `  ${e.endpoint} ${numbers(e.evidence)}`),
        `  ${f.advice}`,
      ].join('\n'),
    )
    .join('\n\n');
}
