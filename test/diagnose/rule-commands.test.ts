/**
 * Fix commands in the words of the tool that owns the rules: iptables for iptables-save's rules and for the tables
 * iptables-nft made (even when nft listed them: nft would leave rules there iptables-nft cannot read), nft for
 * nftables' own tables — by handle, in the chain as nft names it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/gateway/iptables-save.js';
import { parseNftRuleset } from '../../src/gateway/nft-ruleset.js';
import type { Rule } from '../../src/model/ruleset.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { addRuleCommand, chainTool, chainWriter, deleteRuleCommand, hookChain, isNftRule, listChainCommand, natHookChain, nftNatTo, persistCommands, replaceRuleCommand } from '../../src/diagnose/rule-commands.js';
import { ruleRef } from '../../src/simulate/rule-ref.js';
import { snapshot } from '../simulate/builder.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/gateway/nft');
const IPTABLES_NFT = readFileSync(join(FIXTURES, 'kube-ovn-iptables-nft.nft.txt'), 'utf8');

function withNft(text: string, base: Snapshot = snapshot({ rules: null })): Snapshot {
  return { ...base, nft: parseNftRuleset(text, 'nft.txt', { iptablesGiven: base.rules !== null }).ruleset };
}

function nftRule(s: Snapshot, chain: string, index = 1): Rule {
  const c = s.nft!.baseChains.flatMap((b) => [...b.chains.values()]).find((x) => x.name === chain)!;
  return c.rules.find((r) => r.index === index)!;
}

const NATIVE = `table inet fw {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan3" oifname "up0" accept
    ip saddr 10.9.0.66 drop
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "up1" ip saddr 10.9.0.0/16 masquerade to :40000-40010
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
  }
}`;

describe('rules iptables-nft made, listed by nft', () => {
  const s = withNft(IPTABLES_NFT);

  it('are written back in iptables words, jumps by the bare chain names', () => {
    expect(nftRule(s, 'ip nat SHARED_SNAT').iptables).toEqual({ table: 'nat', chain: 'SHARED_SNAT', spec: '-s 10.0.1.0/24 -o net1 -j SNAT --to-source 203.0.113.10 --random-fully' });
    expect(nftRule(s, 'ip nat SHARED_DNAT').iptables!.spec).toBe('-d 203.0.113.10/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.1.6:80');
    expect(nftRule(s, 'ip nat PREROUTING').iptables).toEqual({ table: 'nat', chain: 'PREROUTING', spec: '-j DNAT_FILTER' });
    expect(nftRule(s, 'ip mangle VPC_MARK').iptables!.spec).toBe('-i eth0 -j MARK --or-mark 0x1');
    expect(nftRule(s, 'ip nat HAIRPIN_SNAT').iptables!.spec).toBe(
      '-o eth0 -m mark --mark 0x1/0x1 -m conntrack --ctstate DNAT -m conntrack --ctorigdst 203.0.113.9/32 -j SNAT --to-source 203.0.113.9 --random-fully',
    );
    // A match natlens does not model (limit): not written.
    expect(nftRule(s, 'ip filter FORWARD', 2).iptables).toEqual({ table: 'filter', chain: 'FORWARD', spec: null });
  });

  it('are changed with iptables: by their options, or by number where natlens cannot write them', () => {
    const snat = ruleRef(nftRule(s, 'ip nat SHARED_SNAT'));
    expect(isNftRule(snat)).toBe(false);
    expect(deleteRuleCommand(snat)).toBe('iptables -t nat -D SHARED_SNAT -s 10.0.1.0/24 -o net1 -j SNAT --to-source 203.0.113.10 --random-fully');
    expect(deleteRuleCommand(ruleRef(nftRule(s, 'ip filter FORWARD', 2)))).toBe('iptables -t filter -D FORWARD 2');
    expect(replaceRuleCommand(snat, (body, syntax) => (syntax === 'iptables' ? body.replace('-o net1', '-o net2') : 'nft words'))).toBe(
      'iptables -t nat -R SHARED_SNAT 1 -s 10.0.1.0/24 -o net1 -j SNAT --to-source 203.0.113.10 --random-fully'.replace('-o net1', '-o net2'),
    );
    // Not written: the rule as iptables prints it, and the change shown in the listing's words.
    expect(replaceRuleCommand(ruleRef(nftRule(s, 'ip filter FORWARD', 2)), (body) => body.replace('10/second', '100/second'))).toBe(
      "iptables -t filter -S FORWARD 2  # the rule in iptables' words; then iptables -t filter -R FORWARD 2 <those options, changed as here: meta l4proto icmp limit rate 100/second counter accept>",
    );
  });

  it('take new rules in iptables words, in the chain as iptables names it', () => {
    expect(chainTool(s, 'nat', 'ip nat SHARED_DNAT')).toEqual({ tool: 'iptables', table: 'nat', chain: 'SHARED_DNAT' });
    expect(natHookChain(s, 'POSTROUTING')).toEqual({ tool: 'iptables', table: 'nat', chain: 'POSTROUTING' });
    expect(hookChain(s, 'filter', 'FORWARD')).toEqual({ tool: 'iptables', table: 'filter', chain: 'FORWARD' });
    expect(addRuleCommand(chainTool(s, 'mangle', 'ip mangle VPC_MARK'), { iptables: '-i eth0 -j MARK --set-xmark 0x1/0x1', nft: 'x' })).toBe('iptables -t mangle -A VPC_MARK -i eth0 -j MARK --set-xmark 0x1/0x1');
    expect(listChainCommand(chainTool(s, 'nat', 'ip nat SHARED_DNAT'))).toBe('iptables -t nat -S SHARED_DNAT');
  });
});

describe("nftables' own rules", () => {
  const s = withNft(NATIVE);

  it('are changed by handle, and new ones added to the chain as nft names it', () => {
    const drop = ruleRef(nftRule(s, 'inet fw forward', 3));
    expect(drop.iptables).toBeUndefined();
    expect(isNftRule(drop)).toBe(true);
    expect(deleteRuleCommand(drop)).toBe("nft -a list chain inet fw forward  # the rule's handle, then: nft delete rule inet fw forward handle <handle>");
    expect(replaceRuleCommand(ruleRef(nftRule(s, 'inet fw post')), (body, syntax) => (syntax === 'nft' ? body.replace(':40000-40010', ':1024-65535') : 'iptables words'))).toBe(
      "nft -a list chain inet fw post  # the rule's handle, then: nft replace rule inet fw post handle <handle> oifname \"up1\" ip saddr 10.9.0.0/16 masquerade to :1024-65535",
    );
    const pre = natHookChain(s, 'PREROUTING');
    expect(pre).toEqual({ tool: 'nft', chain: 'inet fw pre' });
    // An inet table's NAT statement says the family.
    expect(addRuleCommand(pre, { iptables: 'x', nft: `ip daddr 198.51.100.7 tcp dport 443 ${nftNatTo(pre, 'dnat')} 10.9.0.5:443` })).toBe('nft add rule inet fw pre ip daddr 198.51.100.7 tcp dport 443 dnat ip to 10.9.0.5:443');
    expect(addRuleCommand(hookChain(s, 'filter', 'FORWARD'), { iptables: 'x', nft: 'ct state invalid drop' }, true)).toBe('nft insert rule inet fw forward ct state invalid drop');
    expect(listChainCommand(natHookChain(s, 'POSTROUTING'))).toBe('nft -a list chain inet fw post');
  });

  it("give way to iptables' chains where iptables holds the NAT rules", () => {
    const save = parseIptablesSave('*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.9.0.0/16 -o up1 -j MASQUERADE\nCOMMIT\n', 'iptables-save.txt');
    const both = withNft(NATIVE, snapshot({ rules: save.ruleset }));
    expect(natHookChain(both, 'POSTROUTING')).toEqual({ tool: 'iptables', table: 'nat', chain: 'POSTROUTING' });
    // No iptables filter rules: a new FORWARD rule goes where the forward hook's rules are.
    expect(hookChain(both, 'filter', 'FORWARD')).toEqual({ tool: 'nft', chain: 'inet fw forward' });
  });

  it('are persisted by the tools that hold them', () => {
    expect(persistCommands(['nft'])).toEqual([expect.stringMatching(/^nft list ruleset > \/etc\/nftables\.conf /)]);
    expect(persistCommands(['iptables', 'iptables'])).toEqual([expect.stringMatching(/^iptables-save > \/etc\/iptables\/rules\.v4 /)]);
    expect(persistCommands([])).toEqual([]);
  });
});

describe("rules a firewall front end writes", () => {
  const ref = (chain: string, text: string) => ({ file: 'r.txt', line: 3, table: 'filter' as const, chain, index: 2, text, counters: null });

  it('are removed through the front end, which would write them back', () => {
    expect(chainWriter('inet firewalld filter_FWD_internal')).toBe('firewalld');
    expect(chainWriter('ufw-user-forward')).toBe('ufw');
    expect(chainWriter('ip filter ufw-before-forward')).toBe('ufw');
    expect(chainWriter('DOCKER-USER')).toBeNull();
    expect(chainWriter('inet filter forward')).toBeNull();
    expect(deleteRuleCommand(ref('ufw-user-forward', '-A ufw-user-forward -i lan1 -o wan9 -j DROP'))).toBe("ufw status numbered  # the rule's number; then: ufw delete <number>");
    expect(deleteRuleCommand(ref('ufw-before-forward', '-A ufw-before-forward -p icmp -j DROP'))).toMatch(/^# ufw writes this chain from \/etc\/ufw\/before\.rules/);
    expect(deleteRuleCommand(ref('inet firewalld filter_FWD_internal', 'reject with icmpx admin-prohibited'))).toMatch(/^firewall-cmd --list-all-zones; firewall-cmd --list-all-policies /);
  });

  it("never take new rules in firewalld's chains: iptables' instead", () => {
    const fw = withNft(`table inet firewalld {
  chain filter_FORWARD {
    type filter hook forward priority filter + 10; policy accept;
    reject with icmpx admin-prohibited
  }
  chain nat_POSTROUTING {
    type nat hook postrouting priority srcnat + 10; policy accept;
  }
}`);
    expect(hookChain(fw, 'filter', 'FORWARD')).toEqual({ tool: 'iptables', table: 'filter', chain: 'FORWARD' });
    expect(natHookChain(fw, 'POSTROUTING')).toEqual({ tool: 'iptables', table: 'nat', chain: 'POSTROUTING' });
  });
});
