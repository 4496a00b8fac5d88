// A small pool of scan workers. Jobs are handed out one at a time to whichever worker is free, so a
// few huge files do not leave other cores idle.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ScanError } from '../errors.js';
import type { ScanConfig } from '../types.js';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

type Job = Omit<WorkerRequest, 'id'>;
type Done = Exclude<WorkerResponse, { kind: 'progress' } | { kind: 'error' }>;

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

function workerUrl(): URL {
  // Compiled: scan-worker.js beside this file. Under tsx (tests run from src/): scan-worker.ts.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./scan-worker${ext}`, import.meta.url);
}

/** Runs every job on `threads` workers; resolves with results in job order. */
export async function runJobs(
  config: ScanConfig,
  threads: number,
  jobs: Job[],
  onResult: (r: Done) => void,
  onProgress?: (jobIndex: number, commitsDone: number) => void,
): Promise<void> {
  if (jobs.length === 0) return;
  const n = Math.min(threads, jobs.length);
  const workers: Worker[] = [];
  let nextJob = 0;
  let failed: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      const give = (w: Worker) => {
        if (failed || nextJob >= jobs.length) return;
        const id = nextJob++;
        w.postMessage({ ...jobs[id]!, id } as WorkerRequest);
      };
      for (let i = 0; i < n; i++) {
        const w = new Worker(workerUrl(), { workerData: { config } });
        workers.push(w);
        w.on('message', (msg: WorkerResponse) => {
          if (msg.kind === 'progress') {
            onProgress?.(msg.id, msg.commits);
            return;
          }
          if (msg.kind === 'error') {
            failed = msg.code === 'ERR_SCAN_GIT' ? new ScanError('ERR_SCAN_GIT', msg.message) : new Error(msg.message);
            reject(failed);
            return;
          }
          onResult(msg);
          finished++;
          if (finished === jobs.length) resolve();
          else give(w);
        });
        w.on('error', (err) => {
          failed = err;
          reject(err);
        });
        give(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
