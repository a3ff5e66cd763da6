// Argument checks shared by every entry point: one message shape, TypeError for a wrong type,
// RangeError for a bad value.

function describe(value: unknown): string {
  const shown = typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value);
  return `${shown} of type ${value === null ? 'null' : typeof value}`;
}

/** "Expected <what> for <name> but received <value> of type <type>". */
export function invalid(
  Kind: typeof TypeError | typeof RangeError,
  what: string,
  name: string,
  value: unknown,
): Error {
  return new Kind(`Expected ${what} for ${name} but received ${describe(value)}`);
}

/**
 * An integer option from `lo` to `hi`: `fallback` when it is left out (and a fallback is given),
 * a TypeError for another type, a RangeError out of range or not whole.
 */
export function checkInteger(value: unknown, name: string, lo: number, hi: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const what = `an integer from ${lo} to ${hi}`;
  if (typeof value !== 'number') throw invalid(TypeError, what, name, value);
  if (!Number.isInteger(value) || value < lo || value > hi) throw invalid(RangeError, what, name, value);
  return value;
}

export function checkObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(TypeError, 'an object', name, value);
  }
  return value as Record<string, unknown>;
}

/** Rejects option names the function does not know, suggesting the closest one. */
export function checkKeys(options: Record<string, unknown>, known: readonly string[], fn: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => closeEnough(k.toLowerCase(), key.toLowerCase()));
    throw new TypeError(
      `Unknown option ${JSON.stringify(key)} for ${fn}()` + (near ? `; did you mean ${JSON.stringify(near)}?` : '') +
        `. Known options: ${known.join(', ')}`,
    );
  }
}

/** Within two edits (Levenshtein) of each other: a likely typo. */
function closeEnough(a: string, b: string): boolean {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]! <= 2;
}

export function checkBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(TypeError, 'a boolean', name, value);
  return value;
}

export function checkString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalid(TypeError, 'a string', name, value);
  if (value.length === 0) throw invalid(RangeError, 'a non-empty string', name, value);
  return value;
}

/** One of `allowed`; the message lists them. */
export function checkOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  const what = `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  if (typeof value !== 'string') throw invalid(TypeError, what, name, value);
  if (!(allowed as readonly string[]).includes(value)) throw invalid(RangeError, what, name, value);
  return value as T;
}

/** A non-empty array of distinct members of `allowed`. */
export function checkList<T extends string>(value: unknown, name: string, allowed: readonly T[]): T[] {
  const what = `an array of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  if (!Array.isArray(value)) throw invalid(TypeError, what, name, value);
  if (value.length === 0) throw invalid(RangeError, what, name, value);
  return value.map((v, i) => checkOneOf(v, `${name}[${i}]`, allowed));
}
