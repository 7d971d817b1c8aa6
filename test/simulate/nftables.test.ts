/**
 * nftables base chains walked beside iptables' tables, in the kernel's order: every chain of a hook by priority;
 * an accept ends only its own chain (the next one still runs), a drop ends the packet; NAT chains of both kinds
 * share the nat core's slot, by priority, until one has set the connection's mapping.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/gateway/iptables-save.js';
import { parseNftRuleset } from '../../src/gateway/nft-ruleset.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { SimPacket, Trace } from '../../src/model/trace.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { chainLabel } from '../../src/simulate/rule-ref.js';
import { simulate } from '../../src/simulate/simulate.js';
import { iface, ip, m, r, route, ruleset, snapshot, t } from './builder.js';

/** An outside client to the EIP 100.64.9.2, TCP port 8080. */
function inbound(o: Partial<SimPacket> = {}): SimPacket {
  return simPacket({ ingress: 'wan9', src: ip('198.18.0.9'), dst: ip('100.64.9.2'), proto: 6, sport: 40000, dport: 8080, ...o });
}

function withNft(base: Snapshot, text: string): Snapshot {
  const { ruleset: nft } = parseNftRuleset(text, 'nft.txt', { iptablesGiven: base.rules !== null });
  return { ...base, nft };
}

function dnatTo(tr: Trace): string | null {
  const d = tr.disposition;
  return d.kind === 'forwarded' ? `${d.out.dst >>> 24}.${(d.out.dst >>> 16) & 255}.${(d.out.dst >>> 8) & 255}.${d.out.dst & 255}:${d.out.dport}` : null;
}

const NAT_150 = `table ip lb {
  chain prerouting {
    type nat hook prerouting priority -150; policy accept;
    ip daddr 100.64.9.2 tcp dport 8080 dnat to 192.168.7.30:80
  }
}`;

describe('simulate with nftables', () => {
  const iptablesDnat = ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.40:80'), m.dst('100.64.9.2/32'), m.proto(6), m.dport(8080))]] } });

  it('a nat chain of priority −150 maps the connection before iptables\' nat PREROUTING, which then does not run', () => {
    const tr = simulate(inbound(), withNft(snapshot({ rules: iptablesDnat }), NAT_150));
    expect(dnatTo(tr)).toBe('192.168.7.30:80');
    expect(tr.rewrites.map((w) => w.rule.chain)).toEqual(['ip lb prerouting']);
    expect(tr.steps.some((s) => s.table === 'nat' && s.chain === 'PREROUTING')).toBe(false);
    // The rule is cited where nft listed it.
    expect(tr.rewrites[0]!.rule).toMatchObject({ file: 'nft.txt', line: 4, table: 'nat' });
  });

  it("Docker's port forward in iptables-nft's words (fib daddr type local): DNATs what comes for the gateway's own address, not what passes through", () => {
    const docker = `table ip nat {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter packets 0 bytes 0 jump DOCKER
	}
	chain DOCKER {
		iifname "docker0" counter packets 0 bytes 0 return
		iifname != "docker0" tcp dport 8080 counter packets 0 bytes 0 dnat to 192.168.7.30:80
	}
}`;
    const s = withNft(snapshot({ rules: null }), docker);
    const tr = simulate(inbound(), s);
    expect(dnatTo(tr)).toBe('192.168.7.30:80');
    expect(tr.unsure).toBe(false);
    expect(tr.steps.find((x) => x.chain === 'ip nat PREROUTING')?.verdict).toBe('jump');
    // To an address the gateway does not hold: no jump, no DNAT.
    const through = simulate(inbound({ dst: ip('192.168.7.40') }), s);
    expect(through.rewrites).toEqual([]);
    expect(through.unsure).toBe(false);
  });

  it('a nat chain of priority 0 comes after iptables\' (−100), whose DNAT wins', () => {
    const tr = simulate(inbound(), withNft(snapshot({ rules: iptablesDnat }), NAT_150.replace('priority -150', 'priority 0')));
    expect(dnatTo(tr)).toBe('192.168.7.40:80');
  });

  it('an nftables nat chain that does not match leaves the mapping to iptables', () => {
    const tr = simulate(inbound({ dport: 9090 }), withNft(snapshot({ rules: ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.40:80'), m.dst('100.64.9.2/32'))]] } }) }), NAT_150));
    expect(dnatTo(tr)).toBe('192.168.7.40:80');
  });

  it('accept in an nftables forward chain ends that chain only: iptables\' FORWARD DROP, after it, still drops', () => {
    const nft = `table inet fw {
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    ip saddr 192.168.7.0/24 accept
  }
}`;
    const s = withNft(snapshot({ rules: ruleset({ filter: { FORWARD: ['DROP', []] } }) }), nft);
    const tr = simulate(simPacket({ ingress: 'lan0', src: ip('192.168.7.20'), dst: ip('198.18.0.9'), proto: 1, icmpId: 7 }), s);
    expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain' });
    expect(tr.steps.filter((x) => x.stage === 'filter').map((x) => [x.chain, x.verdict])).toEqual([
      ['inet fw forward', 'ACCEPT'],
      ['FORWARD', 'policy DROP'],
    ]);
  });

  it('an nftables forward chain with policy drop drops what no rule accepts, cited at the chain', () => {
    const nft = `table inet fw {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "wan9" oifname "lan0" tcp dport 80 accept
  }
}`;
    const s = withNft(snapshot(), nft);
    const tr = simulate(simPacket({ ingress: 'lan0', src: ip('192.168.7.20'), dst: ip('198.18.0.9'), proto: 1, icmpId: 7 }), s);
    expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain', source: { file: 'nft.txt', line: 2 } });
    expect(tr.assumptions.some((a) => a.includes('no iptables rules'))).toBe(false);
  });

  it('DNAT to one of several backends says the first is a guess: any of them may be seen', () => {
    const nft = `table ip lb {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 100.64.9.2 tcp dport 8080 dnat ip to numgen random mod 2 map { 0 : 192.168.7.30 . 80, 1 : 192.168.7.31 . 80 }
  }
}`;
    const tr = simulate(inbound(), withNft(snapshot(), nft));
    expect(dnatTo(tr)).toBe('192.168.7.30:80');
    expect(tr.mayMatch).toMatchObject([{ target: 'DNAT', drops: false, why: 'DNAT picks one of 2 destinations per connection' }]);
  });
});

describe('stateless NAT in nftables', () => {
  const nft = `table ip st {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    ip daddr 100.64.9.2 notrack
    ip daddr 100.64.9.2 ip daddr set 192.168.7.30
    ip daddr 192.168.7.30 counter
  }
}`;
  it('rewrites the destination where it stands, untracked, and the walk goes on (iptables\' nat is skipped)', () => {
    const s = withNft(snapshot({ rules: ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.40:80'), m.dst('100.64.9.2/32'))]] } }) }), nft);
    const tr = simulate(inbound(), s);
    expect(dnatTo(tr)).toBe('192.168.7.30:8080');
    expect(tr.rewrites.map((w) => [w.kind, w.rule.chain])).toEqual([['DNAT', 'ip st prerouting']]);
    // The rule after the rewrite saw the new address.
    expect(tr.steps.filter((x) => x.chain === 'ip st prerouting').map((x) => x.verdict)).toEqual(['NOTRACK', 'SET', 'continue', 'policy ACCEPT']);
    expect(tr.steps.some((x) => x.stage === 'conntrack' && x.verdict === 'UNTRACKED')).toBe(true);
  });
});

describe('an nftables rule with statements before its verdict', () => {
  it('applies them in order, then the verdict: a mark set and accepted, a rewrite and accepted', () => {
    const nft = `table inet fw {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    iifname "wan9" meta mark set 0x00000007 accept
  }
  chain st {
    type filter hook prerouting priority raw; policy accept;
    ip daddr 100.64.9.2 tcp dport 8080 notrack ip daddr set 192.168.7.30 counter accept
  }
  chain fwd {
    type filter hook forward priority filter; policy drop;
    meta mark 0x00000007 accept
  }
}`;
    const { ruleset: parsed } = parseNftRuleset(nft, 'nft.txt', { iptablesGiven: false });
    const st = parsed.baseChains.find((b) => b.chain.name === 'inet fw st')!.chain.rules[0]!;
    expect([st.pre, st.target]).toEqual([[{ kind: 'NOTRACK' }, { kind: 'SET', field: 'daddr', value: ip('192.168.7.30') }], { kind: 'ACCEPT' }]);
    const tr = simulate(inbound(), withNft(snapshot(), nft));
    // Rewritten and untracked before routing; marked in mangle, so the forward chain's policy drop lets it through.
    expect(dnatTo(tr)).toBe('192.168.7.30:8080');
    expect(tr.steps.filter((x) => x.chain?.startsWith('inet fw ')).map((x) => x.verdict)).toEqual(['NOTRACK', 'SET', 'ACCEPT', 'MARK', 'ACCEPT', 'ACCEPT']);
  });
});

describe('the same rules listed by iptables-nft-save and by nft list ruleset', () => {
  // Kube-OVN's chains (with VPC_MARK and HAIRPIN_SNAT) made with iptables-nft in a namespace, listed both ways.
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/gateway/nft');
  const host = snapshot({
    interfaces: [iface('eth0', ['10.0.1.254/24']), iface('net1', ['203.0.113.9/24'], { secondary: ['203.0.113.10/24'] })],
    routes: [route('default', { via: '203.0.113.1', dev: 'net1' }), route('10.0.1.0/24', { dev: 'eth0' }), route('203.0.113.0/24', { dev: 'net1' })],
    sysctls: { 'net.ipv4.ip_forward': '1' },
  });
  const bySave = { ...host, rules: parseIptablesSave(readFileSync(join(dir, 'kube-ovn-iptables-nft.save.txt'), 'utf8'), 'save.txt').ruleset };
  const byNft = { ...host, nft: parseNftRuleset(readFileSync(join(dir, 'kube-ovn-iptables-nft.nft.txt'), 'utf8'), 'nft.txt', { iptablesGiven: false }).ruleset };
  const packets: [string, SimPacket][] = [
    ['floating IP in', simPacket({ ingress: 'net1', src: ip('198.51.100.7'), dst: ip('203.0.113.9'), proto: 1, icmpId: 9 })],
    ['floating IP out', simPacket({ ingress: 'eth0', src: ip('10.0.1.5'), dst: ip('198.51.100.7'), proto: 6, sport: 40000, dport: 443 })],
    ['port forward', simPacket({ ingress: 'net1', src: ip('198.51.100.7'), dst: ip('203.0.113.10'), proto: 6, sport: 40001, dport: 8080 })],
    ['shared SNAT', simPacket({ ingress: 'eth0', src: ip('10.0.1.77'), dst: ip('198.51.100.7'), proto: 17, sport: 5000, dport: 53 })],
    ['hairpin (marked, DNATed, back out eth0)', simPacket({ ingress: 'eth0', src: ip('10.0.1.6'), dst: ip('203.0.113.9'), proto: 6, sport: 40002, dport: 80 })],
  ];
  it.each(packets)('%s: the same fate and the same translation', (_name, p) => {
    const a = simulate(p, bySave);
    const b = simulate(p, byNft);
    expect(b.disposition).toEqual(a.disposition);
    expect(b.rewrites.map((w) => [w.kind, w.after])).toEqual(a.rewrites.map((w) => [w.kind, w.after]));
    expect(b.steps.filter((s) => s.verdict === 'MARK').length).toBe(a.steps.filter((s) => s.verdict === 'MARK').length);
    if (_name.startsWith('hairpin')) expect(b.rewrites.map((w) => w.kind)).toEqual(['DNAT', 'SNAT']);
  });
});

describe('chainLabel', () => {
  it('names an nftables chain as nft does, an iptables one by its table', () => {
    expect(chainLabel('filter', 'inet filter forward')).toBe('nft inet filter forward');
    expect(chainLabel('security', 'ip kube_ovn_stateless_nat postrouting', '/')).toBe('nft ip kube_ovn_stateless_nat postrouting');
    expect(chainLabel('nat', 'POSTROUTING')).toBe('nat POSTROUTING');
    expect(chainLabel('filter', 'FORWARD', '/')).toBe('filter/FORWARD');
  });

  it('is what the walk says of an nftables chain\'s end and drops', () => {
    const nft = `table inet fw {
  chain forward {
    type filter hook forward priority filter; policy drop;
  }
}`;
    const tr = simulate(simPacket({ ingress: 'lan0', src: ip('192.168.7.20'), dst: ip('198.18.0.9'), proto: 1, icmpId: 7 }), withNft(snapshot(), nft));
    expect(tr.steps.find((x) => x.chain === 'inet fw forward')!.note).toBe('end of nft inet fw forward: policy DROP');
    expect(tr.disposition).toMatchObject({ kind: 'dropped', note: 'nft inet fw forward policy DROP' });
  });
});
