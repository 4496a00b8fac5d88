// Stdin source: the whole input is one fragment.
import type { Readable } from 'node:stream';

export async function readStdin(stream: Readable, maxSize: number): Promise<{ text: string; size: number; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (size + b.length > maxSize) {
      chunks.push(b.subarray(0, maxSize - size));
      size = maxSize;
      truncated = true;
      break;
    }
    chunks.push(b);
    size += b.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), size, truncated };
}
