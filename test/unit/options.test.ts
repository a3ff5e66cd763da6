// Options are checked in TypeScript, before anything native runs, with one message shape.
import { describe, expect, it } from 'vitest';

import { countStates, snapshotSync } from '../../src/index.js';

describe('option validation', () => {
  const cases: [string, unknown, ErrorConstructor, string][] = [
    ['options of the wrong type', 'tcp', TypeError, 'Expected an object for options but received "tcp" of type string'],
    ['protocols not an array', { protocols: 'tcp' }, TypeError, 'Expected an array of "tcp", "tcp6", "udp", "udp6" for protocols but received "tcp" of type string'],
    ['an empty protocol list', { protocols: [] }, RangeError, 'Expected an array of "tcp", "tcp6", "udp", "udp6" for protocols but received [] of type object'],
    ['an unknown protocol', { protocols: ['tcp', 'sctp'] }, RangeError, 'Expected one of "tcp", "tcp6", "udp", "udp6" for protocols[1] but received "sctp" of type string'],
    ['a state of the wrong type', { states: [10] }, TypeError, 'for states[0] but received 10 of type number'],
    ['an unknown state', { states: ['ESTAB'] }, RangeError, 'for states[0] but received "ESTAB" of type string'],
    ['procRoot not a string', { procRoot: 5 }, TypeError, 'Expected a string for procRoot but received 5 of type number'],
    ['an empty procRoot', { procRoot: '' }, RangeError, 'Expected a non-empty string for procRoot but received "" of type string'],
    ['an unknown source', { source: 'kernel' }, RangeError, 'Expected one of "auto", "netlink", "proc" for source but received "kernel" of type string'],
    ['procRoot with source netlink', { procRoot: '/proc/net', source: 'netlink' }, RangeError, 'procRoot reads /proc text tables, so it cannot be combined with source "netlink"'],
    ['a negative port', { localPort: -1 }, RangeError, 'Expected a port number (0-65535) for localPort but received -1 of type number'],
    ['a fractional port', { remotePort: 80.5 }, RangeError, 'Expected a port number (0-65535) for remotePort but received 80.5 of type number'],
    ['a port as a string', { localPort: '443' }, TypeError, 'Expected a port, a [low, high] range or a non-empty list of them for localPort but received "443" of type string'],
    ['a reversed range', { localPort: [9000, 8000] }, RangeError, 'Expected a range [low, high] with low <= high for localPort but received [9000,8000] of type object'],
    ['a bad range in a list', { localPort: [22, [1, 2, 3]] }, TypeError, 'Expected a port or a [low, high] range for localPort[1] but received [1,2,3] of type object'],
    ['a misspelled option', { protocol: ['tcp'] }, TypeError, 'Unknown option "protocol" for snapshotSync(); did you mean "protocols"?'],
    ['partitions as a string', { partitions: '2' }, TypeError, "Expected 'auto' or an integer from 1 to 64 for partitions but received \"2\" of type string"],
    ['zero partitions', { partitions: 0 }, RangeError, "Expected 'auto' or an integer from 1 to 64 for partitions but received 0 of type number"],
    ['too many partitions', { partitions: 65 }, RangeError, "Expected 'auto' or an integer from 1 to 64 for partitions but received 65 of type number"],
    ['fractional partitions', { partitions: 1.5 }, RangeError, "Expected 'auto' or an integer from 1 to 64 for partitions but received 1.5 of type number"],
  ];
  for (const [what, options, Kind, message] of cases) {
    it(`rejects ${what} with a ${Kind.name}`, () => {
      expect(() => snapshotSync(options as never)).toThrow(Kind);
      expect(() => snapshotSync(options as never)).toThrow(message);
    });
  }

  it('rejects before the async read starts', async () => {
    await expect(countStates({ states: ['NOPE' as never] })).rejects.toThrow(RangeError);
  });
});
