/**
 * Only one side captured: a packet that should leave by an interface nobody captured may have left unseen.
 * Such flows are not judged (outside-capture) — unless the snapshot's rules stop them at the gateway, which
 * the snapshot proves on its own. Real field captures with the outside one left out.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, pcapRecordOffset } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-oneside-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a field set with only the files `keep` lets through, each rewritten by `edit` where it says. */
function only(set: string, name: string, keep: (f: string) => boolean, edit: Record<string, (b: Buffer) => Buffer> = {}): string {
  const from = fieldSets().find((s) => s.name === set)!.dir;
  return editedBundle(from, join(tmp, name), { ...Object.fromEntries(readdirSync(from).filter((f) => !keep(f)).map((f) => [f, null])), ...edit });
}

const have = (n: string): boolean => fieldSets().some((s) => s.name === n);

describe.skipIf(!have('healthy') || !have('ip-forward-off'))('an interface the rules send flows out by was not captured', () => {
  it('a healthy gateway with only eth0 captured: nothing judged lost, and natlens says what to capture', async () => {
    const a = await analyze([only('healthy', 'healthy-eth0', (f) => f !== 'net1.pcap')]);
    expect(a.flows.length).toBeGreaterThan(0);
    expect(a.flows.every((f) => f.disposition === 'outside-capture')).toBe(true);
    expect(a.flows.every((f) => f.lossRate === null)).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.summary.verdict).toBe('ok');
    expect(a.summary.sentence).toMatch(/^No flow could be followed through the gateway/);
    const w = a.warnings.find((x) => x.code === 'egress-not-captured')!;
    expect(w.message).toContain('net1');
  });

  it('forwarding off with only eth0 captured: the snapshot still proves where the flows stop', async () => {
    const a = await analyze([only('ip-forward-off', 'off-eth0', (f) => f !== 'net1.pcap')]);
    expect(a.findings[0]).toMatchObject({ check: 'ip-forward-disabled', confidence: 'confirmed' });
    expect(a.flows.some((f) => f.disposition === 'stopped-at-gateway')).toBe(true);
  });

  it('one capture and no snapshot: nothing judged, and the warning says only one interface was captured', async () => {
    const a = await analyze([only('healthy', 'bare-eth0', (f) => f === 'eth0.pcap')]);
    expect(a.flows.every((f) => f.disposition === 'outside-capture' || f.disposition === 'local')).toBe(true);
    expect(a.warnings.find((x) => x.code === 'egress-not-captured')?.message).toMatch(/^only eth0 was captured/);
  });

  it('captures that do not overlap in time: nothing judged, and a no-overlap warning with both runs', async () => {
    // The inside capture stopped before the outside one began: eth0 keeps its records up to a moment, net1 those
    // from a second later (little-endian µs pcaps). No packet is in both, so neither is taken for a skewed
    // clock (clock-skew.ts: the same packets an hour apart are one).
    const eth0 = readFileSync(join(fieldSets().find((s) => s.name === 'healthy')!.dir, 'eth0.pcap'));
    const cut = eth0.readUInt32LE(pcapRecordOffset(eth0, 60));
    const within = (keep: (sec: number) => boolean) => (b: Buffer): Buffer => {
      const parts = [b.subarray(0, 24)];
      for (let at = 24; at + 16 <= b.length; at += 16 + b.readUInt32LE(at + 8)) if (keep(b.readUInt32LE(at))) parts.push(b.subarray(at, at + 16 + b.readUInt32LE(at + 8)));
      return Buffer.concat(parts);
    };
    const dir = only('healthy', 'apart', () => true, { 'eth0.pcap': within((sec) => sec < cut), 'net1.pcap': within((sec) => sec > cut) });
    const a = await analyze([dir]);
    expect(a.capture.overlap).toBeNull();
    expect(a.flows.every((f) => f.disposition === 'outside-capture' || f.disposition === 'local')).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.warnings.map((w) => w.code)).toEqual(['no-overlap']);
    expect(a.summary.sentence).toContain('do not overlap');
  });
});
