// Port filters: a port, a [low, high] range, or a list of them, flattened for the addon.
import { invalid } from './validate.js';

/** A port, an inclusive `[low, high]` range, or a list of ports and ranges (any of them matches). */
export type PortSpec = number | readonly [number, number] | readonly (number | readonly [number, number])[];

function checkPort(value: unknown, name: string): number {
  const what = 'a port number (0-65535)';
  if (typeof value !== 'number') throw invalid(TypeError, what, name, value);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw invalid(RangeError, what, name, value);
  return value;
}

function isRange(value: unknown): value is readonly [unknown, unknown] {
  return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number');
}

function checkRange(value: readonly [unknown, unknown], name: string): [number, number] {
  const lo = checkPort(value[0], `${name}[0]`);
  const hi = checkPort(value[1], `${name}[1]`);
  if (lo > hi) throw invalid(RangeError, 'a range [low, high] with low <= high', name, value);
  return [lo, hi];
}

/** Validates a PortSpec into flat [lo, hi, lo, hi, ...] pairs; undefined means any port. */
export function toPortRanges(value: unknown, name: string): number[] {
  if (value === undefined) return [];
  if (typeof value === 'number') {
    const p = checkPort(value, name);
    return [p, p];
  }
  if (isRange(value)) return checkRange(value, name);
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(TypeError, 'a port, a [low, high] range or a non-empty list of them', name, value);
  }
  return value.flatMap((v, i) => (typeof v === 'number' ? toPortRanges(v, `${name}[${i}]`) : checkRange(checkPair(v, `${name}[${i}]`), `${name}[${i}]`)));
}

function checkPair(value: unknown, name: string): readonly [unknown, unknown] {
  if (!Array.isArray(value) || value.length !== 2) throw invalid(TypeError, 'a port or a [low, high] range', name, value);
  return value as [unknown, unknown];
}
