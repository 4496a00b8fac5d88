import { runStorageConformance } from './conformance.js';
import { createMemoryBackend } from './memory.js';

runStorageConformance('memory', async () => createMemoryBackend());
