// Every input kept under test/fixtures/regressions/<fuzz target>/ (what `npm run fuzz` found, and
// hand-made hostile tables), replayed through the public API: a table or a SockscopeError with a
// code, never a crash; and the rows and the counts of one input always agree.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { countStates, countStatesSync, snapshot, snapshotSync, SockscopeError } from '../../src/index.js';
import { procDir } from '../helpers/proc-dir.js';

const ROOT = path.join(__dirname, '../fixtures/regressions');
const PROC_CODES = ['ERR_PROC_PARSE', 'ERR_UNKNOWN_STATE'];
const PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;

type Outcome = { rows: number; states: number[] } | { code: string; message: string };

async function outcome(read: () => unknown): Promise<Outcome> {
  try {
    const r = (await read()) as { length?: number; columns?: { state: Uint8Array }; total?: number };
    return r.columns ? { rows: r.length!, states: [...r.columns.state] } : { rows: r.total!, states: [] };
  } catch (err) {
    expect(err).toBeInstanceOf(SockscopeError);
    const { code, message } = err as SockscopeError;
    expect(PROC_CODES).toContain(code);
    return { code, message };
  }
}

// The fuzz target parses its input as each of the four tables; so does this replay.
function replayProc(input: Buffer) {
  const lines = input.filter((b) => b === 0x0a).length;
  return Promise.all(PROTOCOLS.map(async (p) => {
    const opts = { procRoot: procDir({ [p]: input }), protocols: [p] };
    const [table, tableAsync, count, countAsync] = await Promise.all([
      outcome(() => snapshotSync(opts)), outcome(() => snapshot(opts)),
      outcome(() => countStatesSync(opts)), outcome(() => countStates(opts)),
    ]);
    expect(tableAsync).toEqual(table);
    expect(countAsync).toEqual(count);
    if ('code' in table) return expect(count).toEqual(table);
    expect(table.rows).toBeLessThanOrEqual(Math.max(0, lines - 1));
    expect(count).toMatchObject({ rows: table.rows });  // the per-state split is the fuzzer's check
  }));
}

// One replay per fuzz target; a new target adds its line here and its directory of inputs.
const REPLAYS: Record<string, (input: Buffer) => Promise<unknown>> = { fuzz_proc: replayProc };

describe.each(Object.entries(REPLAYS))('regression inputs of %s', (target, replay) => {
  const dir = path.join(ROOT, target);
  const files = fs.readdirSync(dir).sort();
  it('has inputs to replay', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s: a table or an error with a code', async (file) => {
    expect.hasAssertions();
    await replay(fs.readFileSync(path.join(dir, file)));
  });
});
