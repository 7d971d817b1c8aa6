/**
 * Drops on the forwarding path outside filter FORWARD, which no check named before (the flows stopped, the verdict
 * said nothing stops): a blocklist in the raw table's PREROUTING (lab raw-blocklist) and a blackhole route beside the
 * default route (lab null-route).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-path-drops-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('a blocklist in raw PREROUTING (lab raw-blocklist)', () => {
  const dir = useLabOutput('raw-blocklist');

  it('names the raw rule, the requests and the replies it drops, and deletes the rule from its table', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    expect(a.summary.verdict).toBe('packets-stop');
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['forward-chain-drop', 'error', 'confirmed']);
    expect(f.title).toBe('The raw PREROUTING chain drops the traffic');
    expect(f.detail).toMatch(/^1 flow reached the gateway and was dropped in raw PREROUTING, silently\. 4 flows were forwarded, but their replies were dropped in raw PREROUTING on their way back\.$/);
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', table: 'raw', chain: 'PREROUTING', text: `-A PREROUTING -s ${lab.addresses.app2}/32 -j DROP` });
    expect(f.fix[0]).toBe(`iptables -t raw -D PREROUTING -s ${lab.addresses.app2}/32 -j DROP`);
    // Every flow of app2's, and nothing else.
    const app2 = a.flows.filter((x) => x.original.src === lab.addresses.app2 || x.observed?.dst === lab.addresses.app2);
    expect([...f.flows].sort()).toEqual(app2.map((x) => x.id).sort());
    expect(a.flows.filter((x) => !app2.includes(x)).every((x) => x.disposition === 'delivered')).toBe(true);
  });
});

describe.skipIf(!LAB_AVAILABLE)('a blackhole route beside the default route (lab null-route)', () => {
  const dir = useLabOutput('null-route');

  for (const form of ['ip -j route', 'ip route'] as const) {
    it(`names the blackhole route, not the default one, and deletes it (${form})`, async () => {
      const lab = readLabJson(dir());
      // ip -j route puts every route on one line: the route is told by its type and destination, not its line.
      const only: Record<string, null> = form === 'ip route' ? { 'ip-route.json': null } : { 'ip-route.txt': null };
      const a = await analyze([editedBundle(dir(), join(tmp, form.replace(/\W+/g, '-')), only)]);
      const f = a.findings[0]!;
      expect([f.check, f.severity, f.confidence]).toEqual(['no-route', 'error', 'confirmed']);
      expect(f.title).toBe(`A blackhole route drops the traffic to ${lab.addresses.remote}`);
      expect(f.detail).toContain('which discards the packets in silence, whatever the other routes say');
      expect(f.evidence[0]).toMatchObject({ kind: 'route', text: `blackhole ${lab.addresses.remote}` });
      expect(f.fix[0]).toMatch(new RegExp(`^ip route del blackhole ${lab.addresses.remote.replace(/\./g, '\\.')}  # `));
      expect(f.fix.join('\n')).not.toContain('default');
      expect(f.flows.map((id) => a.flows.find((x) => x.id === id)!.original.dst)).toEqual(f.flows.map(() => lab.addresses.remote));
      expect(f.flows).toHaveLength(6);
    });
  }
});
