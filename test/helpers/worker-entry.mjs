// A worker thread's script (see workers.ts): loads the built package by its own name, runs the
// body it was given as an async function of `m` (the package) and `data`, and posts the result.
import { parentPort, workerData } from 'node:worker_threads';

const m = await import('sockscope');
const AsyncFunction = (async () => {}).constructor;
const body = new AsyncFunction('m', 'data', workerData.body);
parentPort.postMessage(await body(m, workerData.data));
