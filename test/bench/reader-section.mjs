// Bench section 1 (issue 2): our reader + decoder against pcap-parser on the same generated capture.
// Goal: ours ≥ 5× pcap-parser's packets/s.

import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openCapture } from '../../dist/ingest/open-capture.js';
import { decodeRecord } from '../../dist/decode/decode-packet.js';
import { newDecodedPacket } from '../../dist/model/packet.js';
import { generateCapture } from './generate-capture.mjs';
import { measureInterleaved } from './measure.mjs';

const require = createRequire(import.meta.url);

/** Read and decode every packet; returns packets and a checksum so the work cannot be optimised away. */
export function readAndDecode(path) {
  const cap = openCapture(path);
  const pkt = newDecodedPacket();
  let packets = 0;
  let check = 0;
  for (const rec of cap.records()) {
    decodeRecord(rec, pkt);
    check = (check + pkt.ipId + pkt.sport + pkt.payloadHash) | 0;
    packets++;
  }
  return { packets, check };
}

/** Read every record without decoding: splits the figure into reader and decoder shares. */
export function readOnly(path) {
  const cap = openCapture(path);
  let packets = 0;
  let check = 0;
  for (const rec of cap.records()) {
    check = (check + rec.caplen + rec.origLen) | 0;
    packets++;
  }
  return { packets, check };
}

/** pcap-parser reads records only (it has no decoder): the baseline the issue names. */
export function readWithPcapParser(path) {
  const pcapParser = require('pcap-parser');
  return new Promise((resolve, reject) => {
    let packets = 0;
    let check = 0;
    const parser = pcapParser.parse(path);
    parser.on('packet', (p) => {
      packets++;
      check = (check + p.header.capturedLength) | 0;
    });
    parser.on('error', reject);
    parser.on('end', () => resolve({ packets, check }));
  });
}

/**
 * @param {{tmp: string, log: (line: string) => void, packets: number}} ctx
 * @returns {Promise<Record<string, number>>}
 */
export async function readerSection(ctx) {
  const path = join(ctx.tmp, 'bench.pcap');
  const t0 = performance.now();
  const gen = generateCapture(path, { packets: ctx.packets });
  ctx.log(`generated ${gen.packets.toLocaleString('en')} packets, ${(gen.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${path}`);
  const bytes = statSync(path).size;
  // Interleaved rounds, best of each: both sides see the same machine load (see measureInterleaved).
  const [readerOnly, ours, theirs] = await measureInterleaved(
    [
      { name: 'natlens reader only', fn: () => readOnly(path) },
      { name: 'natlens reader+decoder', fn: () => readAndDecode(path) },
      { name: 'pcap-parser (read only)', fn: () => readWithPcapParser(path) },
    ],
    bytes,
    ctx.log,
  );
  if (ours.packets !== gen.packets || readerOnly.packets !== gen.packets || theirs.packets !== gen.packets) {
    throw new Error(`packet counts differ: generated ${gen.packets}, natlens ${ours.packets}, pcap-parser ${theirs.packets}`);
  }
  const ratio = ours.packetsPerSec / theirs.packetsPerSec;
  const cpuRatio = ours.packetsPerCpuSec / theirs.packetsPerCpuSec;
  ctx.log(`ratio: natlens reader+decoder is ${ratio.toFixed(1)}× pcap-parser's packets/s by wall clock, ${cpuRatio.toFixed(1)}× per CPU-second (goal ≥ 5×)`);
  return { packets: gen.packets, bytes, readerOnlyPps: readerOnly.packetsPerSec, oursPps: ours.packetsPerSec, oursMBps: ours.mbPerSec, pcapParserPps: theirs.packetsPerSec, pcapParserMBps: theirs.mbPerSec, ratio, cpuRatio };
}
