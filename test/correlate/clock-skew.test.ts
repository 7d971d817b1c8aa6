/**
 * Captures whose clocks disagree (taken on two hosts) are put on one clock before their packets are matched
 * (src/correlate/clock-skew.ts): real field captures, one of them re-timed as a host whose clock is off would
 * have written it, give the analysis of the originals, with the skew reported and the frames' own times kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { editedBundle, flowKeys, pcapShifted } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-skew-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const have = (n: string): boolean => fieldSets().some((s) => s.name === n);
const dirOf = (n: string): string => fieldSets().find((s) => s.name === n)!.dir;

/** Field set `set` with net1.pcap's clock `us` microseconds off. */
function skewed(set: string, us: number): string {
  return editedBundle(dirOf(set), join(tmp, `${set}${us}`), { 'net1.pcap': (b) => pcapShifted(b, us) });
}

const isoMs = (iso: string): number => Date.parse(iso.slice(0, 23) + 'Z');

/** Every sampled packet of every flow: file name, frame and the time shown. */
function frameTimes(a: Analysis): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of a.flows) for (const p of f.samples ?? []) out.set(`${p.file.split('/').pop()}#${p.frame}`, p.time);
  return out;
}

describe.skipIf(!have('healthy') || !have('snat-missing'))('captures whose clocks disagree', () => {
  it.each([2_000_000, -3_500_000, 3_600_000_000])('net1.pcap %i µs off: the flows of the originals, the skew reported', async (us) => {
    const full = await analyze([dirOf('healthy')]);
    const a = await analyze([skewed('healthy', us)]);
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(a.summary.verdict).toBe('ok');
    // Judged as the originals: once the clocks are put together, what is left uncertain is the residual offset (µs),
    // not the seconds between the clocks, so a capture's last seconds are not taken for outside the captures.
    expect(a.summary.byDisposition).toEqual(full.summary.byDisposition);
    const w = a.warnings.filter((x) => x.code === 'clock-skew');
    expect(w).toHaveLength(1);
    expect(w[0]!.file.endsWith('net1.pcap')).toBe(true);
    expect(w[0]!.message).toContain(us > 0 ? 'ahead of' : 'behind');
    // The offset between the two clocks, as the matched pairs and the correction show it together.
    expect(Math.abs(a.capture.clockOffsetNs! - (full.capture.clockOffsetNs! + us * 1000))).toBeLessThan(1e6);
    // Frames keep the time their capture gives them: eth0's as they were, net1's moved with its clock.
    const before = frameTimes(full);
    const after = frameTimes(a);
    expect(after.size).toBe(before.size);
    for (const [k, t] of after) {
      const shift = k.startsWith('net1') ? us / 1000 : 0;
      expect(isoMs(t) - isoMs(before.get(k)!)).toBeCloseTo(shift, 0);
    }
    // The window both captures ran is the originals' (on eth0's clock, within forwarding latency).
    expect(Math.abs(isoMs(a.capture.overlap!.first) - isoMs(full.capture.overlap!.first))).toBeLessThan(2);
  });

  it('the cause is still found when one clock is off: snat-missing', async () => {
    const full = await analyze([dirOf('snat-missing')]);
    const a = await analyze([skewed('snat-missing', 5_000_000)]);
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
    expect(flowKeys(a)).toEqual(flowKeys(full));
  });

  it.skipIf(!have('dnat-wrong-backend'))('a flow that stops is judged as in the originals when one clock is an hour off: dnat-wrong-backend', async () => {
    const full = await analyze([dirOf('dnat-wrong-backend')]);
    const a = await analyze([skewed('dnat-wrong-backend', 3_600_000_000)]);
    expect(full.summary.byDisposition['stopped-at-gateway']).toBeGreaterThan(0);
    expect(a.summary.byDisposition).toEqual(full.summary.byDisposition);
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
  });

  it('a difference matching tolerates (20 ms) is left alone', async () => {
    const full = await analyze([dirOf('healthy')]);
    const a = await analyze([skewed('healthy', 20_000)]);
    expect(a.warnings.map((x) => x.code)).not.toContain('clock-skew');
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(Math.abs(a.capture.clockOffsetNs! - 2e7)).toBeLessThan(1e6);
  });

  it.skipIf(!have('ip-forward-off'))('nothing seen in both captures (forwarding off): no correction, the same diagnosis', async () => {
    const full = await analyze([dirOf('ip-forward-off')]);
    const a = await analyze([skewed('ip-forward-off', 30_000)]);
    expect(a.warnings.map((x) => x.code)).not.toContain('clock-skew');
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
  });
});
