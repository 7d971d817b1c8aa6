/**
 * Firewall front ends that own the FORWARD chain and set its policy themselves, so that `-P FORWARD ACCEPT` would
 * not last: Docker (lab docker-forward-drop: dockerd puts the policy at DROP each time it starts; the fix is ACCEPT
 * rules in DOCKER-USER, which it leaves alone) and ufw (lab ufw-forward-drop, ufw itself enabled with its defaults:
 * the fix is `ufw route allow`, kept by ufw, not iptables-save's file) and firewalld (lab firewalld-forward-reject,
 * firewalld itself with the interfaces in zones internal and external: the fix is a firewalld policy between the
 * zones, not an nft command firewalld's next reload would undo).
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';

describe.skipIf(!LAB_AVAILABLE)('Docker on the gateway (lab docker-forward-drop)', () => {
  const bundle = useLabOutput('docker-forward-drop');

  it("names Docker's FORWARD chain and lets the flows through DOCKER-USER, both ways", async () => {
    const lab = readLabJson(bundle());
    const a = await analyze([bundle()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    expect(f.detail).toContain("The FORWARD chain is Docker's");
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'rule', chain: 'FORWARD', text: '-A FORWARD -j DOCKER-USER' }));
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'policy', chain: 'FORWARD', policy: 'DROP' }));
    const { inside: I, outside: E } = lab;
    // Flows went both ways (the app out, the client in to its floating IP): each way accepted whole.
    const users = f.fix.filter((c) => c.startsWith('iptables -I DOCKER-USER'));
    expect(users).toHaveLength(2);
    expect(users).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^iptables -I DOCKER-USER -i ${I} -o ${E} -j ACCEPT `)),
        expect.stringMatching(new RegExp(`^iptables -I DOCKER-USER -i ${E} -o ${I} -j ACCEPT `)),
      ]),
    );
    expect(f.fix.some((c) => /-P FORWARD ACCEPT/.test(c))).toBe(false);
  });
});

describe.skipIf(!LAB_AVAILABLE)('ufw on the gateway (lab ufw-forward-drop)', () => {
  const bundle = useLabOutput('ufw-forward-drop');

  it("names ufw's FORWARD chain, says why ping works, and mends it the ufw way, both ways", async () => {
    const lab = readLabJson(bundle());
    const a = await analyze([bundle()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    expect(f.detail).toContain("The FORWARD chain is ufw's");
    expect(f.detail).toContain('so ping works while the rest does not');
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'rule', chain: 'FORWARD', text: '-A FORWARD -j ufw-before-forward' }));
    const { inside: I, outside: E } = lab;
    expect(f.fix.filter((c) => c.startsWith('ufw route allow')).map((c) => c.split('  #')[0])).toEqual(
      expect.arrayContaining([`ufw route allow in on ${I} out on ${E}`, `ufw route allow in on ${E} out on ${I}`]),
    );
    // ufw keeps its rules itself: neither -P FORWARD ACCEPT nor iptables-save's file.
    expect(f.fix.some((c) => /-P FORWARD ACCEPT|iptables-save >/.test(c))).toBe(false);
    // ICMP passed: only TCP and UDP flows are the finding's.
    const stopped = a.flows.filter((x) => f.flows.includes(x.id));
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.every((x) => x.proto !== 'icmp')).toBe(true);
  });
});

describe.skipIf(!LAB_AVAILABLE)('firewalld on the gateway (lab firewalld-forward-reject)', () => {
  const bundle = useLabOutput('firewalld-forward-reject');

  it("names firewalld's reject and mends it with a policy between the interfaces' zones, read from its rules", async () => {
    const lab = readLabJson(bundle());
    const a = await analyze([bundle()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    expect(f.title).toMatch(/nftables inet firewalld filter_FWD_internal/);
    expect(f.detail).toContain("The chain is firewalld's");
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', chain: 'inet firewalld filter_FWD_internal', text: 'reject with icmpx admin-prohibited' });
    const { inside: I, outside: E } = lab;
    expect(f.fix[0]).toBe(
      'firewall-cmd --permanent --new-policy=internal-external && firewall-cmd --permanent --policy=internal-external --add-ingress-zone=internal && ' +
        'firewall-cmd --permanent --policy=internal-external --add-egress-zone=external && firewall-cmd --permanent --policy=internal-external --set-target=ACCEPT && ' +
        `firewall-cmd --reload  # ${I} is in zone internal, ${E} in external: a policy forwards from one to the other`,
    );
    // Not nft's commands (firewalld writes its rules anew at every reload), nor a file to persist them in.
    expect(f.fix.some((c) => /^nft |nftables\.conf/.test(c))).toBe(false);
    // The DNATed connections in passed (ct status dnat accept): only the VPC's own flows out are the finding's.
    expect(a.flows.filter((x) => f.flows.includes(x.id)).every((x) => x.ingress === I)).toBe(true);
  });
});

describe.skipIf(!LAB_AVAILABLE)('firewalld without its masquerade (lab firewalld-snat-missing)', () => {
  const bundle = useLabOutput('firewalld-snat-missing');

  it("proposes firewalld's masquerade for the outside interface's zone, read from its rules, before an iptables rule", async () => {
    const lab = readLabJson(bundle());
    const a = await analyze([bundle()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['snat-missing', 'confirmed']);
    expect(f.fix[0]).toBe(`firewall-cmd --permanent --zone=external --add-masquerade && firewall-cmd --reload  # firewalld: masquerade what leaves by ${lab.outside} (zone external)`);
    // Not into firewalld's own chains, which its reload rewrites.
    expect(f.fix.some((c) => /^nft .* inet firewalld /.test(c))).toBe(false);
  });
});
