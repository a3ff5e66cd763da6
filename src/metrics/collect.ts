// What both metrics entries (sockscope/prometheus, sockscope/otel) share: their options beyond the
// read options, and a read timed and caught so that a failure becomes a figure, never a throw.
import { invalid } from '../validate.js';
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

/** A read's value or error, and how long it took. */
export type Outcome<T> = { value: T; error?: undefined; seconds: number } | { value?: undefined; error: Error; seconds: number };

/** Validates the options once, where they are given: the read options apart, the rest checked. */
export function checkCollectorOptions(options: unknown, fn: string, extraKeys: readonly string[] = []) {
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
