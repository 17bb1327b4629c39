#!/usr/bin/env node
// `npm run bench`: runs every scripts/bench-*.ts through tsx, one process each (the C reference,
// spandsp's dtmf_rx, runs inside bench-dsp.ts, side by side with ours on the same workload), and
// prints their JSON lines {"name","unit","value","reference"?,"reference_value"?} on stdout.
//   npm run bench                 all benchmarks
//   npm run bench -- dsp masker   only those whose file name contains one of the words
// Exit status: 0 if every benchmark ran, 1 otherwise. Anything a benchmark prints that is not a
// JSON figure goes to stderr, so stdout stays machine-readable.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => /^bench-.*\.ts$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

if (benches.length === 0) {
  process.stderr.write(`bench: no scripts/bench-*.ts matches ${filters.join(' ')}\n`);
  process.exit(1);
}

function run(file) {
  return new Promise((resolve) => {
    // --expose-gc lets benchmarks measure memory per channel after a full collection.
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, file)], {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let ok = false;
      try {
        const f = JSON.parse(line);
        ok = typeof f?.name === 'string' && typeof f?.unit === 'string' && typeof f?.value === 'number';
      } catch {}
      (ok ? process.stdout : process.stderr).write(`${line}\n`);
    });
    child.on('close', (code, signal) => resolve(code === 0 ? 0 : (code ?? 1) || 1));
    child.on('error', () => resolve(1));
  });
}

let failed = 0;
for (const file of benches) {
  const started = Date.now();
  process.stderr.write(`bench: ${file}\n`);
  const code = await run(file);
  process.stderr.write(`bench: ${file} ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (code !== 0) failed++;
}
process.exit(failed ? 1 : 0);
