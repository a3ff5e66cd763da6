// listenQueues checks its options in TypeScript, sync and async, with one message shape.
import { describe, expect, it } from 'vitest';

import { listenQueues, listenQueuesSync } from '../../src/index.js';

describe('listenQueues options', () => {
  const cases: [unknown, ErrorConstructor, string][] = [
    [{ protocols: ['udp'] }, RangeError, 'Expected one of "tcp", "tcp6" for protocols[0] but received "udp" of type string'],
    [{ synRecv: 'yes' }, TypeError, 'Expected a boolean for synRecv but received "yes" of type string'],
    [{ states: ['LISTEN'] }, TypeError, 'Unknown option "states" for listenQueuesSync(). Known options: protocols, procRoot, source, synRecv, unix'],
    [{ procRoot: 1 }, TypeError, 'Expected a string for procRoot but received 1 of type number'],
    [{ source: 'kernel' }, RangeError, 'Expected one of "auto", "netlink", "proc" for source but received "kernel" of type string'],
  ];
  for (const [options, Kind, message] of cases) {
    it(`rejects ${JSON.stringify(options)} with a ${Kind.name}`, async () => {
      expect(() => listenQueuesSync(options as never)).toThrow(new Kind(message));
      await expect(listenQueues(options as never)).rejects.toThrow(new Kind(message.replace('listenQueuesSync()', 'listenQueues()')));
    });
  }
});
