// Benchmark for `coffer sops`: encrypt and decrypt of a generated 1 MB YAML file and of a
// 10,000-key JSON file, in-process through the same code the CLI runs (parse, data key wrapped
// for one age recipient, every value AES-GCM'd, MAC, emit; and back). Prints wall time per
// operation (best and median of several runs) and the process's peak RSS.
//
//   npm run build && node dist/bench/sops.js
//
// Targets (issue 4): < 300 ms per operation, < 200 MB peak memory.

import { performance } from 'node:perf_hooks';
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

async function main(): Promise<void> {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const env = { ...process.env, SOPS_AGE_KEY: identity, SOPS_AGE_KEY_FILE: '', HOME: '/nonexistent' };
  const inputs: { name: string; format: Format; text: string }[] = [
    { name: '1 MB YAML', format: 'yaml', text: makeYaml(1024 * 1024) },
    { name: '10,000-key JSON', format: 'json', text: makeJson(10_000) },
  ];
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const rows: string[] = [];
  for (const input of inputs) {
    const bytes = new TextEncoder().encode(input.text);
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
      if (out.length === 0) throw new Error('empty output');
    }
    rows.push(
      `${input.name.padEnd(16)} in ${(bytes.length / 1024).toFixed(0).padStart(5)} KiB  out ${(encrypted.length / 1024).toFixed(0).padStart(5)} KiB  ` +
        `encrypt best ${Math.min(...enc).toFixed(0).padStart(4)} ms median ${median(enc).toFixed(0).padStart(4)} ms  ` +
        `decrypt best ${Math.min(...dec).toFixed(0).padStart(4)} ms median ${median(dec).toFixed(0).padStart(4)} ms`,
    );
  }
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`coffer sops benchmark (node ${process.version}, ${runs} runs each; target < 300 ms, < 200 MB)\n`);
  for (const r of rows) process.stdout.write(`${r}\n`);
  process.stdout.write(`peak RSS ${peakMb.toFixed(0)} MB\n`);
}

await main();
