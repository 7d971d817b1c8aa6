/**
 * `nft list ruleset` read into the rule model the simulator walks: base chains by hook and priority, rules with
 * their matches, sets expanded, verdict maps dispatched, NAT statements as targets, counters and lines kept.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSnapshotFromInputs } from '../../src/gateway/load-snapshot.js';
import { parseNftRuleset } from '../../src/gateway/nft-ruleset.js';
import { parseIpv4 } from '../../src/model/address.js';
import type { Chain, Match, Rule } from '../../src/model/ruleset.js';

const ip = parseIpv4;

const RULESET = `table ip kube-ovn { # handle 7
	map service-ips { # handle 2
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 203.0.113.9 . tcp . 8080 : goto dnat-a,
			     203.0.113.9 . udp . 53 : goto dnat-b }
	}

	chain prerouting { # handle 1
		type nat hook prerouting priority mangle; policy accept;
		ip daddr . meta l4proto . th dport vmap @service-ips # handle 4
	}

	chain dnat-a { # handle 5
		meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.0.1.5 . 80, 1 : 10.0.1.6 . 80 } # handle 6
	}

	chain dnat-b {
		meta l4proto udp dnat ip to 10.0.1.7:5353
	}
}
table inet filter {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 198.51.100.0/24, 192.0.2.7 }
	}

	chain forward {
		type filter hook forward priority filter - 10; policy drop;
		ct state established,related counter packets 67 bytes 4548 accept
		ct state invalid drop
		ip saddr @blocked counter packets 3 bytes 180 drop
		iifname "eth*" oifname != { "lo", "docker0" } tcp dport { 22, 8000-8100 } accept
		ip protocol icmp icmp type echo-request limit rate 10/second accept
		fib daddr type local jump local-in
		reject with icmpx type admin-prohibited
	}

	chain local-in {
		return
	}

	chain postrouting {
		type nat hook postrouting priority srcnat + 5; policy accept;
		oifname "net1" ip saddr != 10.0.0.0/8 masquerade fully-random
		ip saddr 10.0.2.0/24 snat to 203.0.113.10-203.0.113.12:1024-65535 persistent
		ip daddr 10.0.9.9 tcp dport 443 redirect to :8443
	}
}
table ip6 filter6 {
	chain forward {
		type filter hook forward priority 0; policy drop;
	}
}
table ip nat {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		counter packets 0 bytes 0 jump DNAT_FILTER
	}
}
`;

const parsed = (iptablesGiven = true) => parseNftRuleset(RULESET, 'nft.txt', { iptablesGiven });
const base = (name: string, iptablesGiven = true) => parsed(iptablesGiven).ruleset.baseChains.find((b) => b.chain.name === name)!;
const chainOf = (name: string): Chain => {
  for (const b of parsed().ruleset.baseChains) {
    const c = b.chains.get(name);
    if (c) return c;
  }
  throw new Error(`no chain ${name}`);
};
const kinds = (r: Rule): string[] => r.matches.map((m) => m.kind);
const dst = (m: Match | undefined): number | undefined => (m?.kind === 'dst' ? m.addr.cidr?.addr : undefined);

describe('parseNftRuleset', () => {
  it('reads base chains with their hook, numeric priority (named, with arithmetic), policy and the iptables table they stand for', () => {
    const { ruleset, warnings } = parsed();
    expect(warnings).toEqual([]);
    expect(ruleset.baseChains.map((b) => [b.chain.name, b.type, b.hook, b.priority, b.stage, b.chain.policy])).toEqual([
      ['ip kube-ovn prerouting', 'nat', 'PREROUTING', -150, 'nat', 'ACCEPT'],
      ['inet filter forward', 'filter', 'FORWARD', -10, 'filter', 'DROP'],
      ['inet filter postrouting', 'nat', 'POSTROUTING', 105, 'nat', 'ACCEPT'],
    ]);
    expect(base('inet filter forward').chain.source).toEqual({ file: 'nft.txt', line: 28 });
  });

  it('leaves out the families that do not carry IPv4 and iptables-nft\'s own tables when the iptables rules are given', () => {
    expect(parsed().ruleset.skippedTables.map((s) => s.name)).toEqual(['ip6 filter6', 'ip nat']);
    // Without iptables rules, iptables-nft's table is all there is: walked.
    expect(parsed(false).ruleset.baseChains.map((b) => b.chain.name)).toContain('ip nat PREROUTING');
    expect(base('ip nat PREROUTING', false).chain.rules[0]!.target).toEqual({ kind: 'jump', chain: 'ip nat DNAT_FILTER' });
  });

  it('dispatches a verdict map into one rule per element, each matching its key (address . protocol . port)', () => {
    const rules = base('ip kube-ovn prerouting').chain.rules;
    expect(rules).toHaveLength(2);
    expect(rules.map((r) => r.target)).toEqual([
      { kind: 'goto', chain: 'ip kube-ovn dnat-a' },
      { kind: 'goto', chain: 'ip kube-ovn dnat-b' },
    ]);
    expect(dst(rules[0]!.matches.find((m) => m.kind === 'dst'))).toBe(ip('203.0.113.9'));
    expect(rules[1]!.matches).toContainEqual({ kind: 'proto', proto: 17, negate: false });
    expect(rules[1]!.matches).toContainEqual({ kind: 'dport', ranges: [{ lo: 53, hi: 53 }], negate: false });
    // One source line, the handle comment left out; both share the rule's position.
    expect(rules.map((r) => [r.source.line, r.index, r.text])).toEqual([
      [10, 1, 'ip daddr . meta l4proto . th dport vmap @service-ips'],
      [10, 1, 'ip daddr . meta l4proto . th dport vmap @service-ips'],
    ]);
  });

  it('reads DNAT to one of several backends (numgen), to one address and port, and tells the chains a nat chain reaches as nat', () => {
    const a = chainOf('ip kube-ovn dnat-a').rules[0]!;
    expect(a.table).toBe('nat');
    expect(a.target).toEqual({
      kind: 'DNAT',
      to: [
        { addrLo: ip('10.0.1.5'), addrHi: ip('10.0.1.5'), portLo: 80, portHi: 80 },
        { addrLo: ip('10.0.1.6'), addrHi: ip('10.0.1.6'), portLo: 80, portHi: 80 },
      ],
      random: true,
      persistent: false,
    });
    expect(chainOf('ip kube-ovn dnat-b').rules[0]!.target).toMatchObject({ kind: 'DNAT', to: [{ addrLo: ip('10.0.1.7'), portLo: 5353 }] });
  });

  it('reads a filter chain: ct state, named and anonymous sets (a rule per element, one rule for a negated set), counters, limits, reject', () => {
    const rules = base('inet filter forward').chain.rules;
    expect(rules[0]).toMatchObject({ index: 1, counters: { packets: 67, bytes: 4548 }, target: { kind: 'ACCEPT' }, matches: [{ kind: 'ctstate', states: ['ESTABLISHED', 'RELATED'], negate: false }] });
    // @blocked: two elements, two rules with the same counters and line.
    const blocked = rules.filter((r) => r.index === 3);
    expect(blocked.map((r) => (r.matches[0]!.kind === 'src' ? r.matches[0]!.addr.cidr : null))).toEqual([
      { addr: ip('198.51.100.0'), prefix: 24 },
      { addr: ip('192.0.2.7'), prefix: 32 },
    ]);
    expect(blocked.every((r) => r.target.kind === 'DROP' && r.counters?.packets === 3)).toBe(true);
    // iifname "eth*" → eth+; != { lo, docker0 } → both excluded in one rule; dport { 22, 8000-8100 } → two rules.
    const ssh = rules.filter((r) => r.index === 4);
    expect(ssh).toHaveLength(2);
    expect(ssh[0]!.matches.filter((m) => m.kind === 'in' || m.kind === 'out')).toEqual([
      { kind: 'in', name: 'eth+', negate: false },
      { kind: 'out', name: 'lo', negate: true },
      { kind: 'out', name: 'docker0', negate: true },
    ]);
    expect(ssh.map((r) => r.matches.find((m) => m.kind === 'dport'))).toEqual([
      { kind: 'dport', ranges: [{ lo: 22, hi: 22 }], negate: false },
      { kind: 'dport', ranges: [{ lo: 8000, hi: 8100 }], negate: false },
    ]);
    // A rate limit: matches only some packets (the walk says so).
    const icmp = rules.find((r) => r.index === 5)!;
    expect(kinds(icmp)).toEqual(['proto', 'proto', 'icmp-type', 'unknown']);
    expect(icmp.matches[3]).toMatchObject({ kind: 'unknown', module: 'limit' });
    // fib's address type: -m addrtype's match; its jump keeps the table's chain name.
    const fib = rules.find((r) => r.index === 6)!;
    expect(fib.matches).toEqual([{ kind: 'addrtype', dstType: ['LOCAL'], negateSrc: false, negateDst: false, limitIfaceIn: false, limitIfaceOut: false }]);
    expect(fib.target).toEqual({ kind: 'jump', chain: 'inet filter local-in' });
    expect(rules.find((r) => r.index === 7)!.target).toEqual({ kind: 'REJECT', rejectWith: 'icmp-admin-prohibited' });
  });

  it('reads masquerade, SNAT to a range with ports, and redirect', () => {
    const rules = base('inet filter postrouting').chain.rules;
    expect(rules[0]).toMatchObject({
      matches: [
        { kind: 'out', name: 'net1', negate: false },
        { kind: 'src', addr: { cidr: { addr: ip('10.0.0.0'), prefix: 8 }, negate: true } },
      ],
      target: { kind: 'MASQUERADE', ports: null, randomFully: true },
    });
    expect(rules[1]!.target).toEqual({
      kind: 'SNAT',
      to: [{ addrLo: ip('203.0.113.10'), addrHi: ip('203.0.113.12'), portLo: 1024, portHi: 65535 }],
      random: false,
      randomFully: false,
      persistent: true,
    });
    expect(rules[2]!.target).toEqual({ kind: 'REDIRECT', ports: { lo: 8443, hi: 8443 } });
  });

  it('reads firewalld\'s forms: a set of states as one match, IPv6-only rules as never matching IPv4, fib read whole, icmpx rejects', () => {
    const text = `table inet firewalld {
	chain filter_FORWARD {
		type filter hook forward priority filter + 10; policy accept;
		ct state { established, related } accept
		ip6 daddr { ::/96, ::ffff:0.0.0.0/96 } reject with icmpv6 addr-unreachable
		meta nfproto ipv6 fib saddr . mark . iif oif missing drop
		fib saddr . iif oif missing drop
		meta nfproto ipv4 iifname "wan0" reject with icmpx admin-prohibited
	}
}
`;
    const rules = parseNftRuleset(text, 'fw.txt', { iptablesGiven: false }).ruleset.baseChains[0]!.chain.rules;
    expect(rules[0]!.matches).toEqual([{ kind: 'ctstate', states: ['ESTABLISHED', 'RELATED'], negate: false }]);
    const never = { kind: 'proto', proto: 0, negate: true };
    expect(rules[1]!.matches).toEqual([never]);
    expect(rules[2]!.matches).toEqual([never, { kind: 'unknown', module: 'nft', args: ['fib saddr . mark . iif oif missing'] }]);
    expect(rules[3]!.matches).toEqual([{ kind: 'unknown', module: 'nft', args: ['fib saddr . iif oif missing'] }]);
    expect(rules[4]).toMatchObject({ matches: [{ kind: 'in', name: 'wan0', negate: false }], target: { kind: 'REJECT', rejectWith: 'icmp-admin-prohibited' } });
  });

  it('reads marks as nft prints them: set, or-ed, saved to the connection; matched with a mask, negated, on the connection', () => {
    const text = `table ip m {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		iifname "lan0" meta mark set 0x00000001
		meta mark set meta mark | 0x00000002
		ct mark set meta mark
		meta mark & 0x00000001 == 0x00000001 counter packets 0 bytes 0 accept
		meta mark != 0x00000004 accept
		ct mark 0x00000007 accept
	}
}
`;
    const rules = parseNftRuleset(text, 'm.txt', { iptablesGiven: false }).ruleset.baseChains[0]!.chain.rules;
    expect(rules.map((r) => r.target)).toEqual([
      { kind: 'MARK', args: ['--set-xmark', '0x1/0xffffffff'] },
      { kind: 'MARK', args: ['--or-mark', '0x2'] },
      { kind: 'CONNMARK', args: ['--save-mark'] },
      { kind: 'ACCEPT' },
      { kind: 'ACCEPT' },
      { kind: 'ACCEPT' },
    ]);
    expect(rules.slice(3).map((r) => r.matches)).toEqual([
      [{ kind: 'mark', value: 1, mask: 1, negate: false }],
      [{ kind: 'mark', value: 4, mask: 0xffffffff, negate: true }],
      [{ kind: 'connmark', value: 7, mask: 0xffffffff, negate: false }],
    ]);
  });

  it('reads stateless rewrites (ip daddr set, ip saddr set, th dport set) as the SET target, the rule\'s matches kept', () => {
    const text = `table ip kube_ovn_stateless_nat {
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		ip daddr 203.0.113.9 notrack
		ip daddr 203.0.113.9 ip daddr set 10.0.1.5
		ip daddr 10.0.1.5 tcp dport 8080 tcp dport set 80
	}
	chain postrouting {
		type filter hook postrouting priority 100; policy accept;
		ip saddr 10.0.1.5 ip saddr set 203.0.113.9
	}
}
`;
    const [pre, post] = parseNftRuleset(text, 's.txt', { iptablesGiven: true }).ruleset.baseChains.map((b) => b.chain.rules);
    expect(pre!.map((r) => r.target)).toEqual([
      { kind: 'NOTRACK' },
      { kind: 'SET', field: 'daddr', value: ip('10.0.1.5') },
      { kind: 'SET', field: 'dport', value: 80 },
    ]);
    expect(pre![1]!.matches).toEqual([{ kind: 'dst', addr: { cidr: { addr: ip('203.0.113.9'), prefix: 32 }, negate: false } }]);
    expect(post![0]!.target).toEqual({ kind: 'SET', field: 'saddr', value: ip('203.0.113.9') });
  });

  it('names a header it cannot read, with its line, and goes on', () => {
    const r = parseNftRuleset('table ip\n\ttable inet t {\n chain c {\n type filter hook forward priority nonsense; policy accept;\n }\n}\n', 'bad.txt', { iptablesGiven: false });
    expect(r.warnings.map((w) => [w.line, w.code])).toEqual([[1, 'parse'], [4, 'parse']]);
  });
});

describe('nftables in a snapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natlens-nft-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const save = '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o net1 -j MASQUERADE\nCOMMIT\n';

  it('is read from its own file and from a section of a combined one, cited at that file\'s lines', () => {
    writeFileSync(join(dir, 'nft.txt'), RULESET);
    const alone = loadSnapshotFromInputs([join(dir, 'nft.txt')]);
    expect(alone.files).toEqual([{ path: join(dir, 'nft.txt'), kind: 'nftables' }]);
    // Without iptables rules, iptables-nft's own table is walked too.
    expect(alone.nft!.baseChains.map((b) => b.chain.name)).toContain('ip nat PREROUTING');
    writeFileSync(join(dir, 'state.log'), `$ iptables-save -c\n${save}\n$ nft list ruleset\n${RULESET}`);
    const both = loadSnapshotFromInputs([join(dir, 'state.log')]);
    expect(both.files).toEqual([{ path: join(dir, 'state.log'), kind: 'combined', sections: ['iptables-save', 'nftables'] }]);
    expect(both.nft!.baseChains.map((b) => b.chain.name)).toEqual(['ip kube-ovn prerouting', 'inet filter forward', 'inet filter postrouting']);
    // The forward chain's header is line 28 of the ruleset, which starts on line 9 of the combined file.
    expect(both.nft!.baseChains[1]!.chain.source).toEqual({ file: join(dir, 'state.log'), line: 36 });
  });

  it("reads iptables-nft's tables the iptables rules given do not hold (a listing of the nat table alone)", () => {
    const listing = `table ip nat {
	chain POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "net1" counter packets 0 bytes 0 masquerade
	}
}
table ip filter {
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
	}
}
`;
    writeFileSync(join(dir, 'nat-only.log'), `$ iptables-save -c -t nat\n${save}\n$ nft list ruleset\n${listing}`);
    const s = loadSnapshotFromInputs([join(dir, 'nat-only.log')]);
    // nat from iptables-save (not twice); filter, which it does not list, from nft — iptables' words for its fixes.
    expect(s.nft!.baseChains.map((b) => b.chain.name)).toEqual(['ip filter FORWARD']);
    expect(s.nft!.baseChains[0]!.chain.policy).toBe('DROP');
    expect(s.nft!.iptablesTables).toEqual(['filter']);
    expect(s.nft!.skippedTables.map((t) => t.name)).toEqual(['ip nat']);
  });

  it('as JSON (nft -j) is refused, saying which form to give (set aside in a bundle)', () => {
    writeFileSync(join(dir, 'nft.json'), '{"nftables": [{"metainfo": {"version": "1.0.6"}}]}\n');
    expect(() => loadSnapshotFromInputs([join(dir, 'nft.json')])).toThrow(/nft -j list ruleset.*give the text form, nft list ruleset/);
  });
});

describe('fib address-type lookups', () => {
  const rules = (line: string) => parseNftRuleset(`table inet t {\n chain c {\n type filter hook forward priority 0; policy accept;\n ${line}\n }\n}\n`, 'fib.txt', { iptablesGiven: false }).ruleset.baseChains[0]!.chain.rules;

  it('reads `fib saddr|daddr [. iif|oif] type [!=] T` as -m addrtype does', () => {
    expect(rules('fib daddr type local accept')[0]!.matches).toEqual([{ kind: 'addrtype', dstType: ['LOCAL'], negateSrc: false, negateDst: false, limitIfaceIn: false, limitIfaceOut: false }]);
    expect(rules('fib saddr . oif type local masquerade')[0]!.matches).toEqual([{ kind: 'addrtype', srcType: ['LOCAL'], negateSrc: false, negateDst: false, limitIfaceIn: false, limitIfaceOut: true }]);
    expect(rules('fib daddr . iif type != { broadcast, multicast } drop')[0]!.matches).toEqual([
      { kind: 'addrtype', dstType: ['BROADCAST', 'MULTICAST'], negateSrc: false, negateDst: true, limitIfaceIn: true, limitIfaceOut: false },
    ]);
  });

  it('leaves the other lookups unmodelled, read whole', () => {
    expect(rules('fib saddr . iif oif missing drop')[0]!.matches).toEqual([{ kind: 'unknown', module: 'nft', args: ['fib saddr . iif oif missing'] }]);
    expect(rules('fib daddr . mark type local accept')[0]!.matches).toEqual([{ kind: 'unknown', module: 'nft', args: ['fib daddr . mark type local'] }]);
  });
});

describe('address ranges', () => {
  const rules = (text: string) => parseNftRuleset(text, 'r.txt', { iptablesGiven: false }).ruleset.baseChains[0]!.chain.rules;
  const chain = (body: string, sets = '') => `table inet t {\n${sets}\n chain c {\n type filter hook forward priority 0; policy accept;\n ${body}\n }\n}\n`;
  const cidr = (m: Match) => (m.kind === 'src' || m.kind === 'dst' ? `${m.addr.negate ? '!' : ''}${m.kind} ${m.addr.cidr!.addr >>> 24}.${(m.addr.cidr!.addr >>> 16) & 255}.${(m.addr.cidr!.addr >>> 8) & 255}.${m.addr.cidr!.addr & 255}/${m.addr.cidr!.prefix}` : m.kind);

  it('read as the prefixes that cover them: one rule per prefix, or one rule excluding them all', () => {
    expect(rules(chain('ip saddr 10.0.0.1-10.0.0.9 accept')).map((r) => r.matches.map(cidr))).toEqual([['src 10.0.0.1/32'], ['src 10.0.0.2/31'], ['src 10.0.0.4/30'], ['src 10.0.0.8/31']]);
    expect(rules(chain('ip daddr != 192.168.1.0-192.168.2.255 drop')).map((r) => r.matches.map(cidr))).toEqual([['!dst 192.168.1.0/24', '!dst 192.168.2.0/24']]);
  });

  it('in interval sets, beside prefixes and single addresses', () => {
    const sets = ' set blocked {\n type ipv4_addr\n flags interval\n elements = { 10.9.0.0/24, 10.9.1.5-10.9.1.6, 10.9.2.7 }\n }';
    expect(rules(chain('ip saddr @blocked drop', sets)).map((r) => r.matches.map(cidr))).toEqual([['src 10.9.0.0/24'], ['src 10.9.1.5/32'], ['src 10.9.1.6/32'], ['src 10.9.2.7/32']]);
  });
});
