// Benchmark for `coffer sops`: encrypt and decrypt of a generated 1 MB YAML file and of a
// 10,000-key JSON file, in-process through the same code the CLI runs (parse, data key wrapped
// for one age recipient, every value AES-GCM'd, MAC, emit; and back). Prints wall time per
// operation (best and median of several runs) and the process's peak RSS.
//
//   npm run build && node dist/bench/sops.js
//
// Targets (issue 4): < 300 ms per operation, < 200 MB peak memory.

import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { createStore } from '../src/sops/formats/index.js';
import type { Format } from '../src/sops/formats/store.js';
import { ageSpec, createKeyServices } from '../src/sops/key-groups.js';
import { DEFAULT_CRYPT_RULE } from '../src/sops/metadata.js';
import { decryptFile, encryptNew, loadEncrypted, parsePlain } from '../src/sops/sops-file.js';

function makeYaml(targetBytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const block =
      `service_${i}:\n` +
      `    # credentials for service ${i}\n` +
      `    username: user-${i}\n` +
      `    password: ${'p'.repeat(16)}${i}\n` +
      `    port: ${1000 + (i % 50000)}\n` +
      `    ratio: ${(i % 100) / 7}\n` +
      `    enabled: ${i % 2 === 0}\n` +
      `    hosts:\n        - host-${i}-a.example.com\n        - host-${i}-b.example.com\n` +
      `    note: |\n        multi-line value ${i}\n        second line\n`;
    parts.push(block);
    size += block.length;
  }
  return parts.join('');
}

function makeJson(keys: number): string {
  const entries: string[] = [];
  for (let i = 0; i < keys; i++) entries.push(`"key_${i}": ${i % 3 === 0 ? i : i % 3 === 1 ? `"value-${i}-${'x'.repeat(20)}"` : 'true'}`);
  return `{${entries.join(', ')}}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const INPUTS: { name: string; format: Format; make: () => string }[] = [
  { name: '1 MB YAML', format: 'yaml', make: () => makeYaml(1024 * 1024) },
  { name: '10,000-key JSON', format: 'json', make: () => makeJson(10_000) },
];

/** Measures one workload in this process and prints one line of JSON. */
async function measure(index: number, runs: number): Promise<void> {
  const input = INPUTS[index]!;
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const env = { ...process.env, SOPS_AGE_KEY: identity, SOPS_AGE_KEY_FILE: '', HOME: '/nonexistent' };
  const bytes = new TextEncoder().encode(input.make());
  const enc: number[] = [];
  const dec: number[] = [];
  let encrypted: Uint8Array = new Uint8Array();
  for (let r = 0; r < runs; r++) {
    // Fresh key services per run, so identity loading is part of the measured decrypt.
    const services = createKeyServices(env);
    let t = performance.now();
    const { store, doc } = parsePlain(bytes, input.format);
    encrypted = await encryptNew(doc, store, { groups: [[ageSpec(recipient)]], shamirThreshold: 0, cryptRule: DEFAULT_CRYPT_RULE, macOnlyEncrypted: false, services });
    enc.push(performance.now() - t);
    t = performance.now();
    const file = loadEncrypted(encrypted, input.format, input.name);
    const d = await decryptFile(file, { services, fileLabel: input.name });
    const out = createStore(input.format).emit(d.plain);
    dec.push(performance.now() - t);
    if (r === runs - 1 && Buffer.compare(Buffer.from(out), Buffer.from(createStore(input.format).emit(parsePlain(bytes, input.format).doc))) !== 0) {
      throw new Error('round trip changed the document');
    }
  }
  process.stdout.write(`${JSON.stringify({ inKiB: bytes.length / 1024, outKiB: encrypted.length / 1024, enc, dec, peakMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  process.stdout.write(`coffer sops benchmark (node ${process.version}, ${runs} runs each, one process per workload; target < 300 ms, < 200 MB)\n`);
  const self = fileURLToPath(import.meta.url);
  INPUTS.forEach((input, i) => {
    const r = spawnSync(process.execPath, [self, 'measure', String(i), String(runs)], { encoding: 'utf8', env: process.env });
    if (r.status !== 0) throw new Error(`${input.name}: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as { inKiB: number; outKiB: number; enc: number[]; dec: number[]; peakMb: number };
    const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;
    process.stdout.write(
      `${input.name.padEnd(16)} in ${m.inKiB.toFixed(0).padStart(5)} KiB  out ${m.outKiB.toFixed(0).padStart(5)} KiB  ` +
        `encrypt best ${ms(Math.min(...m.enc))} median ${ms(median(m.enc))}  decrypt best ${ms(Math.min(...m.dec))} median ${ms(median(m.dec))}  ` +
        `peak RSS ${m.peakMb.toFixed(0)} MB\n`,
    );
  });
}

if (process.argv[2] === 'measure') await measure(Number(process.argv[3]), Number(process.argv[4]));
else main();
