/**
 * One link captured at two places with no router between them — the gateway's eth0 and the host end of its
 * veth, or the app pod's own interface — holds the same packets with the same TTL. The second capture is taken
 * for the first one's interface and each packet seen in both counts once, arrivals and departures alike; before,
 * each of its packets waited for a copy one hop on and counted as stopped at the gateway. Real field captures,
 * the second one a few microseconds later, as another capture point sees it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys, pcapShifted } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { sameOnThread } from '../support/thread-analysis.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-same-link-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = (n: string) => fieldSets().find((s) => s.name === n);

describe.skipIf(!set('healthy') || !set('ip-forward-off'))('a second capture of one link, on real field sets', () => {
  for (const name of ['healthy', 'ip-forward-off']) {
    it(`${name} with eth0 captured again on the veth's host end (3 µs later): the set's own analysis`, async () => {
      const from = set(name)!.dir;
      const original = await analyze([from]);
      const dir = editedBundle(from, join(tmp, name), {}, { 'veth7c1d2e.pcap': pcapShifted(readFileSync(join(from, 'eth0.pcap')), 3) });
      const a = await analyze([dir]);
      expect(a.warnings.filter((w) => w.code === 'same-link-capture').map((w) => w.file)).toEqual([join(dir, 'veth7c1d2e.pcap')]);
      expect(a.inputs.find((i) => i.path.endsWith('veth7c1d2e.pcap'))!.interfaces).toEqual(['eth0']);
      expect(flowKeys(a)).toEqual(flowKeys(original));
      expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
      await sameOnThread(dir);
    });
  }

  it('a copy of the other interface is not taken for eth0 (its packets are the hop after, not the same)', async () => {
    const from = set('healthy')!.dir;
    const dir = editedBundle(from, join(tmp, 'other-side'), {}, { 'capture-x.pcap': pcapShifted(readFileSync(join(from, 'net1.pcap')), 3) });
    const a = await analyze([dir]);
    const w = a.warnings.filter((x) => x.code === 'same-link-capture');
    expect(w.map((x) => x.message.includes("eth0's capture"))).toEqual([false]);
    expect(a.inputs.find((i) => i.path.endsWith('capture-x.pcap'))!.interfaces).toEqual(['net1']);
  });
});
