/**
 * dnat-missing (lab port-forward-missing): the port forwards' DNAT rules are gone while their EIP stays on the outside
 * interface, so the client's connections are the gateway's own and it refuses them itself — a TCP reset, ICMP port
 * unreachable. Before this check the flows were `local` and the analysis said nothing stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';
import { asNativeTables, HAVE_NFT, listedByNft, withNftListing } from '../support/nft-listing.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-dnat-missing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('a port forward without its DNAT rule (lab port-forward-missing)', () => {
  const dir = useLabOutput('port-forward-missing');

  it('names the refused services, the EIP on the outside interface, the refusals, and the rule to add', async () => {
    const lab = readLabJson(dir());
    const { eip2 } = lab.addresses;
    const { forwardTcp, forwardUdp } = lab.ports;
    const a = await analyze([dir()]);
    expect(a.summary.verdict).toBe('packets-stop');
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['dnat-missing', 'error', 'confirmed']);
    // Every connection the client made to EIP2's forwarded ports, and nothing else.
    const refused = a.flows.filter((x) => x.original.dst === eip2 && x.proto !== 'icmp');
    expect(refused.map((x) => x.disposition)).toEqual(['local', 'local', 'local', 'local']);
    expect([...f.flows].sort()).toEqual(refused.map((x) => x.id).sort());
    expect(f.title).toContain(eip2);
    expect(f.title).toContain(`tcp/${forwardTcp}`);
    expect(f.title).toContain(`udp/${forwardUdp}`);
    expect(f.detail).toContain('No DNAT rule in the nat table names this address at all');
    expect(f.evidence.some((e) => e.kind === 'address' && e.text.startsWith(`${lab.outside}: inet ${eip2}/`))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.includes(`> ${eip2}.${forwardTcp}: TCP [S]`))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.startsWith(`${eip2}.${forwardTcp} > `) && e.summary.includes('[R.]'))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.startsWith(`${eip2}: ICMP type 3 code 3`))).toBe(true);
    // The forwards go back where the others were: the chain PREROUTING reaches that the flush left empty.
    expect(f.fix).toContain(`iptables -t nat -A SHARED_DNAT -d ${eip2}/32 -p tcp -m tcp --dport ${forwardTcp} -j DNAT --to-destination <inside-address>:<port>  # the backend is not in the snapshot`);
    expect(f.fix.some((x) => x.startsWith(`conntrack -D -p udp --orig-dst ${eip2} --orig-port-dst ${forwardUdp}`))).toBe(true);
    // The other flows pass: only the port forwards are gone.
    expect(a.flows.filter((x) => !refused.includes(x)).every((x) => x.disposition === 'delivered')).toBe(true);
  });

  it('without ip addr, tells the EIP by the SNAT rule that uses it and the gateway\'s own answers', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([editedBundle(dir(), join(tmp, 'no-addr'), { 'ip-addr.json': null, 'ip-addr.txt': null })]);
    const f = a.findings.find((x) => x.check === 'dnat-missing')!;
    expect([f.severity, f.confidence, f.flows.length]).toEqual(['error', 'confirmed', 4]);
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', table: 'nat' });
    expect((f.evidence[0] as { text: string }).text).toContain(`--to-source ${lab.addresses.eip2}`);
  });

  it.skipIf(!HAVE_TSHARK)('a service tried once only is a warning: a missing forward, or a probe every public address gets', async () => {
    const a = await analyze([dir()]);
    const f = a.findings[0]!;
    // Keep each service's first connection only: leave out the others' frames, ICMP errors quoting them included.
    const byService = new Map<string, (typeof a.flows)[number][]>();
    for (const id of f.flows) {
      const x = a.flows.find((y) => y.id === id)!;
      const k = `${x.proto}/${x.original.dport}`;
      byService.set(k, [...(byService.get(k) ?? []), x]);
    }
    const later = [...byService.values()].flatMap((xs) => xs.slice(1));
    expect(later).toHaveLength(2);
    const filter = later.map((x) => `!(${x.proto}.srcport == ${x.original.sport} || ${x.proto}.dstport == ${x.original.sport})`).join(' && ');
    const b = await analyze([bundleFilteredByTshark(dir(), join(tmp, 'once'), filter)]);
    const w = b.findings.find((x) => x.check === 'dnat-missing')!;
    expect([w.severity, w.confidence, w.flows.length]).toEqual(['warning', 'confirmed', 2]);
    expect(w.title).toMatch(/refused by the gateway itself \(no DNAT rule; tried once\)$/);
    expect(b.summary.verdict).toBe('ok');
    expect(b.summary.sentence).toContain(`note: ${w.title}`);
  });
});

describe.skipIf(!LAB_AVAILABLE)('a gateway that lost every NAT rule (lab rules-lost)', () => {
  const dir = useLabOutput('rules-lost');

  it('names both halves: the traffic out untranslated first, the port forwards the gateway refuses as the verdict\'s "also"', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    expect(a.findings.filter((f) => f.severity === 'error').map((f) => f.check)).toEqual(['snat-missing', 'dnat-missing']);
    const d = a.findings[1]!;
    expect(d.title).toContain(lab.addresses.eip2);
    expect(a.summary.sentence).toContain(`; also: ${d.title}`);
    // Two chains PREROUTING reaches were emptied (the floating IPs' and the port forwards'): which one held this
    // forward the snapshot cannot say, so the rule goes in PREROUTING itself.
    expect(d.fix[0]).toMatch(/^iptables -t nat -A PREROUTING -d /);
    // The floating IP's pings, answered by the gateway itself, are not a refusal.
    const pings = a.flows.find((f) => f.proto === 'icmp' && f.original.dst === lab.addresses.eip)!;
    expect(pings.disposition).toBe('local');
    expect(d.flows).not.toContain(pings.id);
  });
});

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('a port forward without its DNAT rule on a gateway whose INPUT policy is DROP', () => {
  const dir = useLabOutput('port-forward-missing');

  it('the requests are dropped in silence by the gateway\'s own INPUT: still the missing forward, with the policy as evidence', async () => {
    // What the lab's gateway shows with `iptables -P INPUT DROP`: the same requests, no reset or port unreachable.
    const lab = readLabJson(dir());
    const { eip2 } = lab.addresses;
    const quiet = bundleFilteredByTshark(dir(), join(tmp, 'input-drop-captures'), `!(ip.src == ${eip2} && (tcp.flags.reset == 1 || icmp.type == 3))`);
    const b = editedBundle(quiet, join(tmp, 'input-drop'), {
      'iptables-filter-L.txt': (x) => Buffer.from(x.toString().replace('Chain INPUT (policy ACCEPT 0 packets, 0 bytes)', 'Chain INPUT (policy DROP 4 packets, 206 bytes)')),
    });
    const a = await analyze([b]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence, f.flows.length]).toEqual(['dnat-missing', 'error', 'confirmed', 4]);
    expect(f.detail).toContain("the gateway's own INPUT chain dropped them in silence (its policy)");
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'policy', table: 'filter', chain: 'INPUT', policy: 'DROP' }));
    // Dropped by the gateway's own firewall on their way to the gateway itself: local, not a forwarding stop.
    expect(f.flows.map((id) => a.flows.find((x) => x.id === id)!.disposition)).toEqual(['local', 'local', 'local', 'local']);
  });
});

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK || !HAVE_NFT)('the same on a gateway whose rules are nftables\' own, its input chain\'s policy drop', () => {
  const dir = useLabOutput('port-forward-missing');

  it('the policy cited is the nft input chain\'s', async () => {
    const { eip2 } = readLabJson(dir()).addresses;
    const quiet = bundleFilteredByTshark(dir(), join(tmp, 'nft-input-drop-captures'), `!(ip.src == ${eip2} && (tcp.flags.reset == 1 || icmp.type == 3))`);
    // The lab's nat rules as nftables' own, and a filter table whose input chain drops what it does not accept.
    const listing = `${asNativeTables(listedByNft(quiet))}table ip filter_native {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established,related accept\n\t}\n}\n`;
    const a = await analyze([withNftListing(quiet, join(tmp, 'nft-input-drop'), listing)]);
    const f = a.findings[0]!;
    expect([f.check, f.flows.length]).toEqual(['dnat-missing', 4]);
    expect(f.detail).toContain("the gateway's own INPUT chain dropped them in silence (its policy)");
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'policy', table: 'filter', chain: 'ip filter_native INPUT', policy: 'DROP' }));
  });
});

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('a gateway that lost every NAT rule, its INPUT policy DROP', () => {
  const dir = useLabOutput('rules-lost');

  it('the port forwards dropped in INPUT are the missing forwards; the floating IP\'s pings dropped there are the gateway\'s own business', async () => {
    const lab = readLabJson(dir());
    const { eip, eip2 } = lab.addresses;
    // What the gateway shows with `iptables -P INPUT DROP`: no echo reply from the floating IP, no refusal from EIP2.
    const quiet = bundleFilteredByTshark(dir(), join(tmp, 'lost-input-drop-captures'), `!(ip.src == ${eip} || ip.src == ${eip2}) || ip.dst != ${lab.addresses.client}`);
    const b = editedBundle(quiet, join(tmp, 'lost-input-drop'), {
      'iptables-filter-L.txt': (x) => Buffer.from(x.toString().replace(/Chain INPUT \(policy ACCEPT [^)]*\)/, 'Chain INPUT (policy DROP 9 packets, 700 bytes)')),
    });
    const a = await analyze([b]);
    const d = a.findings.find((f) => f.check === 'dnat-missing')!;
    expect([d.severity, d.flows.length]).toEqual(['error', 4]);
    const pings = a.flows.find((f) => f.proto === 'icmp' && f.original.dst === eip)!;
    expect(pings.disposition).toBe('local');
    expect(a.findings.flatMap((f) => f.flows)).not.toContain(pings.id);
  });
});
