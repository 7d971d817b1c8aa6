import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeCapture } from '../../src/ingest/summarize-capture.js';
import { pcapFile } from '../support/capture-writer.mjs';
import { generatedCaptures } from './generated-captures.js';

const dir = mkdtempSync(join(tmpdir(), 'natlens-summary-'));

describe('summarizeCapture', () => {
  it('describes a two-section pcapng: size, packets, every interface, earliest and latest time', () => {
    const g = generatedCaptures().find((c) => c.name === 'multi-section.pcapng')!;
    const p = join(dir, g.name);
    writeFileSync(p, g.bytes);
    const { summary, warnings } = summarizeCapture(p);
    expect(warnings).toEqual([]);
    expect(summary).toMatchObject({ path: p, format: 'pcapng', bytes: g.bytes.length, packets: 8 });
    expect(summary.interfaces.map((i) => i.name)).toEqual(['inside', 'outside', 'pow2', 'again', 'pow2-30']);
    // The SPB has no timestamp (epoch 0): it is the earliest; the +3600 s tsoffset packet the latest.
    expect([summary.first, summary.last]).toEqual(['1970-01-01T00:00:00.000000000Z', '2026-11-26T10:58:33.987654321Z']);
  });

  it('reports an empty capture with null times and passes warnings on', () => {
    const header = join(dir, 'header-only.pcap');
    writeFileSync(header, pcapFile({ nanosecond: true, records: [] }));
    expect(summarizeCapture(header).summary).toMatchObject({ format: 'pcap-ns', bytes: 24, packets: 0, first: null, last: null });
    const cut = join(dir, 'cut.pcap');
    const whole = pcapFile({ records: [{ sec: 5, frac: 7, data: new Uint8Array(60) }, { sec: 6, frac: 0, data: new Uint8Array(60) }] });
    writeFileSync(cut, whole.subarray(0, whole.length - 1));
    const seen: string[] = [];
    const { summary, warnings } = summarizeCapture(cut, { onWarning: (w) => seen.push(w.code) });
    expect(summary).toMatchObject({ packets: 1, bytes: whole.length - 1, first: '1970-01-01T00:00:05.000007000Z' });
    expect(warnings.map((w) => [w.code, w.offset])).toEqual([['truncated', 100]]);
    expect(seen).toEqual(['truncated']);
  });
});
