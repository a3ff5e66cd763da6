// Spawns a tool and resolves with all it printed, as the spawned contenders all need.
import { spawn } from 'node:child_process';

/** stdout of `cmd args` as latin1 text (tool output is ASCII); rejects on failure. */
export function spawnText(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('latin1'));
      else reject(new Error(`${cmd} exited ${code}: ${err.trim().slice(0, 200)}`));
    });
  });
}

/** Sum of the numbers in a per-state counts object. */
export const sumCounts = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
