// Worker thread: builds its own scanner from the (plain-data) config, then scans the batches of files
// or commits the main thread sends, posting results back.
import { parentPort, workerData } from 'node:worker_threads';
import { createScanner } from '../engine.js';
import { scanFileList } from '../sources/dir.js';
import { createPatchSink, scanCommits } from '../sources/git.js';
import type { ScanConfig } from '../types.js';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

const data = workerData as { config: ScanConfig };
const scanner = createScanner(data.config);
const sink = createPatchSink();
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  void handle(msg).then(
    (res) => port.postMessage(res),
    (err: unknown) => port.postMessage({ id: msg.id, kind: 'error', message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code } satisfies WorkerResponse),
  );
});

async function handle(msg: WorkerRequest): Promise<WorkerResponse> {
  if (msg.kind === 'files') {
    const r = scanFileList(scanner, msg.root, msg.files, msg.maxSize);
    return { id: msg.id, kind: 'files', ...r };
  }
  const r = await scanCommits(scanner, msg.root, msg.commits, msg.maxSize, (done) => {
    port.postMessage({ id: msg.id, kind: 'progress', commits: done } satisfies WorkerResponse);
  }, sink);
  return { id: msg.id, kind: 'git', findings: r.findings, skipped: r.skipped, bytes: r.bytes, commits: msg.commits.length };
}
