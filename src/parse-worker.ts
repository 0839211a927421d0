import { parentPort, workerData } from 'node:worker_threads';
import { parseShared } from './load-definitions.js';

/** A thread of loadDefinitionsInParallel: parses the batches it claims and sends back the result. */
const { options, files, next } = workerData as {
  options: Parameters<typeof parseShared>[0];
  files: Parameters<typeof parseShared>[1];
  next: Int32Array;
};
parentPort!.postMessage(parseShared(options, files, next));
