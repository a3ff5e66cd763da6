// What both metrics entries (sockscope/prometheus, sockscope/otel) share: their options beyond the
// read options, the bounded top-K reads, and a read timed and caught so that a failure becomes a
// figure, never a throw.
import { countBy, type CountByResult, type GroupCount, type OtherCount } from '../count-by.js';
import { portPressure, type PortPressureResult } from '../port-pressure.js';
import { checkString, invalid } from '../validate.js';
import { checkMetricsReadOptions, type MetricsReadOptions } from './read-options.js';

/** The reads behind the metrics, as the `collector` label (or attribute) of the collector metrics names them. */
export type Collector = 'sockets' | 'netstat' | 'unix' | 'prefixes' | 'ports';

/** Options every metrics entry takes: where to read, how many listeners get series, and who hears of failures. */
export interface CollectorOptions extends MetricsReadOptions {
  /**
   * At most this many listeners get series (the lowest ports first); the others are counted in the
   * listeners-omitted metric. Bounds the cardinality on a host with many listeners.
   * @default 100
   */
  maxListeners?: number;
  /** Called with every failed read (besides the collector-success metric). @default none */
  onError?: (error: Error, collector: Collector) => void;
}

/** The top-K figures of who holds the sockets, each bounded by its K, off unless asked for. */
export interface TopKOptions {
  /**
   * Report the K remote prefixes (/24, /64) holding the most ESTABLISHED connections, plus one
   * `other` (the sum of the rest): K + 1 series, read by a collector of their own, `prefixes`.
   * @default 0 (none)
   */
  topRemotePrefixes?: number;
  /**
   * Report the K destinations holding the most ephemeral ports (how many, and their share of the
   * usable range) and the usable range's size: 2K + 1 series, read by a collector of their own,
   * `ports`. @default 0 (none)
   */
  topPortPressure?: number;
  /** Where the port pressure reads the port range sysctls. @default '/proc/sys' */
  sysRoot?: string;
}

const TOP_K_OPTIONS = ['topRemotePrefixes', 'topPortPressure', 'sysRoot'] as const;

/** The top-K options, checked. */
export type TopK = Required<Omit<TopKOptions, 'sysRoot'>> & Pick<TopKOptions, 'sysRoot'>;

function checkTopKOptions(options: unknown): TopK {
  const o = (options ?? {}) as TopKOptions;
  const topK = (name: 'topRemotePrefixes' | 'topPortPressure') => {
    const v = o[name] ?? 0;
    if (typeof v !== 'number') throw invalid(TypeError, 'a number', name, v);
    if (!Number.isInteger(v) || v < 0 || v > 1000) throw invalid(RangeError, 'an integer from 0 to 1000', name, v);
    return v;
  };
  if (o.sysRoot !== undefined) checkString(o.sysRoot, 'sysRoot');
  return { topRemotePrefixes: topK('topRemotePrefixes'), topPortPressure: topK('topPortPressure'), sysRoot: o.sysRoot };
}

/** The options of a metrics entry `fn`: the collector's and the top-K ones, and `extraKeys`, its own. */
export function checkMetricsOptions(options: unknown, fn: string, extraKeys: readonly string[]) {
  return { ...checkCollectorOptions(options, fn, [...extraKeys, ...TOP_K_OPTIONS]), top: checkTopKOptions(options) };
}

/** The top-K reads: the remote prefixes of ESTABLISHED connections, and the port pressure (whose range decides the local port). */
export function topKReads(read: MetricsReadOptions, top: TopK) {
  const { localPort: _range, ...portRead } = read;
  return {
    prefixes: (): Promise<CountByResult> => countBy({ ...read, by: 'remotePrefix', states: ['ESTABLISHED'], top: top.topRemotePrefixes }),
    ports: (): Promise<PortPressureResult> => portPressure({ ...portRead, sysRoot: top.sysRoot, top: top.topPortPressure }),
  };
}

/** A prefix group's label: its prefix, or `other`. */
export const prefixLabel = (group: GroupCount | OtherCount) => ('other' in group ? 'other' : group.remotePrefix!);

/** A read's value or error, and how long it took. */
export type Outcome<T> = { value: T; error?: undefined; seconds: number } | { value?: undefined; error: Error; seconds: number };

/** Validates the options once, where they are given: the read options apart, the rest checked. */
function checkCollectorOptions(options: unknown, fn: string, extraKeys: readonly string[] = []) {
  const read = checkMetricsReadOptions(options, fn, [...extraKeys, 'maxListeners', 'onError']);
  const o = (options ?? {}) as CollectorOptions;
  const maxListeners = o.maxListeners ?? 100;
  if (typeof maxListeners !== 'number') throw invalid(TypeError, 'a number', 'maxListeners', maxListeners);
  if (!Number.isInteger(maxListeners) || maxListeners < 0) {
    throw invalid(RangeError, 'a non-negative integer', 'maxListeners', maxListeners);
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') throw invalid(TypeError, 'a function', 'onError', o.onError);
  return { read, maxListeners, onError: o.onError };
}

/** Runs `read`, timing it; a failure is handed to `onError` and returned, never thrown. */
export async function timedRead<T>(read: () => Promise<T>, collector: Collector, onError?: CollectorOptions['onError']): Promise<Outcome<T>> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  try {
    const value = await read();
    return { value, seconds: seconds() };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    onError?.(error, collector);
    return { error, seconds: seconds() };
  }
}
