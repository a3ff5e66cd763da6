// TCP sockets of every namespace share the kernel's hash tables, so leftovers of an earlier run
// (TIME_WAIT, orphans, a namespace still being torn down) slow every reader. /proc/slabinfo
// (root only) counts them machine-wide; /proc/net/sockstat would see only our namespace.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const CACHES = ['TCP', 'TCPv6', 'tw_sock_TCP', 'tw_sock_TCPv6', 'request_sock_TCP'];

/** Active objects per TCP slab cache, or null when slabinfo cannot be read. */
export function tcpSlabObjects() {
  let text;
  try {
    text = readFileSync('/proc/slabinfo', 'utf8');
  } catch {
    return null;
  }
  const out = { total: 0 };
  for (const line of text.split('\n')) {
    const [name, active] = line.split(/\s+/);
    if (CACHES.includes(name)) {
      out[name] = Number(active);
      out.total += Number(active);
    }
  }
  return out;
}

/**
 * Waits until at most `threshold` TCP objects are left machine-wide, up to `timeoutMs`.
 * Slab counts include cached free objects of partly used slabs, hence a threshold, not zero.
 * @returns {Promise<{ quiet: boolean, waitedMs: number, objects: object | null }>}
 */
export async function waitForQuietKernel({ threshold = 2000, timeoutMs = 120_000, log = () => {} } = {}) {
  const start = Date.now();
  let objects = tcpSlabObjects();
  let lastLog = 0;
  while (objects && objects.total > threshold && Date.now() - start < timeoutMs) {
    if (Date.now() - lastLog >= 10_000) {
      log(`waiting for ${objects.total} TCP objects left from earlier runs to go (slabinfo)...`);
      lastLog = Date.now();
    }
    await sleep(1000);
    objects = tcpSlabObjects();
  }
  return { quiet: !objects || objects.total <= threshold, waitedMs: Date.now() - start, objects };
}
