// The addon in worker_threads: several workers at once, each loading the built package afresh
// (its own addon instance), while the caller reads on the main thread.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const ENTRY = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));

export interface Workers<T> {
  /** What each worker's body returned, in worker order. */
  answers: Promise<T[]>;
  /** Each worker's exit code, in worker order: 0 once its threads are joined and it unloaded. */
  exitCodes: Promise<number[]>;
}

/**
 * Starts `count` workers, each running `body` (the body of an async function of `m`, the package,
 * and `data`) once, and returns at once: the caller's own reads overlap theirs.
 */
export function startWorkers<T>(count: number, body: string, data: unknown): Workers<T> {
  const workers = Array.from({ length: count }, () => new Worker(ENTRY, { workerData: { body, data } }));
  return {
    answers: Promise.all(workers.map(async (w) => ((await once(w, 'message')) as [T])[0])),
    exitCodes: Promise.all(workers.map(async (w) => ((await once(w, 'exit')) as [number])[0])),
  };
}
