// Bench section 3: a busy gateway's capture — the same number of packets over 4,096 flows and over 100,000 —
// analysed in a fresh process each (best of two), and the 100,000 written as JSON by the CLI. What a flow costs
// (time, memory) is what grows here; the reference is pcap-parser merely reading the same two files, in this run.

import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateNatPair } from './generate-nat-pair.mjs';
import { bestAnalysis, pcapParserPairSeconds } from './analysis-section.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FEW = 4_096;
const MANY = 100_000;

/**
 * `natlens analyze DIR --format json > /dev/null`: seconds and peak RSS (MB) of the whole command, which a module
 * loaded before it (--import) reports on stderr as the process exits.
 */
function jsonCommand(dir) {
  const report = `process.on('exit', () => process.stderr.write('\\n@rss ' + process.resourceUsage().maxRSS / 1024 + '\\n'));`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(report)}`, join(ROOT, 'bin/natlens'), 'analyze', dir, '--format', 'json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const s = (performance.now() - t0) / 1000;
  const rss = /@rss ([\d.]+)/.exec(r.stderr ?? '');
  return { s, status: r.status, rssMb: rss ? Number(rss[1]) : null };
}

/** @param {{tmp: string, log: (line: string) => void, packets: number}} ctx */
export async function flowsSection(ctx) {
  const per = Math.max(60_000, Math.round(ctx.packets * 0.6));
  const results = {};
  for (const flows of [FEW, MANY]) {
    const dir = join(ctx.tmp, `flows-${flows}`);
    const g = generateNatPair(dir, { packets: per, flows });
    const bytes = statSync(join(dir, 'lan0.pcap')).size + statSync(join(dir, 'wan0.pcap')).size;
    const total = g.lanPackets + g.wanPackets;
    const ref = await pcapParserPairSeconds(dir);
    const a = bestAnalysis(dir, { heap: true });
    ctx.log(
      `${total.toLocaleString('en')} packets (${(bytes / 1e6).toFixed(0)} MB) over ${a.flows.toLocaleString('en')} flows: analyze ${a.s.toFixed(2)} s, ` +
        `peak RSS ${a.rssMb.toFixed(0)} MB, heap kept ${a.heapMb.toFixed(0)} MB; pcap-parser read only ${ref.toFixed(2)} s → ratio ${(ref / a.s).toFixed(2)}×`,
    );
    const r = { flows: a.flows, packets: total, seconds: a.s, rssMb: a.rssMb, heapMb: a.heapMb, pcapParserSeconds: ref, ratio: ref / a.s };
    if (flows === MANY) {
      const j = jsonCommand(dir);
      ctx.log(
        `  natlens analyze --format json of the ${a.flows.toLocaleString('en')} flows: ${j.s.toFixed(1)} s (exit ${j.status}), peak RSS ${j.rssMb === null ? '?' : j.rssMb.toFixed(0)} MB; ` +
          `${(ref / j.s).toFixed(2)}× pcap-parser reading`,
      );
      r.json = j;
    }
    results[flows] = r;
    rmSync(dir, { recursive: true, force: true });
  }
  const few = results[FEW];
  const many = results[MANY];
  const extra = many.flows - few.flows;
  ctx.log(
    `each flow past the first ${few.flows.toLocaleString('en')}: ${(((many.seconds - few.seconds) / extra) * 1e6).toFixed(0)} µs, ` +
      `${(((many.heapMb - few.heapMb) * 1e6) / extra / 1024).toFixed(1)} KB of heap kept, ${(((many.rssMb - few.rssMb) * 1e6) / extra / 1024).toFixed(1)} KB of peak RSS`,
  );
  return results;
}
