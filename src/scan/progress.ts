// A one-line progress bar on stderr, only when stderr is a terminal and not in CI.
import type { Progress } from './run.js';

export interface ProgressBar {
  update(p: Progress): void;
  done(): void;
}

export function progressEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.CI && env.TERM !== 'dumb';
}

export function createProgressBar(stream: NodeJS.WriteStream, enabled: boolean): ProgressBar {
  let last = 0;
  let shown = false;
  return {
    update(p) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      const width = 30;
      const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(frac * width);
      const mb = p.bytes > 0 ? ` ${(p.bytes / 1e6).toFixed(1)} MB` : '';
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} ${p.unit}${mb}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
