/**
 * A static neighbour entry for a DNAT backend with a MAC the backend does not have (lab backend-stale-mac): the gateway
 * sends it the port forwards' requests, and the replies to its own traffic, addressed to nobody. Before, without the
 * backend's ARP in the captures (its cache warm before they began), the silence was put on the backend ("the stop is
 * on the backend"); the backend's own packets through the gateway show its real MAC as well as its ARP does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-backend-mac-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('a stale static neighbour entry for a backend (lab backend-stale-mac)', () => {
  const dir = useLabOutput('backend-stale-mac');

  for (const arp of [true, false]) {
    it.skipIf(!arp && !HAVE_TSHARK)(`names the entry, the backend's real MAC and the flows it loses (${arp ? 'with' : 'without'} the backend's ARP)`, async () => {
      const lab = readLabJson(dir());
      const { app2 } = lab.addresses;
      const b = arp ? dir() : bundleFilteredByTshark(dir(), join(tmp, 'no-arp'), 'not arp');
      const a = await analyze([b]);
      const f = a.findings[0]!;
      expect([f.check, f.severity, f.confidence]).toEqual(['egress-neighbor-unresolved', 'error', 'confirmed']);
      expect(f.title).toMatch(new RegExp(`^The gateway sends what goes via ${app2.replace(/\./g, '\\.')} to 02:00:5e:00:53:77, but ${app2.replace(/\./g, '\\.')} is at ([0-9a-f]{2}:){5}[0-9a-f]{2}$`));
      expect(f.evidence[0]).toMatchObject({ kind: 'neighbour', text: expect.stringContaining('02:00:5e:00:53:77 PERMANENT') });
      const real = /is at (\S+)$/.exec(f.title)![1]!;
      expect(f.fix[0]).toBe(`ip neigh replace ${app2} lladdr ${real} dev ${lab.inside}  # or let ARP resolve it: ip neigh del ${app2} dev ${lab.inside}`);
      expect(f.detail).toContain(arp ? '(its own ARP on' : '(the packets it sends through the gateway on');
      // The port forwards' flows, all of them; app2's own pings are named as losing their replies too.
      const forwards = a.flows.filter((x) => x.original.dst === lab.addresses.eip2 && x.proto !== 'icmp');
      expect([...f.flows].sort()).toEqual(forwards.map((x) => x.id).sort());
      const own = a.flows.find((x) => x.proto === 'icmp' && x.original.src === app2)!;
      expect(f.detail).toContain(`The replies to ${app2}'s own traffic (${own.id}) leave for it addressed to 02:00:5e:00:53:77 too`);
    });
  }
});
