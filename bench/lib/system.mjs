// What the results record about the machine they were measured on.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** TCP sockets of the current namespace (in use plus TIME_WAIT, both families), from sockstat. */
export function namespaceTcpCount() {
  const field = (file, re) => Number(re.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  return (
    field('/proc/net/sockstat', /^TCP: inuse (\d+)/m) +
    field('/proc/net/sockstat', /^TCP: .* tw (\d+)/m) +
    field('/proc/net/sockstat6', /^TCP6: inuse (\d+)/m)
  );
}

export function machine() {
  return {
    kernel: os.release(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    node: process.version,
  };
}
