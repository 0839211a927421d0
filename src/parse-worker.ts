import { parentPort, workerData } from 'node:worker_threads';
import { parseInterviews } from './load-definitions.js';

/** A thread of loadDefinitionsInParallel: parses its share of the files and sends back the result. */
const { options, files } = workerData as { options: Parameters<typeof parseInterviews>[0]; files: Parameters<typeof parseInterviews>[1] };
parentPort!.postMessage(parseInterviews(options, files));
