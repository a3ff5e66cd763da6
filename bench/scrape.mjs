#!/usr/bin/env node
// Times a Prometheus scrape of sockscope's collector in-process, over a synthetic /proc/net/tcp of
// N connections (so 100k costs no real sockets): `node bench/scrape.mjs [N...] [--scrapes K]`.
// Prints one JSON line per N: the median and p95 of K scrapes (registry.metrics(), text included),
// and for comparison a per-state count alone (countStates) over the same table.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { Registry } from 'prom-client';

import { countStates } from '../dist/index.js';
import { registerSockscopeMetrics } from '../dist/metrics/prometheus.js';

const { values, positionals } = parseArgs({ options: { scrapes: { type: 'string', default: '50' } }, allowPositionals: true });
const sizes = positionals.length ? positionals.map(Number) : [10_000, 100_000];
const scrapes = Number(values.scrapes);

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const hex = (n, width) => n.toString(16).toUpperCase().padStart(width, '0');

/** N rows as the kernel prints them: 100 listeners, the rest spread over the connected states. */
function tcpTable(n) {
  const states = [0x01, 0x01, 0x01, 0x01, 0x06, 0x08, 0x05, 0x02];
  const rows = [HEADER];
  for (let i = 0; i < n; i++) {
    const listen = i < 100;
    const st = listen ? 0x0a : states[i % states.length];
    const local = `0100007F:${hex(listen ? 10000 + i : 40000 + (i % 20000), 4)}`;
    const remote = listen ? '00000000:0000' : `0100007F:${hex(1024 + (i % 60000), 4)}`;
    const queues = `${hex(i % 7 === 0 ? 1448 : 0, 8)}:${hex(listen ? i % 3 : i % 5 === 0 ? 512 : 0, 8)}`;
    rows.push(`${String(i).padStart(4)}: ${local} ${remote} ${hex(st, 2)} ${queues} 00:00000000 00000000     0        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1`);
  }
  return `${rows.join('\n')}\n`;
}

async function timeIt(fn) {
  const ms = [];
  for (let i = 0; i < scrapes; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => Number(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2));
  return { medianMs: at(0.5), p95Ms: at(0.95) };
}

for (const n of sizes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sockscope-bench-'));
  try {
    writeFileSync(path.join(dir, 'tcp'), tcpTable(n));
    writeFileSync(path.join(dir, 'tcp6'), `${HEADER}\n`);
    for (const f of ['netstat', 'snmp']) copyFileSync(`/proc/net/${f}`, path.join(dir, f)); // the counters, as they are
    const registry = new Registry();
    registerSockscopeMetrics(registry, { procRoot: dir });
    for (let i = 0; i < 5; i++) await registry.metrics(); // warm-up: loads the addon, lets the JIT settle
    const scrape = await timeIt(() => registry.metrics());
    const countOnly = await timeIt(() => countStates({ procRoot: dir }));
    console.log(JSON.stringify({ connections: n, scrapes, scrape, countStatesOnly: countOnly }));
  } finally {
    rmSync(dir, { recursive: true });
  }
}
