#!/usr/bin/env node
// The sockscope command: parses arguments, dispatches to one command, prints. Each command calls
// the library and formats what it returns; argument errors exit 2 with the usage text.
import { SockscopeError } from '../errors.js';
import { parse, UsageError, type Command } from './args.js';
import { counters } from './counters.js';
import { doctor } from './doctor.js';
import { events } from './events.js';
import { list } from './list.js';
import { overview } from './overview.js';
import { queues } from './queues.js';
import { serve } from './serve.js';
import { states } from './states.js';
import { USAGE } from './usage.js';
import { watch } from './watch.js';

const COMMANDS: Record<string, Command> = { states, list, queues, watch, counters, serve, doctor, events };
/** Commands that take one positional argument. */
const WITH_ARGUMENT = ['watch', 'counters'];

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.json && values.ndjson) throw new UsageError('--json and --ndjson exclude each other');
    const [name, ...rest] = positionals;
    const command = name === undefined ? overview : COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const allowed = WITH_ARGUMENT.includes(name!) ? 1 : 0;
    if (rest.length > allowed) throw new UsageError(`unexpected argument "${rest[allowed]}"`);
    const out = await command(values, rest[0]);
    if (out) process.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) {
      process.stderr.write(`sockscope: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    const code = err instanceof SockscopeError ? ` (${err.code})` : '';
    process.stderr.write(`sockscope: ${(err as Error).message}${code}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
