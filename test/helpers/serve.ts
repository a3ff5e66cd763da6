// `sockscope serve` run as a child: started on a free port, scraped, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';

import { parseExposition } from './metrics.js';
import { CLI } from './netns.js';

export interface Served {
  url: string;
  child: ChildProcess;
  /** stderr lines after the "serving" one. */
  log: string[];
  stop(): Promise<number | null>;
}

/** Starts `sockscope serve --port 0 ARGS` and waits for the line that says where it serves. */
export async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = readline.createInterface({ input: child.stderr! });
  const log: string[] = [];
  const [first] = (await once(lines, 'line')) as [string];
  lines.on('line', (l) => log.push(l));
  const url = /^sockscope: serving metrics on (http:\S+)$/.exec(first)?.[1];
  if (!url) throw new Error(`serve said: ${first}`);
  return {
    url,
    child,
    log,
    async stop() {
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      return ((await exit) as [number | null])[0];
    },
  };
}

export async function scrape(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), metrics: parseExposition(await res.text()) };
}
