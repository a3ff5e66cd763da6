// readTcpCounters and the Prometheus collector refuse a hostile counters file with the documented
// code, ERR_COUNTERS_PARSE, naming file and line (or the counter a file lacks).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { readTcpCounters } from '../../src/index.js';
import { registerSockscopeMetrics } from '../../src/metrics/prometheus.js';
import { procDir } from '../helpers/proc-dir.js';

const NETSTAT = 'TcpExt: ListenOverflows ListenDrops SyncookiesSent\nTcpExt: 7 9 2\n';
const SNMP = 'Tcp: RtoAlgorithm MaxConn RetransSegs OutRsts\nTcp: 1 -1 30 4\n';

describe('readTcpCounters', () => {
  it('reads the five counters from a good pair of files', async () => {
    const dir = procDir({ netstat: NETSTAT, snmp: SNMP });
    expect(await readTcpCounters({ procRoot: dir })).toEqual({
      ListenOverflows: 7, ListenDrops: 9, SyncookiesSent: 2, RetransSegs: 30, OutRsts: 4,
    });
  });

  const hostile: [string, Record<string, string>, string][] = [
    ['a value that is not a number', { netstat: 'TcpExt: ListenOverflows ListenDrops SyncookiesSent\nTcpExt: 7 x9 2\n', snmp: SNMP },
      'netstat:2: TcpExt ListenDrops is not an integer: "x9"'],
    ['fewer values than names', { netstat: NETSTAT, snmp: 'Tcp: RtoAlgorithm MaxConn RetransSegs OutRsts\nTcp: 1 -1 30\n' },
      'snmp:2: Tcp has 4 names but 3 values'],
    ['a line with no group', { netstat: `${NETSTAT}garbage\n`, snmp: SNMP }, 'netstat:3: expected "Group: Name ..." but found "garbage"'],
    ['an empty file', { netstat: '', snmp: SNMP }, 'netstat:1: expected "Group: Name ..." but found the end of the file'],
    ['a file without the counter', { netstat: 'TcpExt: ListenDrops SyncookiesSent\nTcpExt: 9 2\n', snmp: SNMP },
      'netstat has no TcpExt ListenOverflows counter'],
  ];
  for (const [what, contents, message] of hostile) {
    it(`refuses ${what} with ERR_COUNTERS_PARSE`, async () => {
      const dir = procDir(contents);
      await expect(readTcpCounters({ procRoot: dir })).rejects.toMatchObject({
        name: 'SockscopeError', code: 'ERR_COUNTERS_PARSE', message: `${dir}/${message}`,
      });
    });
  }
});

describe('the Prometheus collector on a hostile counters file', () => {
  it('reports the read as failed with ERR_COUNTERS_PARSE and leaves the counters out', async () => {
    const dir = procDir({ netstat: 'TcpExt: ListenOverflows\nTcpExt: 1 2\n', snmp: SNMP });
    const errors: { collector: string; code: unknown; message: string }[] = [];
    const registry = new Registry();
    registerSockscopeMetrics(registry, {
      procRoot: dir,
      onError: (err, collector) => errors.push({ collector, code: (err as { code?: unknown }).code, message: err.message }),
    });
    const text = await registry.metrics();
    expect(errors).toContainEqual({ collector: 'netstat', code: 'ERR_COUNTERS_PARSE', message: `${dir}/netstat:2: TcpExt has 1 names but 2 values` });
    expect(text).toContain('sockscope_scrape_collector_success{collector="netstat"} 0');
    expect(text).not.toMatch(/^sockscope_netstat_TcpExt_ListenOverflows_total /m);
  });
});
