// `npm run bench` (after `npm run build`): runs each section in order in one temp dir and prints its
// figures. Sections are plain async functions (ctx) → results; add one by appending to SECTIONS.
// NATLENS_BENCH_PACKETS overrides the packet count (default 1,000,000) for quick runs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readerSection } from './reader-section.mjs';
import { analysisSection } from './analysis-section.mjs';
import { serveSection } from './serve-bench.mjs';
import { flowsSection } from './flows-section.mjs';

export const SECTIONS = [
  { name: 'capture reader + decoder vs pcap-parser', run: readerSection },
  { name: 'whole analysis of a NATed capture pair vs pcap-parser reading it', run: analysisSection },
  { name: 'a busy gateway: the same packets over 4,096 and over 100,000 flows', run: flowsSection },
  { name: 'upload service: 20 concurrent uploads of a 50 MB bundle', run: serveSection },
];

export async function runBench(sections = SECTIONS) {
  const tmp = mkdtempSync(join(tmpdir(), 'natlens-bench-'));
  const packets = Number(process.env.NATLENS_BENCH_PACKETS ?? 1_000_000);
  const log = (line) => process.stdout.write(`${line}\n`);
  log(`natlens bench — node ${process.version}, ${packets.toLocaleString('en')} packets per capture`);
  const results = {};
  try {
    for (const s of sections) {
      log(`\n## ${s.name}`);
      results[s.name] = await s.run({ tmp, log, packets });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBench();
}
