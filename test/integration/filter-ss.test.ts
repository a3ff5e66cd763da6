// The filter language against ss itself: the same expressions, the same sockets, the same rows.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileBytecode } from '../../src/filter/bytecode.js';
import { evaluateKernel, matches, type SocketFields } from '../../src/filter/evaluate.js';
import { parseIPv4, parseIPv6 } from '../../src/filter/host.js';
import { parseFilter } from '../../src/filter/parse.js';

const ss = spawnSync('ss', ['-V'], { encoding: 'utf8' });
const haveSs = ss.status === 0;
if (!haveSs) console.warn('filter-ss.test.ts: skipped, no ss on PATH');

interface Row {
  fields: SocketFields;
  key: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const keyOf = (family: number, local: Uint8Array, lport: number, remote: Uint8Array, rport: number) =>
  `${family} ${hex(local)}:${lport} ${hex(remote)}:${rport}`;

/** An address of /proc/net/tcp{,6}: 32-bit words printed in host (little-endian) order. */
function procAddress(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let word = 0; word < text.length / 8; word++) {
    for (let i = 0; i < 4; i++) out[word * 4 + i] = parseInt(text.slice(word * 8 + (3 - i) * 2, word * 8 + (3 - i) * 2 + 2), 16);
  }
  return out;
}

function procRows(protocol: 'tcp' | 'udp' = 'tcp'): Row[] {
  const rows: Row[] = [];
  for (const [file, family] of [[`/proc/net/${protocol}`, 4], [`/proc/net/${protocol}6`, 6]] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      const [la, lp] = f[1]!.split(':');
      const [ra, rp] = f[2]!.split(':');
      const local = procAddress(la!);
      const remote = procAddress(ra!);
      const [localPort, remotePort] = [parseInt(lp!, 16), parseInt(rp!, 16)];
      const slot = (a: Uint8Array) => Uint8Array.from([...a, ...new Uint8Array(16 - a.length)]);
      rows.push({
        fields: { family, local: slot(local), localOffset: 0, remote: slot(remote), remoteOffset: 0, localPort, remotePort, state: parseInt(f[3]!, 16) },
        key: keyOf(family, local, localPort, remote, remotePort),
      });
    }
  }
  return rows;
}

/** `127.0.0.1:80`, `[::1]:22`, `0.0.0.0:*` as ss prints them; `*:80` is a dual-stack `[::]`. */
function ssEndpoint(text: string): [Uint8Array, number, number] {
  const colon = text.lastIndexOf(':');
  const port = text.slice(colon + 1) === '*' ? 0 : Number(text.slice(colon + 1));
  const address = text.slice(0, colon);
  if (address === '*') return [new Uint8Array(16), port, 6];
  if (address.startsWith('[')) return [parseIPv6(address.slice(1, address.indexOf(']')).split('%')[0]!)!, port, 6];
  return [parseIPv4(address.split('%')[0]!)!, port, 4];
}

function ssRows(words: string[], options = '-tanH'): string[] {
  const r = spawnSync('ss', [options, ...words], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ss ${words.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((line) => {
    // The last two columns; the State column is left out when one state is selected.
    const f = line.trim().split(/\s+/);
    const [local, lport, family] = ssEndpoint(f[f.length - 2]!);
    const [remote, rport] = ssEndpoint(f[f.length - 1]!);
    return keyOf(family, local, lport, remote, rport);
  });
}

// A sock_diag dump of TCP sockets with our bytecode attached, made by python3's netlink sockets so
// that the real kernel audits and runs the program (sockscope's addon compiles only port filters).
const KERNEL_DUMP = `
import socket, struct, sys, json
bc = bytes.fromhex(sys.argv[1])
rows = []
for family in (2, 10):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
    req = struct.pack('=BBBBI', family, 6, 0, 0, 0xffffffff) + bytes(48)
    attr = struct.pack('=HH', 4 + len(bc), 1) + bc
    body = req + attr + bytes(-len(attr) % 4)
    s.send(struct.pack('=IHHII', 16 + len(body), 20, 0x301, 1, 0) + body)
    done = False
    while not done:
        data = s.recv(1 << 20)
        at = 0
        while at < len(data):
            length, kind = struct.unpack_from('=IH', data, at)
            if kind == 3:
                done = True
                break
            if kind == 2:
                print(json.dumps({'errno': -struct.unpack_from('=i', data, at + 16)[0]}))
                sys.exit(0)
            fam = data[at + 16]
            sport, dport = struct.unpack_from('>HH', data, at + 20)
            n = 4 if fam == 2 else 16
            rows.append([fam, data[at + 24:at + 24 + n].hex(), sport, data[at + 40:at + 40 + n].hex(), dport])
            at += (length + 3) & ~3
    s.close()
print(json.dumps(rows))
`;
const python = spawnSync('python3', ['-c', 'import socket; socket.AF_NETLINK'], { encoding: 'utf8' });
const havePython = python.status === 0;
if (!havePython) console.warn('filter-ss.test.ts: kernel bytecode checks skipped, no python3 with netlink sockets');

function kernelRows(bytecode: Uint8Array): string[] {
  const r = spawnSync('python3', ['-c', KERNEL_DUMP, hex(bytecode)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as [number, string, number, string, number][] | { errno: number };
  if (!Array.isArray(out)) throw new Error(`the kernel refused the bytecode ${hex(bytecode)}: errno ${out.errno}`);
  return out.map(([fam, src, sport, dst, dport]) =>
    keyOf(fam === 2 ? 4 : 6, Buffer.from(src, 'hex'), sport, Buffer.from(dst, 'hex'), dport));
}

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
const ports: Record<string, number> = {};

async function listen(name: string, host: string, ipv6Only = false, allowHalfOpen = false): Promise<void> {
  const server = net.createServer({ allowHalfOpen }, (s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen({ port: 0, host, ipv6Only }, resolve));
  servers.push(server);
  ports[name] = (server.address() as net.AddressInfo).port;
}

async function connect(port: number, host: string): Promise<net.Socket> {
  const socket = net.connect({ port, host });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  sockets.push(socket);
  return socket;
}

const datagrams: dgram.Socket[] = [];

async function bindUdp(name: string, type: 'udp4' | 'udp6', host: string, peer?: number): Promise<void> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  if (peer !== undefined) await new Promise<void>((resolve) => socket.connect(peer, host, resolve));
  datagrams.push(socket);
  ports[name] = socket.address().port;
}

describe.skipIf(!haveSs)('filter: the same rows as ss -tanH EXPR', () => {
  beforeAll(async () => {
    await listen('A', '127.0.0.1');
    await listen('B', '::1');
    await listen('C', '::'); // dual-stack: an IPv4 client shows up as ::ffff:127.0.0.1
    await listen('D', '0.0.0.0');
    await listen('E', '::', true);
    await connect(ports.A!, '127.0.0.1');
    await connect(ports.B!, '::1');
    await connect(ports.C!, '127.0.0.1');
    await connect(ports.C!, '::1');
    await connect(ports.D!, '127.0.0.1');
    await connect(ports.E!, '::1');
    await listen('F', '127.0.0.1', false, true);
    (await connect(ports.F!, '127.0.0.1')).end(); // FIN-WAIT-2 here, CLOSE-WAIT on the server end
    await listen('G', '::1');
    (await connect(ports.G!, '::1')).end(); // the server closes too: TIME-WAIT here
    await bindUdp('U', 'udp4', '127.0.0.1');
    await bindUdp('V', 'udp6', '::1');
    await bindUdp('W', 'udp4', '127.0.0.1', ports.U);
    await new Promise((r) => setTimeout(r, 200)); // let the server ends accept and the closes settle
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const d of datagrams) d.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  // First, while the TIME-WAIT socket is young: it expires 60 s after it was made, and under a
  // sanitizer this file takes longer than that.
  it('sees the sockets it opened, in the states it meant', () => {
    expect(ssRows([]).filter((k) => k.includes(`:${ports.C}`)).length).toBe(5);
    const states = (t: string) => procRows().filter((r) => r.key.includes(`:${ports[t]}`)).map((r) => r.fields.state).sort((a, b) => a - b);
    expect(states('F')).toEqual([5, 8, 10]); // FIN-WAIT-2, CLOSE-WAIT, LISTEN
    expect(states('G')).toEqual([6, 10]); // TIME-WAIT, LISTEN
    expect(procRows('udp').filter((r) => mine(r.key)).map((r) => r.fields.state).sort((a, b) => a - b)).toEqual([1, 7, 7]);
  });

  const expressions = [
    'sport = :A', 'dport = :A', 'sport == A', 'sport eq :B', 'dport :C',
    'sport != :A', 'sport ne :B', 'sport neq :C',
    'dport > :A', 'dport gt A', 'dport < :B', 'dport lt B', 'sport >= :C', 'sport ge C', 'sport <= :D', 'sport le D',
    'src 127.0.0.1', 'dst 127.0.0.1', 'src 127.0.0.0/8', 'dst 127/8', 'src 127.0.0.1:A', 'dst 127.0.0.1:A',
    'src [::1]', 'dst [::1]', 'src [::1]:B', 'dst [::1]:C', 'src [::ffff:127.0.0.1]', 'dst [::ffff:127.0.0.0/104]',
    'src [::]', 'src [::/0]', 'src 0.0.0.0', 'src 0.0.0.0/0', 'dst *:A', 'src *:C', 'dst any',
    'not src 0.0.0.0', 'not dst [::]', 'not src [::]', '! dst 0.0.0.0', '! src [::1]', 'not dst 127.0.0.1',
    '( dport = :A or sport = :A )', '( dport = :A || sport = :A )', 'sport = :A or sport = :B and dport = :C',
    'sport = :A or ( sport = :B and dport = :C )', 'src 127.0.0.1 dport = :A', 'not ( sport = :A or sport = :B )',
    'not sport = :A and not sport = :B', 'sport > :A & sport < :E', 'dst [::1] | dst 127.0.0.1:D',
    'state established', 'state listening', 'exclude listening', 'state connected', 'state synchronized',
    'state bucket', 'state big', 'state all', 'state established state listening', 'exclude established exclude closed', 'exclude all',
    'state established ( dport = :A or sport = :A )', 'state listening src [::]', 'exclude listening not dst 127.0.0.1',
    'state fin-wait-2', 'state close-wait', 'state time-wait', 'state time-wait dst [::1]', 'exclude time-wait dport = :G',
    'sport = :F or dport = :F', 'exclude connected', 'state synchronized exclude established',
  ];

  /**
   * [actual, expected], read twice when they differ: the two reads are apart, and a socket may
   * change between them (a TIME-WAIT expiring); a filter that is wrong differs both times.
   */
  const expectSameTwice = (read: () => [string[], string[]]) => {
    const first = read();
    const [actual, expected] = JSON.stringify(first[0]) === JSON.stringify(first[1]) ? first : read();
    expect(actual).toEqual(expected);
  };
  const withPorts = (template: string) => template.replace(/\b[A-Z]\b/g, (name) => String(ports[name]));
  const mine = (key: string) => {
    const ours = new Set(Object.values(ports));
    return key.split(' ').slice(1).some((end) => ours.has(Number(end.slice(end.lastIndexOf(':') + 1))));
  };

  it.each(expressions)('%s', (template) => {
    const text = withPorts(template);
    const filter = parseFilter(text);
    expectSameTwice(() => [
      procRows().filter((r) => mine(r.key) && matches(filter, r.fields)).map((r) => r.key).sort(),
      ssRows(text.split(' ')).filter(mine).sort(),
    ]);
  });

  describe.skipIf(!havePython)('the kernel runs the bytecode as evaluateKernel() reads the expression', () => {
    it.each(expressions.filter((e) => !/^(state|excl)/.test(e)))('%s', (template) => {
      const node = parseFilter(withPorts(template)).expression!;
      const { bytecode } = compileBytecode(node);
      expectSameTwice(() => [
        kernelRows(bytecode!).filter(mine).sort(),
        procRows().filter((r) => mine(r.key) && evaluateKernel(node, r.fields)).map((r) => r.key).sort(),
      ]);
    });
  });

  const udpExpressions = [
    'sport = :U', 'dport = :U', 'src 127.0.0.1', 'src [::1]', 'not src [::1]', 'dst 0.0.0.0', 'not dst 0.0.0.0',
    'state established', 'state closed', 'exclude established sport >= U', 'dst 127.0.0.1:U or sport = :V',
  ];

  it.each(udpExpressions)('-u %s', (template) => {
    const text = withPorts(template);
    const filter = parseFilter(text);
    const expected = ssRows(text.split(' '), '-uanH').filter(mine).sort();
    const actual = procRows('udp').filter((r) => mine(r.key) && matches(filter, r.fields)).map((r) => r.key).sort();
    expect(actual).toEqual(expected);
  });

});
