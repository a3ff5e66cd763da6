#!/usr/bin/env node
// The sockscope command: parses arguments, dispatches to one command, prints. Each command calls
// the library and formats what it returns; argument errors exit 2 with a hint to --help.
import { SockscopeError } from '../errors.js';
import { FilterSyntaxError } from '../filter/index.js';
import { parse, UsageError, type Command } from './args.js';
import { counters } from './counters.js';
import { doctor } from './doctor.js';
import { events } from './events.js';
import { list } from './list.js';
import { overview } from './overview.js';
import { ports } from './ports.js';
import { queues } from './queues.js';
import { serve } from './serve.js';
import { states } from './states.js';
import { top } from './top.js';
import { HELP_HINT, USAGE } from './usage.js';
import { watch } from './watch.js';

const COMMANDS: Record<string, Command> = { states, list, queues, watch, counters, serve, doctor, top, ports, events };
/** Positional arguments each command takes: one, or list's filter words (any number). */
const ARGUMENTS: Record<string, number> = { watch: 1, counters: 1, list: Infinity };

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.resolve) throw new UsageError('-r/--resolve is not supported: sockscope prints addresses and ports as numbers only');
    if (values.json && values.ndjson) throw new UsageError('--json and --ndjson exclude each other');
    const [name, ...rest] = positionals;
    const command = name === undefined ? overview : COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const allowed = ARGUMENTS[name!] ?? 0;
    if (rest.length > allowed) throw new UsageError(`unexpected argument "${rest[allowed]}"`);
    const out = await command(values, ...rest);
    if (out) process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof FilterSyntaxError || err instanceof TypeError || err instanceof RangeError) {
      process.stderr.write(`sockscope: ${err.message}\n${HELP_HINT}\n`);
      return 2;
    }
    const code = err instanceof SockscopeError ? ` (${err.code})` : '';
    process.stderr.write(`sockscope: ${(err as Error).message}${code}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
