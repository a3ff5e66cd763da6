// Whether the netlink source serves reads here: tests of what only netlink knows (a listener's
// backlog) run only then. A read that falls back to /proc says so in its `source`.
import { snapshotSync } from '../../src/index.js';

function probe(): boolean {
  try {
    return snapshotSync({ source: 'netlink', states: ['LISTEN'] }).source === 'netlink';
  } catch {
    return false;
  }
}

export const netlinkReady = probe();
