import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/model/address.js';
import { parseRuleOptions } from '../../src/gateway/rule-options.js';
import { tokenize } from '../../src/gateway/tokenize.js';

const parse = (s: string, family: 4 | 6 = 4) => parseRuleOptions(tokenize(s).tokens, family);
const ip = (s: string) => parseIpv4(s);

describe('parseRuleOptions', () => {
  it('reads addresses, interfaces and protocol with negations and wildcards', () => {
    const r = parse('! -s 10.9.0.0/16 -d 1.2.3.4/32 ! -i veth+ -o wan0 -p tcp -m tcp ! --dport 1000:2000 -j ACCEPT');
    expect(r.matches).toEqual([
      { kind: 'src', addr: { cidr: { addr: ip('10.9.0.0'), prefix: 16 }, negate: true } },
      { kind: 'dst', addr: { cidr: { addr: ip('1.2.3.4'), prefix: 32 }, negate: false } },
      { kind: 'in', name: 'veth+', negate: true },
      { kind: 'out', name: 'wan0', negate: false },
      { kind: 'proto', proto: 6, negate: false },
      { kind: 'dport', ranges: [{ lo: 1000, hi: 2000 }], negate: true },
    ]);
    expect(r.target).toEqual({ kind: 'ACCEPT' });
    expect(r.unsure).toEqual([]);
    expect(r.problems).toEqual([]);
  });

  it('accepts the implicit protocol module and the old "--dport ! 80" negation', () => {
    expect(parse('-p udp --dport ! 53 -j DROP').matches).toContainEqual({ kind: 'dport', ranges: [{ lo: 53, hi: 53 }], negate: true });
    expect(parse('-p 17 --sport 5000 -j DROP').matches).toContainEqual({ kind: 'sport', ranges: [{ lo: 5000, hi: 5000 }], negate: false });
  });

  it('reads multiport, icmp, conntrack, state, mark, comment, addrtype and statistic', () => {
    const r = parse(
      '-p tcp -m multiport --dports 80,443,8000:8010 -m conntrack --ctstate RELATED,ESTABLISHED --ctorigdst 198.18.5.10 ' +
        '-m state --state NEW -m mark ! --mark 0x1/0xff -m connmark --mark 7 -m comment --comment "web \\"front\\" door" ' +
        '-m addrtype ! --src-type LOCAL --dst-type LOCAL,UNICAST --limit-iface-in -m statistic --mode random --probability 0.30000000000 -j ACCEPT',
    );
    expect(r.matches).toEqual([
      { kind: 'proto', proto: 6, negate: false },
      { kind: 'dport', ranges: [{ lo: 80, hi: 80 }, { lo: 443, hi: 443 }, { lo: 8000, hi: 8010 }], negate: false },
      { kind: 'ctstate', states: ['RELATED', 'ESTABLISHED'], negate: false },
      { kind: 'ctorigdst', addr: { cidr: { addr: ip('198.18.5.10'), prefix: 32 }, negate: false } },
      { kind: 'ctstate', states: ['NEW'], negate: false },
      { kind: 'mark', value: 1, mask: 0xff, negate: true },
      { kind: 'connmark', value: 7, mask: 0xffffffff, negate: false },
      { kind: 'comment', text: 'web "front" door' },
      { kind: 'addrtype', srcType: ['LOCAL'], negateSrc: true, dstType: ['LOCAL', 'UNICAST'], negateDst: false, limitIfaceIn: true, limitIfaceOut: false },
      { kind: 'statistic', mode: 'random', probability: 0.3, negate: false },
    ]);
    expect(parse('-p icmp -m icmp --icmp-type 3/4 -j ACCEPT').matches[1]).toEqual({ kind: 'icmp-type', type: 3, code: 4, negate: false });
    expect(parse('-p icmp -m icmp ! --icmp-type echo-request -j ACCEPT').matches[1]).toEqual({ kind: 'icmp-type', type: 8, code: -1, negate: true });
    expect(parse('-m statistic --mode nth --every 3 --packet 1 -j DROP').matches).toEqual([
      { kind: 'statistic', mode: 'nth', every: 3, packet: 1, negate: false },
    ]);
  });

  it('reads NAT targets with ranges and flags', () => {
    expect(parse('-j DNAT --to-destination 192.168.77.20-192.168.77.22:8080-8090').target).toEqual({
      kind: 'DNAT',
      to: [{ addrLo: ip('192.168.77.20'), addrHi: ip('192.168.77.22'), portLo: 8080, portHi: 8090 }],
      random: false,
      persistent: false,
    });
    expect(parse('-j SNAT --to-source 203.0.113.72 --random-fully').target).toEqual({
      kind: 'SNAT',
      to: [{ addrLo: ip('203.0.113.72'), addrHi: ip('203.0.113.72'), portLo: 0, portHi: 0 }],
      random: false,
      randomFully: true,
      persistent: false,
    });
    expect(parse('-p tcp -j MASQUERADE --to-ports 20000-30000 --random').target).toEqual({
      kind: 'MASQUERADE',
      ports: { lo: 20000, hi: 30000 },
      random: true,
      randomFully: false,
    });
    expect(parse('-p tcp -j REDIRECT --to-ports 3129').target).toEqual({ kind: 'REDIRECT', ports: { lo: 3129, hi: 3129 } });
    expect(parse('-j REJECT').target).toEqual({ kind: 'REJECT', rejectWith: 'icmp-port-unreachable' });
    expect(parse('-j CT --notrack').target).toEqual({ kind: 'CT', notrack: true, args: ['--notrack'] });
    expect(parse('-j LOG --log-prefix "x y: "').target).toEqual({ kind: 'LOG', args: ['--log-prefix', 'x y: '] });
    expect(parse('-g LOGDROP').target).toEqual({ kind: 'goto', chain: 'LOGDROP' });
    expect(parse('-s 1.2.3.4').target).toEqual({ kind: 'none' });
  });

  it('keeps unknown matches and targets as "may match" with a problem, never failing', () => {
    const r = parse('-m recent --name blocklist --rcheck -m limit --limit 5/min -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu');
    expect(r.matches.filter((m) => m.kind === 'unknown')).toEqual([
      { kind: 'unknown', module: 'recent', args: ['--name', 'blocklist', '--rcheck'] },
      { kind: 'unknown', module: 'limit', args: ['--limit', '5/min'] },
      { kind: 'unknown', module: 'tcp', args: ['--tcp-flags', 'SYN,RST', 'SYN'] },
    ]);
    // A rate limit is uncertain by nature, said by its own match; the others are not modelled at all.
    expect(r.unsure).toEqual(['-m recent --name blocklist --rcheck', '-m tcp --tcp-flags SYN,RST SYN']);
    expect(r.problems).toContain('match "limit" (--limit 5/min) is a rate limit: the rule matches only some packets, which cannot be told from the snapshot');
    expect(r.target).toEqual({ kind: 'unknown', name: 'TCPMSS', args: ['--clamp-mss-to-pmtu'] });
    expect(r.problems.length).toBeGreaterThanOrEqual(4);
    // -m set is read (ipset sets); options of it natlens does not model still make the rule "may match".
    expect(parse('-m set --match-set blocklist src -j DROP').matches).toEqual([{ kind: 'set', name: 'blocklist', flags: ['src'], negate: false, returnNomatch: false }]);
    expect(parse('-m set --match-set blocklist src --packets-gt 5 -j DROP').unsure).toEqual(['-m set --packets-gt 5']);
    const s = parse('-m socket -j ACCEPT');
    expect(s.matches).toEqual([{ kind: 'unknown', module: 'socket', args: [] }]);
    expect(s.unsure).toEqual(['-m socket']);
  });

  it('keeps IPv6 addresses as text', () => {
    expect(parse('-s 2001:db8::/32 -j ACCEPT', 6).matches).toEqual([{ kind: 'src', addr: { cidr: null, v6: '2001:db8::/32', negate: false } }]);
  });

  it('reads -c counters of iptables -S -v', () => {
    expect(parse('-p tcp -c 12 720 -j ACCEPT').counters).toEqual({ packets: 12, bytes: 720 });
  });
});
