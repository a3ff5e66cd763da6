// The TypeScript column types against the schema the addon was built with
// (native/table/columns.h): same names, same order, same typed arrays, and a real read
// returns exactly those columns.
import { describe, expect, it } from 'vitest';

import { binding } from '../../src/binding.js';
import { BASE_COLUMNS, INFO_FIELDS, MEMORY_FIELDS } from '../../src/native-types.js';

const recorded = {
  source: 'proc', tables: 0xf, optionalTables: 0, states: 0x1ffe, localPorts: [], remotePorts: [],
  procRoot: new URL('../fixtures/proc/recorded', import.meta.url).pathname,
  info: false, memory: false, cookie: false, partitions: 0,
} as const;

describe('column schema', () => {
  const schema = binding().schema;

  it('base columns: BASE_COLUMNS names and typed arrays, in the native order', () => {
    expect(schema.base).toEqual(BASE_COLUMNS.map(([name, type]) => ({ name, type })));
  });

  it('tcp_info columns: INFO_FIELDS, each a Float64Array', () => {
    expect(schema.info).toEqual(INFO_FIELDS.map((name) => ({ name, type: 'Float64Array' })));
  });

  it('SK_MEMINFO columns: MEMORY_FIELDS, each a Float64Array', () => {
    expect(schema.memory).toEqual(MEMORY_FIELDS.map((name) => ({ name, type: 'Float64Array' })));
  });

  it('a read returns the base columns in order, each of its typed array', () => {
    const table = binding().read({ ...recorded, source: 'proc' });
    expect(table.length).toBeGreaterThan(0);
    expect(Object.keys(table.columns)).toEqual(BASE_COLUMNS.map(([name]) => name));
    for (const [name, type] of BASE_COLUMNS) expect(table.columns[name].constructor.name, name).toBe(type);
  });

  it('a netlink read with info and memory returns their columns in the schema order', () => {
    const table = binding().read({ ...recorded, source: 'netlink', tables: 1, info: true, memory: true });
    expect(Object.keys(table.columns.info!)).toEqual([...INFO_FIELDS, 'congestion', 'congestionNames']);
    expect(Object.keys(table.columns.memory!)).toEqual([...MEMORY_FIELDS]);
  });
});
