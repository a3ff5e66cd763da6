// The options every metrics read takes: where to read, checked once where they are given.
import { READ_OPTION_NAMES, toNativeRequest, type ReadOptions } from '../options.js';
import { checkKeys, checkObject } from '../validate.js';

/** The read options a metrics read takes: where to read, not what (always every TCP socket). */
export type MetricsReadOptions = Omit<ReadOptions, 'protocols' | 'states' | 'filter'>;

const METRICS_READ_OPTION_NAMES = READ_OPTION_NAMES.filter((k) => k !== 'protocols' && k !== 'states');

/**
 * Validates metrics read options (and `extraKeys`, checked by the caller) once, so a bad option
 * fails where it is given rather than at every scrape. Returns the read options alone.
 */
export function checkMetricsReadOptions(
  options: unknown,
  fn: string,
  extraKeys: readonly string[] = [],
): MetricsReadOptions {
  const o = checkObject(options, 'options');
  checkKeys(o, [...METRICS_READ_OPTION_NAMES, ...extraKeys], fn);
  const read = Object.fromEntries(Object.entries(o).filter(([k]) => !extraKeys.includes(k)));
  toNativeRequest(read, fn);
  return read as MetricsReadOptions;
}
