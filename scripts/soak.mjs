// `npm run soak [-- --seconds N]` (60 by default; as root): in a private network namespace, while
// scripts/churn.mjs opens and closes thousands of loopback connections a second, reads of every
// kind run back to back. None may fail, and every row must be well formed: a valid state for its
// protocol, loopback addresses (an IPv4 row's bytes past the 4th zero), and ports the churner's
// or from the ephemeral range, as the state implies. Every 10 rounds the four tables are copied
// at once and read back from the copy: the counts must equal the rows' states.
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import { countStates, countStatesSync, snapshot, snapshotSync, TCP_STATES } from '../dist/index.js';
import { ROOT, seconds } from './common.mjs';

if (!process.env.SOCKSCOPE_SOAK_NETNS) {
  // Re-run inside a namespace of our own, so the churn never touches the host's tables.
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh',
    process.execPath, import.meta.filename, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, SOCKSCOPE_SOAK_NETNS: '1' } });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
}

// TIME_WAIT sockets outlive the churn by a minute: capped (for this namespace only), the tables
// stay at thousands of rows rather than 100,000, and the reads come many times a second.
fs.writeFileSync('/proc/sys/net/ipv4/tcp_max_tw_buckets', '4096');
const limit = seconds(60);
const PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'];
const all = { protocols: PROTOCOLS };

// Every kind of read: [name, read, what it returns, options].
const netlink = { ...all, source: 'netlink' };
const proc = { ...all, source: 'proc' };
const KINDS = [
  ['snapshotSync', async (o) => snapshotSync(o), 'table', netlink],
  ['snapshot', snapshot, 'table', netlink],
  ['snapshot +info+mem', snapshot, 'table', { ...netlink, info: true, memory: true }],
  ['countStatesSync', async (o) => countStatesSync(o), 'counts', netlink],
  ['countStates', countStates, 'counts', netlink],
  ['snapshot proc', snapshot, 'table', proc],
  ['countStates proc', countStates, 'counts', proc],
];

const churn = fork(path.join(ROOT, 'scripts/churn.mjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [first] = await readline.createInterface({ input: churn.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
const { tcpPorts, udpPorts } = JSON.parse(first);
const servers = new Set([...tcpPorts, ...udpPorts]);
const [lowPort, highPort] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
const LOOPBACK6 = Buffer.from([...Array(15).fill(0), 1]);

const problems = [];
function problem(what) {
  if (problems.length < 20) problems.push(what);
  else problems.length = 21;  // counted, not kept
}

// Checks one row of the columns; returns nothing, records what is wrong.
function checkRow(c, i) {
  const tcp = c.protocol[i] === 6;
  const where = () => `row ${JSON.stringify({ protocol: c.protocol[i], family: c.family[i], state: c.state[i], localPort: c.localPort[i], remotePort: c.remotePort[i] })}`;
  if (c.protocol[i] !== 6 && c.protocol[i] !== 17) return problem(`bad protocol: ${where()}`);
  if (c.family[i] !== 4 && c.family[i] !== 6) return problem(`bad family: ${where()}`);
  const state = c.state[i];
  if (tcp ? !(state >= 1 && state <= 11) : state !== 1 && state !== 7) return problem(`bad state: ${where()}`);
  for (const addr of [c.localAddress.subarray(16 * i, 16 * i + 16), c.remoteAddress.subarray(16 * i, 16 * i + 16)]) {
    const unset = addr.every((b) => b === 0);  // a listener's or an unconnected socket's peer
    const ok = c.family[i] === 4 ? (addr[0] === 127 || unset) && addr.subarray(4).every((b) => b === 0)
      : unset || Buffer.compare(addr, LOOPBACK6) === 0;
    if (!ok) return problem(`bad address ${Buffer.from(addr).toString('hex')}: ${where()}`);
  }
  const [local, remote] = [c.localPort[i], c.remotePort[i]];
  const ephemeral = (p) => p >= lowPort && p <= highPort;
  let ok;
  if (!tcp) {
    // The kernel prints a UDP socket unlocked, its peer read before its state: one caught
    // mid-connect reads ESTABLISHED to port 0 (seen here). So UDP's ports are checked apart.
    ok = (servers.has(local) || ephemeral(local)) && (remote === 0 || servers.has(remote));
  } else if (state === 10) {
    ok = servers.has(local) && remote === 0;
  } else {
    ok = (servers.has(local) && ephemeral(remote)) || (ephemeral(local) && servers.has(remote));
  }
  if (!ok) problem(`bad ports: ${where()}`);
  if (c.timer[i] > 4) problem(`bad timer ${c.timer[i]}: ${where()}`);
}

let inconsistent = 0;  // netlink tables still changing after the dump's retries, marked as such
let restarts = 0;      // netlink walks redone (NLM_F_DUMP_INTR, ENOBUFS)

function checkColumns(columns, rows) {
  for (const [name, col] of Object.entries(columns)) {
    if (name === 'info' || name === 'memory') checkColumns(col, rows);
    else if (name !== 'congestionNames' && col.length !== (name.endsWith('Address') ? 16 * rows : rows)) problem(`column ${name} has ${col.length} entries for ${rows} rows`);
  }
}

function checkTable(t) {
  const c = t.columns;
  checkColumns(c, t.length);
  inconsistent += t.inconsistent ? 1 : 0;
  restarts += t.dump?.restarts ?? 0;
  for (let i = 0; i < t.length; i++) checkRow(c, i);
  return t.length;
}

const seen = Object.fromEntries(TCP_STATES.map((s) => [s, 0]));  // sockets per state over all counts
function checkCounts(counts) {
  const { total, ...byState } = counts;
  for (const [state, n] of Object.entries(byState)) seen[state] += n;
  const sum = Object.values(byState).reduce((a, b) => a + b, 0);
  if (!Object.values(counts).every(Number.isSafeInteger) || sum !== total) problem(`counts do not add up: ${JSON.stringify(counts)}`);
  return total;
}

// The four tables copied at one moment, then read as rows and as counts: they must agree.
const frozen = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-soak-'));
async function checkFrozen() {
  for (const p of PROTOCOLS) fs.writeFileSync(path.join(frozen, p), fs.readFileSync(`/proc/net/${p}`));
  const o = { procRoot: frozen, protocols: PROTOCOLS };
  const tables = [snapshotSync(o), await snapshot(o)];
  const counts = [countStatesSync(o), await countStates(o)];
  for (const t of tables) {
    checkTable(t);
    const fromRows = Object.fromEntries(TCP_STATES.map((s) => [s, 0]));
    for (const row of t) fromRows[row.state === 'UNCONN' ? 'CLOSE' : row.state]++;
    for (const c of counts) {
      const { total, ...byState } = c;
      if (total !== t.length || JSON.stringify(byState) !== JSON.stringify(fromRows)) problem(`counts ${JSON.stringify(c)} differ from rows ${JSON.stringify(fromRows)}`);
    }
  }
}

const stats = Object.fromEntries(KINDS.map(([name]) => [name, { reads: 0, failed: 0, rows: 0, max: 0 }]));
let rounds = 0;
const start = performance.now();
while (performance.now() - start < limit * 1000) {
  for (const [name, read, kind, options] of KINDS) {
    const s = stats[name];
    s.reads++;
    try {
      const n = kind === 'table' ? checkTable(await read(options)) : checkCounts(await read(options));
      s.rows += n;
      s.max = Math.max(s.max, n);
    } catch (err) {
      s.failed++;
      problem(`${name} failed: ${err.code ?? ''} ${err.message}`);
    }
  }
  if (++rounds % 10 === 0) await checkFrozen();
}
const elapsed = (performance.now() - start) / 1000;

churn.send('stop');
const [churned] = await new Promise((resolve) => churn.once('message', (m) => resolve([m])));
fs.rmSync(frozen, { recursive: true });

console.log(`soak: ${elapsed.toFixed(1)} s in a private namespace`);
console.log(`churn: ${churned.tcp} TCP connections (${Math.round(churned.tcp / elapsed)}/s), ` +
  `${churned.udp} UDP sockets, ${churned.errors} churn errors${churned.errors ? ` (last ${churned.lastError})` : ''}`);
for (const [name, s] of Object.entries(stats)) {
  console.log(`${name.padEnd(20)} ${s.reads} reads (${Math.round(s.reads / elapsed)}/s), ${s.failed} failed, ` +
    `${Math.round(s.rows / s.reads)} ${KINDS.find(([n]) => n === name)[2] === 'table' ? 'rows' : 'sockets'} a read on average, at most ${s.max}`);
}
console.log(`${Math.floor(rounds / 10)} frozen copies read as rows and as counts`);
console.log(`netlink: ${restarts} walks redone after NLM_F_DUMP_INTR or ENOBUFS, ${inconsistent} tables returned marked inconsistent`);
console.log(`states counted: ${Object.entries(seen).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(', ')}`);
if (churned.tcp / elapsed < 1000) problem(`the churn reached only ${Math.round(churned.tcp / elapsed)} connections a second`);
if (problems.length) {
  console.log(`FAILED: ${problems.length > 20 ? 'more than 20' : problems.length} problems:\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
console.log('soak: clean');
