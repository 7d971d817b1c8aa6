/**
 * ARP gone wrong on the way back: a next hop the gateway sends to at a MAC it does not have: the lab's nexthop-stale-mac bundle (a permanent
 * neighbour entry left with a MAC nobody holds), and the same bundle as reality trims it: without routes (the next
 * hop then named by the neighbour entry holding that MAC), and captures without ARP (only a suspect is left).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-stale-neigh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const STALE = '02:00:5e:00:53:99';

describe.skipIf(!LAB_AVAILABLE)('egress-neighbor-unresolved: a next hop at a MAC it does not have (lab nexthop-stale-mac)', () => {
  const dir = useLabOutput('nexthop-stale-mac');

  it('confirmed from the router\'s own ARP: both MACs, the static entry, the fix with the right MAC; not "upstream"', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['egress-neighbor-unresolved', 'error', 'confirmed']);
    const m = new RegExp(`^The gateway sends what goes via ${lab.addresses.nexthop.replace(/\./g, '\\.')} to ${STALE}, but ${lab.addresses.nexthop.replace(/\./g, '\\.')} is at ([0-9a-f:]{17})$`).exec(f.title);
    expect(m).not.toBeNull();
    expect(m![1]).not.toBe(STALE);
    expect(f.detail).toContain('PERMANENT): a static entry, which ARP never corrects');
    expect(f.evidence.some((e) => e.kind === 'neighbour' && e.text === `${lab.addresses.nexthop} dev ${lab.outside} ${STALE} PERMANENT`)).toBe(true);
    expect(f.fix[0]).toBe(`ip neigh replace ${lab.addresses.nexthop} lladdr ${m![1]} dev ${lab.outside}  # or let ARP resolve it: ip neigh del ${lab.addresses.nexthop} dev ${lab.outside}`);
    expect(a.findings.map((x) => x.check)).not.toContain('upstream-no-reply');
    // Every flow that went upstream is named; the on-link client's are delivered.
    const upstream = a.flows.filter((x) => x.observed?.dst === lab.addresses.remote);
    expect(upstream.length).toBeGreaterThan(0);
    expect([...f.flows].sort()).toEqual(upstream.map((x) => x.id).sort());
  });

  it('without routes in the snapshot: the next hop is the neighbour entry holding that MAC', async () => {
    const d = editedBundle(dir(), join(tmp, 'no-routes'), { 'ip-route.json': null, 'ip-route.txt': null, 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['egress-neighbor-unresolved', 'confirmed']);
    expect(f.title).toContain(`to ${STALE}, but `);
  });

  it.skipIf(!HAVE_TSHARK)('captures without ARP: upstream-no-reply, with the static entry as the suspect and how to check it', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([bundleFilteredByTshark(dir(), join(tmp, 'no-arp'), 'not arp')]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['upstream-no-reply', 'likely']);
    expect(f.detail).toContain(`through a static neighbour entry (${STALE}, PERMANENT)`);
    expect(f.fix).toContain(`arping -c 3 -I ${lab.outside} ${lab.addresses.nexthop}  # the MAC that answers: is it ${STALE}? if not, ip neigh replace ${lab.addresses.nexthop} lladdr <that MAC> dev ${lab.outside} (or ip neigh del ${lab.addresses.nexthop} dev ${lab.outside})`);
  });
});

describe.skipIf(!LAB_AVAILABLE)('upstream-no-reply: the upstream holds an old MAC for the EIP (lab eip-stale-arp-upstream)', () => {
  it('confirmed by the frames that came back addressed to another MAC; the gratuitous ARP first in the fix', async () => {
    const dir = join(await labOutput(), 'eip-stale-arp-upstream');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['upstream-no-reply', 'confirmed']);
    expect(f.title).toBe(`What comes back for ${lab.addresses.eip} is addressed to 02:00:5e:00:53:aa, not to the gateway: the upstream's ARP entry for it is stale`);
    // The first such frame is the remote's reply or the outside client's ping, whichever the router sent first.
    const senders = [lab.addresses.remote, lab.addresses.client];
    expect(f.evidence.some((e) => e.kind === 'frame' && senders.some((s) => e.summary.startsWith(`${s} > ${lab.addresses.eip} addressed to 02:00:5e:00:53:aa`)))).toBe(true);
    expect(f.fix[0]!.startsWith(`arping -U -c 3 -I ${lab.outside} ${lab.addresses.eip}  # announce`)).toBe(true);
    // Only the flows through that EIP.
    for (const id of f.flows) expect(a.flows.find((x) => x.id === id)!.observed!.src).toBe(lab.addresses.eip);
  });
});

describe.skipIf(!LAB_AVAILABLE)('arp-disabled: an EIP held by the inside interface, arp_ignore=1 (lab eip-on-inside)', () => {
  it('confirmed: the holder, the sysctl, the unanswered ARP; the fix moves the address; without ARP in the captures, likely', async () => {
    const dir = join(await labOutput(), 'eip-on-inside');
    const lab = readLabJson(dir);
    const f = (await analyze([dir])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['arp-disabled', 'confirmed']);
    expect(f.title).toBe(`${lab.addresses.eip2} is held by ${lab.inside}, not ${lab.outside}: nobody answers ARP for it on ${lab.outside}`);
    expect(f.evidence.some((e) => e.kind === 'sysctl' && e.key.endsWith('.arp_ignore') && e.value === '1')).toBe(true);
    expect(f.fix[0]).toBe(`ip addr del ${lab.addresses.eip2}/32 dev ${lab.inside}; ip addr add ${lab.addresses.eip2}/24 dev ${lab.outside}  # the EIP belongs on the outside interface`);
    expect(f.fix.some((c) => c.includes('arp on'))).toBe(false);
    if (HAVE_TSHARK) {
      const g = (await analyze([bundleFilteredByTshark(dir, join(tmp, 'eip-on-inside-no-arp'), 'not arp')])).findings[0]!;
      expect([g.check, g.confidence, g.title]).toEqual(['arp-disabled', 'likely', f.title]);
    }
  }, LAB_WAIT_MS);
});
