// The `netns` read option: which network namespace to read, other than the caller's.
import { checkKeys, invalid } from './validate.js';

/**
 * A network namespace: a namespace file (`/var/run/netns/NAME` as `ip netns add` makes it, or
 * `/proc/PID/ns/net`), or the namespace of a process.
 */
export type Netns = string | { pid: number };

/**
 * Where a read of namespace `netns` looks, for the addon. A process's namespace is read from
 * /proc through `/proc/PID/net` (no privilege beyond reading that process's /proc entries); a
 * namespace file is joined by a short-lived native thread (setns: needs CAP_SYS_ADMIN).
 */
export function netnsRequest(
  netns: unknown,
  source: 'auto' | 'netlink' | 'proc',
  procRoot: string | undefined,
): { procRoot?: string; netns?: string } {
  if (netns === undefined) return {};
  if (procRoot !== undefined) throw new RangeError('netns and procRoot both say where to read: give one of them');
  const what = 'a namespace file path or { pid }';
  if (typeof netns === 'string') {
    if (netns.length === 0) throw invalid(RangeError, what, 'netns', netns);
    return { netns };
  }
  if (netns === null || typeof netns !== 'object' || Array.isArray(netns)) throw invalid(TypeError, what, 'netns', netns);
  checkKeys(netns as Record<string, unknown>, ['pid'], 'netns');
  const { pid } = netns as { pid: unknown };
  if (typeof pid !== 'number') throw invalid(TypeError, 'a number', 'netns.pid', pid);
  if (!Number.isInteger(pid) || pid <= 0) throw invalid(RangeError, 'a positive integer', 'netns.pid', pid);
  // Joining needs CAP_SYS_ADMIN; its /proc/PID/net needs none, so only an explicit netlink request joins.
  return source === 'netlink' ? { netns: `/proc/${pid}/ns/net` } : { procRoot: `/proc/${pid}/net` };
}
