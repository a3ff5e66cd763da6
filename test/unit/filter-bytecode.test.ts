import { describe, expect, it } from 'vitest';
import { BC, compileBytecode } from '../../src/filter/bytecode.js';
import { evaluate, evaluateKernel, type SocketFields } from '../../src/filter/evaluate.js';
import { parseIPv4, parseIPv6 } from '../../src/filter/host.js';
import { parseFilter } from '../../src/filter/parse.js';

// --- An independent model of the kernel (net/ipv4/inet_diag.c), ported op by op. ---

const AF_INET = 2;
const AF_INET6 = 10;
const u16 = (bc: Uint8Array, at: number) => new DataView(bc.buffer, bc.byteOffset).getUint16(at, true);
const i32 = (bc: Uint8Array, at: number) => new DataView(bc.buffer, bc.byteOffset).getInt32(at, true);
const be32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, false);

/** valid_cc(): `cc` bytes from the end is an op boundary reached by following `yes` from the start. */
function validCc(bc: Uint8Array, len: number, cc: number): boolean {
  let at = 0;
  while (len >= 0) {
    if (cc > len) return false;
    if (cc === len) return true;
    const yes = bc[at + 1]!;
    if (yes < 4 || yes & 3) return false;
    len -= yes;
    at += yes;
  }
  return false;
}

/** inet_diag_bc_audit(): null when the kernel accepts the bytecode, else why it answers EINVAL. */
function audit(bc: Uint8Array): string | null {
  if (bc.length < 4) return 'shorter than one op';
  let at = 0;
  let len = bc.length;
  while (len > 0) {
    let minLen = 4;
    const code = bc[at]!;
    switch (code) {
      case BC.S_COND:
      case BC.D_COND: {
        minLen += 8;
        if (len < minLen) return `hostcond at ${at} truncated`;
        const addrLen = ({ 0: 0, [AF_INET]: 4, [AF_INET6]: 16 } as Record<number, number>)[bc[at + 4]!];
        if (addrLen === undefined) return `bad family at ${at}`;
        minLen += addrLen;
        if (len < minLen) return `address at ${at} truncated`;
        if (bc[at + 5]! > 8 * addrLen) return `prefix too long at ${at}`;
        break;
      }
      case BC.S_GE:
      case BC.S_LE:
      case BC.D_GE:
      case BC.D_LE:
        minLen += 4;
        if (len < minLen) return `port op at ${at} truncated`;
        break;
      case BC.AUTO:
      case BC.JMP:
      case BC.NOP:
        break;
      default:
        return `unknown code ${code} at ${at}`;
    }
    if (code !== BC.NOP) {
      const no = u16(bc, at + 2);
      if (no < minLen || no > len + 4 || no & 3) return `bad no ${no} at ${at}`;
      if (no < len && !validCc(bc, bc.length, len - no)) return `no ${no} at ${at} lands inside an op`;
    }
    const yes = bc[at + 1]!;
    if (yes < minLen || yes > len + 4 || yes & 3) return `bad yes ${yes} at ${at}`;
    at += yes;
    len -= yes;
  }
  return len === 0 ? null : 'runs past the end';
}

interface Entry {
  family: number;
  saddr: Uint8Array;
  daddr: Uint8Array;
  sport: number;
  dport: number;
}

/** bitstring_match(): 32-bit words, then a masked last word. */
function bitstringMatch(a1: Uint8Array, a2: Uint8Array, bits: number): boolean {
  const words = bits >> 5;
  for (let i = 0; i < words * 4; i++) if (a1[i] !== a2[i]) return false;
  bits &= 0x1f;
  if (bits) {
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    if (((be32(a1, words * 4) ^ be32(a2, words * 4)) & mask) >>> 0) return false;
  }
  return true;
}

/** inet_diag_bc_run(): true when the socket is dumped. */
function run(bc: Uint8Array, entry: Entry): boolean {
  let at = 0;
  let len = bc.length;
  for (let steps = 0; len > 0; steps++) {
    if (steps > bc.length) throw new Error('loops');
    let yes = true;
    const code = bc[at]!;
    switch (code) {
      case BC.NOP:
        break;
      case BC.JMP:
        yes = false;
        break;
      case BC.S_GE:
        yes = entry.sport >= u16(bc, at + 6);
        break;
      case BC.S_LE:
        yes = entry.sport <= u16(bc, at + 6);
        break;
      case BC.D_GE:
        yes = entry.dport >= u16(bc, at + 6);
        break;
      case BC.D_LE:
        yes = entry.dport <= u16(bc, at + 6);
        break;
      case BC.S_COND:
      case BC.D_COND: {
        const family = bc[at + 4]!;
        const prefixLen = bc[at + 5]!;
        const port = i32(bc, at + 8);
        const condAddr = bc.subarray(at + 12);
        if (port !== -1 && port !== (code === BC.S_COND ? entry.sport : entry.dport)) {
          yes = false;
          break;
        }
        const addr = code === BC.S_COND ? entry.saddr : entry.daddr;
        if (family !== 0 && family !== entry.family) {
          if (entry.family === AF_INET6 && family === AF_INET) {
            const mapped = be32(addr, 0) === 0 && be32(addr, 4) === 0 && be32(addr, 8) === 0xffff;
            if (mapped && bitstringMatch(addr.subarray(12), condAddr, prefixLen)) break;
          }
          yes = false;
          break;
        }
        if (prefixLen === 0) break;
        if (bitstringMatch(addr, condAddr, prefixLen)) break;
        yes = false;
        break;
      }
      default:
        throw new Error(`code ${code}`);
    }
    const step = yes ? bc[at + 1]! : u16(bc, at + 2);
    len -= step;
    at += step;
  }
  return len === 0;
}

// --- Random expressions and rows. ---

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PORTS = [0, 1, 22, 80, 443, 1023, 1024, 8080, 65535];
const V4 = ['10.1.2.3', '10.0.0.1', '127.0.0.1', '0.0.0.0', '11.0.0.1', '10.1.3.255', '192.168.1.1'];
const V6 = ['::1', '::', '::ffff:10.1.2.3', '::ffff:127.0.0.1', '::ffff:0.0.0.0', 'fe80::1', 'fec0::1', '2001:db8::1', '2001:db8:8000::1', 'a00::1', '7f00:1::'];
const HOSTS = ['10.0.0.0/8', '10.1.2.0/23', '127.0.0.1', '0.0.0.0', '0.0.0.0/0', '0/8', '192.168.1.1/31', '*', 'any',
  '[::1]', '[::]', '[::]/0', '[fe80::]/10', '[::ffff:10.0.0.0]/104', '[2001:db8::]/33', '[::ffff:127.0.0.1]', '[a00::]/8'];
const OPS = ['=', '==', 'eq', '!=', 'ne', 'neq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', ''];

function randomExpression(next: () => number, depth: number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const r = next();
  if (depth <= 0 || r < 0.35) {
    if (next() < 0.5) return `${pick(['sport', 'dport'])} ${pick(OPS)} :${pick(PORTS)}`.replace('  ', ' ');
    const port = next() < 0.6 ? '' : `:${pick(PORTS)}`;
    const hostWord = pick(HOSTS);
    return `${pick(['src', 'dst'])} ${hostWord === '*' || hostWord === 'any' ? `*${port}` : hostWord + port}`;
  }
  if (r < 0.5) return `not ${randomExpression(next, depth - 1)}`;
  const op = pick(['and', 'or', '&&', '||', '']);
  return `( ${randomExpression(next, depth - 1)} ${op} ${randomExpression(next, depth - 1)} )`.replace('  ', ' ');
}

interface Row {
  fields: SocketFields;
  entry: Entry;
}

function randomRow(next: () => number): Row {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const v4 = next() < 0.5;
  const address = (): Uint8Array => (v4 ? parseIPv4(pick(V4))! : parseIPv6(pick(V6))!);
  const port = (): number => (next() < 0.7 ? pick(PORTS) : Math.floor(next() * 65536));
  const [saddr, daddr, sport, dport] = [address(), address(), port(), port()];
  const slot = (a: Uint8Array) => {
    const column = new Uint8Array(32).fill(0xee);
    column.fill(0, 16);
    column.set(a, 16);
    return column;
  };
  return {
    fields: { family: v4 ? 4 : 6, local: slot(saddr), localOffset: 16, remote: slot(daddr), remoteOffset: 16, localPort: sport, remotePort: dport, state: 1 },
    entry: { family: v4 ? AF_INET : AF_INET6, saddr, daddr, sport, dport },
  };
}

// --- Tests. ---

const compile = (text: string) => compileBytecode(parseFilter(text).expression!);
const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));

describe('compileBytecode: layout', () => {
  it('puts a port comparison and its port in two ops', () => {
    expect(hex(compile('sport >= 1024').bytecode)).toBe('02080c00' + '00000004');
    expect(hex(compile('dport <= :80').bytecode)).toBe('05080c00' + '00005000');
  });

  it('writes a hostcond with family, prefix, port and address', () => {
    expect(hex(compile('dst 10.0.0.0/8').bytecode)).toBe('08101400' + '02080000' + 'ffffffff' + '0a000000');
    expect(hex(compile('src [::1]:22').bytecode)).toBe('071c2000' + '0a800000' + '16000000' + '00'.repeat(15) + '01');
    expect(hex(compile('dport = :443').bytecode)).toBe('080c1000' + '00000000' + 'bb010000');
  });

  it('lays out or, and, not as ss does', () => {
    // or: A, JMP over B to the end, B (A's false exit lands on B)
    expect(hex(compile('sport >= 1 or sport >= 2').bytecode)).toBe('02080c00' + '00000100' + '01040c00' + '02080c00' + '00000200');
    // and: A's false exit moved past B
    expect(hex(compile('sport >= 1 and sport >= 2').bytecode)).toBe('02081400' + '00000100' + '02080c00' + '00000200');
    // not: A, then a JMP to the false exit
    expect(hex(compile('not sport >= 1').bytecode)).toBe('02080c00' + '00000100' + '01040800');
    // `<` is not `>=`
    expect(hex(compile('sport < 1').bytecode)).toBe(hex(compile('not sport >= 1').bytecode));
  });

  it('says when ss-exact results need the userspace pass too', () => {
    expect(compile('dst 10.0.0.0/8').userspace).toBe(false);
    expect(compile('not dst 10.0.0.0/8').userspace).toBe(true);
    expect(compile('not not dst 10.0.0.0/8').userspace).toBe(false);
    expect(compile('not dport = :443').userspace).toBe(false);
    expect(compile('not dst *:443').userspace).toBe(false);
    expect(compile('sport < 1024 and not ( src [::1] or dport > 5 )').userspace).toBe(true);
  });

  it('gives up on bytecode longer than 16-bit offsets reach', () => {
    const many = Array.from({ length: 2400 }, (_, i) => `src [2001:db8::${i.toString(16)}]`).join(' or ');
    expect(compile(many)).toEqual({ bytecode: null, userspace: true });
  });
});

describe('compileBytecode: against a model of the kernel', () => {
  const next = rng(29);
  const rows = Array.from({ length: 120 }, () => randomRow(next));
  const expressions = Array.from({ length: 1500 }, () => randomExpression(next, 4));

  it('passes the kernel audit, and runs as the evaluator on every row', () => {
    let accepted = 0;
    for (const text of expressions) {
      const node = parseFilter(text).expression!;
      const { bytecode, userspace } = compileBytecode(node);
      expect(bytecode, text).not.toBeNull();
      expect([text, audit(bytecode!)]).toEqual([text, null]);
      for (const { fields, entry } of rows) {
        const kernel = run(bytecode!, entry);
        if (kernel !== evaluateKernel(node, fields)) expect.fail(`${text} on ${JSON.stringify(entry)}`);
        // Without the userspace pass, the kernel alone must already give ss's answer.
        if (!userspace && kernel !== evaluate(node, fields)) expect.fail(`${text} needs userspace`);
        if (kernel) accepted++;
      }
    }
    // Both answers occur often, so the comparison above is not vacuous.
    const total = expressions.length * rows.length;
    expect(accepted).toBeGreaterThan(total * 0.2);
    expect(accepted).toBeLessThan(total * 0.8);
  });

  it('refuses broken bytecode (the audit model is not a rubber stamp)', () => {
    const good = compile('sport >= 1 or dst 10.0.0.0/8').bytecode!;
    const bad = (edit: (b: Uint8Array) => void) => {
      const copy = good.slice();
      edit(copy);
      return audit(copy);
    };
    expect(audit(good)).toBeNull();
    expect(bad((b) => (b[1] = 6))).toBe('no 12 at 0 lands inside an op');
    expect(bad((b) => (b[9] = 2))).toBe('no 12 at 0 lands inside an op');
    expect(audit(Uint8Array.of(1, 12, 4, 0))).toBe('bad yes 12 at 0');
    expect(audit(Uint8Array.of(1, 8, 4, 0))).toBe('runs past the end');
    expect(audit(Uint8Array.of(0, 4, 0, 0, 1, 2, 8, 0))).toBe('bad yes 2 at 4');
    expect(bad((b) => (b[2] = 6))).toBe('bad no 6 at 0');
    expect(bad((b) => (b[2] = 4))).toBe('bad no 4 at 0');
    expect(bad((b) => (b[2] = 48))).toBe('bad no 48 at 0');
    expect(bad((b) => (b[16] = 9))).toBe('bad family at 12');
    expect(bad((b) => (b[17] = 33))).toBe('prefix too long at 12');
    expect(bad((b) => (b[14] = 36))).toBe('bad no 36 at 12');
    expect(bad((b) => (b[12] = 99))).toBe('unknown code 99 at 12');
    expect(audit(good.subarray(0, 20))).toBe('bad no 20 at 8');
    const hostcond = compile('dst 10.0.0.0/8').bytecode!;
    expect(audit(hostcond.subarray(0, 8))).toBe('hostcond at 0 truncated');
    expect(audit(hostcond.subarray(0, 12))).toBe('address at 0 truncated');
  });
});
