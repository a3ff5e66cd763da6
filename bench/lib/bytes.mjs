// Memory a library table holds in its columns.

/** Sum of byteLength of the distinct typed arrays reachable from `value` (a few levels deep). */
export function typedArrayBytes(value, depth = 4, seen = new Set()) {
  if (value === null || typeof value !== 'object' || seen.has(value) || depth < 0) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value.byteLength;
  let sum = 0;
  for (const key of Object.keys(value)) sum += typedArrayBytes(value[key], depth - 1, seen);
  return sum;
}
