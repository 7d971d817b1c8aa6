/**
 * A capture taken on a link the gateway shares with others — the parent NIC of Kube-OVN's macvlan net1, a bridge,
 * a mirror port — holds frames between other hosts. Those are left out (foreign-frames warning), never judged as
 * stopped at the gateway. The foreign traffic here is real: the netns lab's healthy outside capture (another
 * gateway, other MACs and addresses), moved in time into a real field capture and merged with it frame by frame.
 * An ip addr taken elsewhere (its MACs on no frame of the capture) must not make the gateway's own frames foreign.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';
import { sameOnThread } from '../support/thread-analysis.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-foreign-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = (n: string) => fieldSets().find((s) => s.name === n);

interface Rec {
  us: number;
  bytes: Buffer;
}

/** Records of a classic little-endian µs pcap: time in µs and the whole record. */
function records(b: Buffer): Rec[] {
  const out: Rec[] = [];
  for (let at = 24; at + 16 <= b.length; at += 16 + b.readUInt32LE(at + 8)) {
    out.push({ us: b.readUInt32LE(at) * 1e6 + b.readUInt32LE(at + 4), bytes: b.subarray(at, at + 16 + b.readUInt32LE(at + 8)) });
  }
  return out;
}

/** `capture` with `foreign`'s frames moved to start `afterUs` after its first and merged in time order. */
function withForeign(capture: Buffer, foreign: Buffer, afterUs: number): Buffer {
  const own = records(capture);
  const other = records(foreign);
  const shift = own[0]!.us + afterUs - other[0]!.us;
  const moved = other.map((r) => {
    const us = r.us + shift;
    const bytes = Buffer.from(r.bytes);
    bytes.writeUInt32LE(Math.floor(us / 1e6), 0);
    bytes.writeUInt32LE(us % 1e6, 4);
    return { us, bytes };
  });
  const all = [...own, ...moved].sort((a, b) => a.us - b.us);
  return Buffer.concat([capture.subarray(0, 24), ...all.map((r) => r.bytes)]);
}

describe.skipIf(!LAB_AVAILABLE || !set('healthy') || !set('ip-forward-off'))('frames between other hosts on the captured link', () => {
  let foreign = Buffer.alloc(0);
  beforeAll(async () => {
    foreign = readFileSync(join(await labOutput(), 'healthy', 'ext2.pcap'));
  }, LAB_WAIT_MS);

  for (const name of ['healthy', 'ip-forward-off']) {
    it(`${name}: net1 sharing its link (foreign frames from its first microsecond on) gives the original's flows and findings`, async () => {
      const original = await analyze([set(name)!.dir]);
      const dir = editedBundle(set(name)!.dir, join(tmp, name), { 'net1.pcap': (b) => withForeign(b, foreign, 1) });
      const a = await analyze([dir]);
      expect(flowKeys(a)).toEqual(flowKeys(original));
      expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
      const w = a.warnings.filter((x) => x.code === 'foreign-frames');
      expect(w).toHaveLength(1);
      expect(w[0]!.message).toMatch(/^\d+ IPv4 frames on net1 /);
      await sameOnThread(dir);
    });
  }

  it('an ip addr whose MACs no frame carries (taken elsewhere) leaves every frame in', async () => {
    const from = set('ip-forward-off')!.dir;
    const original = await analyze([from]);
    const elsewhere = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').replace(/link\/ether [0-9a-f:]{17}/g, (_m, k: number) => `link/ether 02:00:5e:00:${(k % 256).toString(16).padStart(2, '0')}:01`));
    const dir = editedBundle(from, join(tmp, 'macs-elsewhere'), { 'ip-addr.txt': elsewhere, 'ip-addr.json': null });
    const a = await analyze([dir]);
    expect(a.warnings.map((x) => x.code)).not.toContain('foreign-frames');
    expect(flowKeys(a)).toEqual(flowKeys(original));
  });
});
