/**
 * nftables base chains walked beside iptables' tables, in the kernel's order: every chain of a hook by priority;
 * an accept ends only its own chain (the next one still runs), a drop ends the packet; NAT chains of both kinds
 * share the nat core's slot, by priority, until one has set the connection's mapping.
 */
import { describe, expect, it } from 'vitest';
import { parseNftRuleset } from '../../src/gateway/nft-ruleset.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { SimPacket, Trace } from '../../src/model/trace.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';
import { ip, m, r, ruleset, snapshot, t } from './builder.js';

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
