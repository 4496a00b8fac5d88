// Messages between the main thread and scan workers.
import type { Finding, SkippedFile } from '../types.js';

export type WorkerRequest =
  | { id: number; kind: 'files'; root: string; files: string[]; maxSize: number }
  | { id: number; kind: 'git'; root: string; commits: string[]; maxSize: number };

export type WorkerResponse =
  | { id: number; kind: 'files'; findings: Finding[]; skipped: SkippedFile[]; bytes: number; files: number }
  | { id: number; kind: 'git'; findings: Finding[]; skipped: SkippedFile[]; bytes: number; commits: number }
  | { id: number; kind: 'progress'; commits: number }
  | { id: number; kind: 'error'; message: string; code?: string | undefined };
