/**
 * The analysis as JSON, written a piece at a time (analysis-json.ts): the same text JSON.stringify makes, never
 * more than one flow in a piece, written as fast as the reader takes it; and the terminal UI's worker sends the
 * flows in batches that put together make the same analysis. A busy gateway's capture (a hundred thousand flows)
 * made more JSON than one string holds: `--format json` died out of memory after a minute, and so did the UI.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { analysisJson, encodedBatches, writePieces } from '../../src/present/analysis-json.js';
import { writeFileAtomic } from '../../src/present/http/atomic-file.js';
import { analyzeInWorker } from '../../src/present/tui/load-analysis.js';
import { fieldSets, REPO } from '../support/field.js';
import { generateNatPair } from '../bench/generate-nat-pair.mjs';

let pair: string;
let many: Analysis;
beforeAll(async () => {
  // ≈ 3,000 flows of a generated NATed pair (the benchmark's), each with its walk and its sampled packets.
  pair = join(mkdtempSync(join(tmpdir(), 'natlens-json-')), 'pair');
  generateNatPair(pair, { packets: 6_000 });
  many = await analyze([pair]);
}, 60_000);

describe('analysisJson', () => {
  it('is exactly JSON.stringify, indented and compact, for the real sets and for three thousand flows', async () => {
    const analyses = [many];
    for (const s of fieldSets().slice(0, 3)) analyses.push(await analyze([s.dir]));
    expect(many.flows.length).toBeGreaterThan(2_500);
    for (const a of analyses) {
      expect([...analysisJson(a, 2)].join('')).toBe(`${JSON.stringify(a, null, 2)}\n`);
      expect([...analysisJson(a)].join('')).toBe(JSON.stringify(a));
    }
  });

  it('holds no more than one flow in a piece', () => {
    const pieces = [...analysisJson(many, 2)];
    const flowPieces = pieces.filter((p) => /"id": "f\d+"/.test(p));
    expect(flowPieces.length).toBe(many.flows.length);
    for (const p of flowPieces) expect(p.match(/"id": "f\d+"/g)).toHaveLength(1);
  });

  it('writes as JSON.stringify does what it cannot see: toJSON, undefined members, functions', () => {
    const odd = { a: undefined, b: () => 1, c: [undefined, () => 2, new Date(0)], d: { toJSON: () => 'x' }, e: [] as unknown[], f: {} } as unknown as Analysis;
    expect([...analysisJson(odd, 2)].join('')).toBe(`${JSON.stringify(odd, null, 2)}\n`);
    expect([...analysisJson(odd)].join('')).toBe(JSON.stringify(odd));
  });
});

describe('writePieces', () => {
  it('waits for a slow reader (drain) and loses nothing', async () => {
    let got = '';
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        writes++;
        got += chunk.toString('utf8');
        setTimeout(done, 1);
      },
    });
    let drains = 0;
    slow.on('drain', () => drains++);
    const pieces = Array.from({ length: 400 }, (_, i) => `piece ${i} ${'x'.repeat(i % 50)}\n`);
    await writePieces(slow, pieces, 2048);
    await new Promise<void>((r) => slow.end(r));
    expect(got).toBe(pieces.join(''));
    expect(writes).toBeGreaterThan(3);
    expect(drains).toBeGreaterThan(0);
  });
});

describe('encodedBatches', () => {
  it('encodes the pieces in batches of at most its size (a larger piece alone), each a buffer of its own, losing nothing', () => {
    const pieces = Array.from({ length: 2_000 }, (_, i) => `${i} → ${'é'.repeat(i % 90)}\n`);
    pieces.splice(1_000, 0, 'x'.repeat(5_000));
    const batches = [...encodedBatches(pieces, 4_096)];
    expect(Buffer.concat(batches).toString('utf8')).toBe(pieces.join(''));
    expect(batches.filter((b) => b.length > 4_096).map((b) => b.length)).toEqual([5_000]);
    expect(new Set(batches.map((b) => b.buffer)).size).toBeGreaterThan(1);
  });

  it('writeFileAtomic writes an analysis a MB at a time, the same text as JSON.stringify', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'natlens-atomic-')), 'result.json');
    await writeFileAtomic(target, analysisJson(many));
    expect(readFileSync(target, 'utf8')).toBe(JSON.stringify(many));
  });
});

// The compiled worker (npm test builds first); from the sources alone there is none to start.
const WORKER = join(REPO, 'dist/present/tui/analyze-worker.js');

describe.skipIf(!existsSync(WORKER))('the terminal UI’s analysis worker', () => {
  it('sends the flows in batches that put together make the analysis', async () => {
    const a = await analyzeInWorker([pair], {}, () => {}, new AbortController().signal, pathToFileURL(WORKER));
    // ≈ 3,000 flows are ≈ 19 MB of JSON: batches of about 4 MB.
    expect(JSON.stringify(many.flows).length).toBeGreaterThan(12 << 20);
    expect(a).toEqual(JSON.parse(JSON.stringify(many)));
  }, 60_000);
});
