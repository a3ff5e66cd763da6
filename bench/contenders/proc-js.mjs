// Pure JavaScript: read /proc/net/tcp and tcp6 whole and count the state column.
import { readFileSync } from 'node:fs';
import { toolLimit } from './large-n.mjs';

const FILES = ['/proc/net/tcp', '/proc/net/tcp6'];
const SPACE = 0x20;
const NEWLINE = 0x0a;

const hexDigit = (c) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);

/** Adds the state (4th field, two hex digits) of each line after the header to counts[state]. */
export function countProcStates(buf, counts) {
  let i = buf.indexOf(NEWLINE) + 1;
  while (i > 0 && i < buf.length) {
    let p = i;
    for (let field = 0; field < 3; field++) {
      while (buf[p] === SPACE) p++;
      while (buf[p] !== SPACE) p++;
    }
    while (buf[p] === SPACE) p++;
    counts[(hexDigit(buf[p]) << 4) | hexDigit(buf[p + 1])]++;
    i = buf.indexOf(NEWLINE, p) + 1;
  }
  return counts;
}

export default {
  id: 'proc-js',
  label: 'readFileSync /proc/net/tcp{,6} + JS count',
  kind: 'js',
  ...toolLimit,
  prepare: () => ({
    run: () => FILES.reduce((counts, f) => countProcStates(readFileSync(f), counts), new Array(13).fill(0)),
    count: (counts) => counts.reduce((a, b) => a + b, 0),
  }),
};
