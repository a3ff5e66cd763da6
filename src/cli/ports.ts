// `sockscope ports`: how much of the ephemeral port range each destination holds.
import { portPressure, type PortPressureResult } from '../port-pressure.js';
import { positive, readOptions, tcpProtocols, type Flags } from './args.js';

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

export function formatPorts(r: PortPressureResult): string {
  const head = `Ephemeral ports ${r.range[0]}-${r.range[1]}: ${r.rangeSize} usable (${r.reserved} reserved)`;
  if (r.length === 0) return `${head}\nNo connection holds a port of the range.`;
  const header = ['Local Address', 'Peer Address:Port', 'Used', 'Estab', 'TimeWait', 'Other', 'Of range'];
  const rows = r.map((p) => [p.localAddress, `${p.remoteAddress}:${p.remotePort}`, String(p.used), String(p.established), String(p.timeWait), String(p.other), percent(p.fraction)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [head, line(header), ...rows.map(line)].join('\n');
}

export async function ports(f: Flags): Promise<string> {
  const { localPort: _ignored, ...read } = readOptions(f, tcpProtocols(f));
  const r = await portPressure({ ...read, top: positive(f.top, '--top', 20, true) });
  return f.json ? JSON.stringify({ range: r.range, reserved: r.reserved, rangeSize: r.rangeSize, destinations: [...r] }, null, 2) : formatPorts(r);
}
