// Close events under the highest close rate this machine makes: K child processes open and
// close loopback TCP connections as fast as they can (the client resets, so no TIME_WAIT eats
// the ports) in a private network namespace, while one events() stream with default buffers
// consumes them. Reports the close rate, the events received and lost, and the consumer's
// event-loop busy share (performance.eventLoopUtilization) over the churn.
//
//   node bench/events.mjs [--seconds 10] [--children CPUS]   (root: re-runs itself in `unshare -n`)
//
// Writes bench/results/events.json (with date, machine, Node and kernel) and prints it.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 10);
const children = arg('children', os.cpus().length);

if (process.env.SOCKSCOPE_BENCH_NETNS === undefined) {
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, self, ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, SOCKSCOPE_BENCH_NETNS: '1' },
  });
  process.exit(r.status ?? 1);
}

// One churning child: connect, accept, reset, close, as fast as it can, for `seconds`; prints
// the sockets it closed (two per connection, and its listener).
const CHURN = `
import socket, struct, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4096); addr = l.getsockname()
linger = struct.pack("ii", 1, 0); n = 0; end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for _ in range(100):
        c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        c.connect(addr); a, _ = l.accept(); c.close(); a.close(); n += 1
l.close(); print(2 * n + 1)
`;

const { events } = await import('../dist/index.js');
const stream = events({ protocols: ['tcp', 'tcp6'] });
let received = 0;
const consumed = (async () => {
  for await (const _ of stream) received++;
})();

const started = performance.now();
const elu0 = performance.eventLoopUtilization();
const kids = Array.from({ length: children }, () => {
  const p = spawn('python3', ['-c', CHURN, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  return new Promise((resolve) => p.on('exit', () => resolve(Number(out.trim()))));
});
const closedPerChild = await Promise.all(kids);
const churnMs = performance.now() - started;
const elu = performance.eventLoopUtilization(elu0);
const closed = closedPerChild.reduce((a, b) => a + b, 0);
// The kernel broadcasts from a workqueue: wait until every close is accounted for (or 10 s).
for (let i = 0; i < 100 && received + stream.lost < closed; i++) await new Promise((r) => setTimeout(r, 100));
stream.close();
await consumed;

const cpu = os.cpus()[0]?.model ?? 'unknown';
const result = {
  date: new Date().toISOString(),
  machine: { cpu, cpus: os.cpus().length, kernel: os.release(), node: process.version },
  children,
  seconds: Math.round(churnMs) / 1000,
  closed,
  closesPerSecond: Math.round(closed / (churnMs / 1000)),
  received,
  lost: stream.lost,
  overruns: stream.overruns,
  receiveBuffer: stream.receiveBuffer,
  eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
};
const file = fileURLToPath(new URL('results/events.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
