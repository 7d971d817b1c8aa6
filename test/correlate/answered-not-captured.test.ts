/**
 * A flow whose far end answered — its replies left the gateway by the way the requests came in — was forwarded both
 * ways, whatever the other side's capture holds. When that capture holds none of it (empty: taken with a filter on
 * the private address, `tcpdump -i net1 host 10.0.4.10`, which the translated packets never match; or filtered to
 * other traffic), the flow is not judged and the analysis says why — not "dropped at the gateway" with 100% loss.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-answered-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const healthy = fieldSets().find((s) => s.name === 'healthy');

describe.skipIf(!healthy)('flows answered through the gateway that the other capture missed', () => {
  it('an outside capture that holds nothing (filtered on the private address): nothing judged, nothing called stopped, and why', async () => {
    const whole = await analyze([healthy!.dir]);
    // The pcap file header alone: what `tcpdump -i net1 host <private address> -w net1.pcap` writes here.
    const b = editedBundle(healthy!.dir, join(tmp, 'empty-outside'), { 'net1.pcap': (x) => x.subarray(0, 24) });
    const a = await analyze([b]);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.summary.verdict).toBe('ok');
    expect(a.flows.every((f) => f.disposition === 'outside-capture')).toBe(true);
    const w = a.warnings.find((x) => x.code === 'answered-not-captured')!;
    // The flows the whole captures show forwarded from the inside and answered: the pings and UDP queries here; the
    // TCP connections' own acknowledgments tell the same of them (copies-not-captured).
    const answered = whole.flows.filter((f) => f.ingress === 'eth0' && f.disposition === 'delivered' && (f.packets.eth0?.reply ?? 0) > 0);
    const tcp = answered.filter((f) => f.proto === 'tcp');
    expect(answered.length - tcp.length).toBeGreaterThanOrEqual(2);
    expect(w.message).toMatch(new RegExp(`^${answered.length - tcp.length} flows were answered through the gateway .* the capture of net1 holds none of their packets`));
    if (tcp.length) expect(a.warnings.map((x) => x.code)).toContain('copies-not-captured');
    expect(w.message).toContain('such as `host <private address>` on the outside, where the packets carry the EIPs');
  });

  it('an inside capture that holds nothing (filtered on the EIP): the outside client\'s answered pings are not judged, and the filter named for that side', async () => {
    const b = editedBundle(healthy!.dir, join(tmp, 'empty-inside'), { 'eth0.pcap': (x) => x.subarray(0, 24) });
    const a = await analyze([b]);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.flows.some((f) => f.disposition === 'stopped-at-gateway' || f.disposition === 'partial')).toBe(false);
    const w = a.warnings.find((x) => x.code === 'answered-not-captured')!;
    expect(w.message).toMatch(/^1 flow was answered through the gateway .* the capture of eth0 holds none of its packets/);
    expect(w.message).toContain('such as `host <EIP>` on the inside, where the packets carry the private addresses');
    expect(a.summary.sentence).toContain(w.message);
  });

  it.skipIf(!HAVE_TSHARK)('an outside capture filtered to ICMP: the pings are judged delivered, the TCP and UDP flows are not judged', async () => {
    const b = bundleFilteredByTshark(healthy!.dir, join(tmp, 'icmp-only'), 'icmp || arp || ip.addr == 10.0.0.0/8');
    const a = await analyze([b]);
    expect(a.summary.verdict).toBe('ok');
    for (const f of a.flows) {
      if (f.proto === 'icmp') expect(f.disposition, f.id).toBe('delivered');
      else if (f.ingress === 'eth0') expect(f.disposition, f.id).toBe('outside-capture');
    }
    // (The outside capture's last packet is its last ping: what came later is outside the window both captures cover.)
  });
});
