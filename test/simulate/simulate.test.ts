import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { SimPacket, Trace } from '../../src/model/trace.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate, type SimulateOptions } from '../../src/simulate/simulate.js';
import { iface, ip, m, neigh, r, route, RULES_FILE, ruleset, snapshot, t } from './builder.js';

/** Inside host → internet ping, the default packet of these tests. */
function pkt(o: Partial<SimPacket> & { src?: number; dst?: number } = {}): SimPacket {
  return simPacket({ ingress: 'lan0', src: ip('192.168.7.20'), dst: ip('198.18.0.9'), proto: 1, icmpId: 4242, ...o });
}

function run(s: Snapshot, p: SimPacket = pkt(), o?: SimulateOptions): Trace {
  return simulate(p, s, o);
}

function fwd(tr: Trace) {
  if (tr.disposition.kind !== 'forwarded') throw new Error(`expected forwarded, got ${JSON.stringify(tr.disposition)}`);
  return tr.disposition;
}

function drop(tr: Trace) {
  if (tr.disposition.kind !== 'dropped') throw new Error(`expected dropped, got ${JSON.stringify(tr.disposition)}`);
  return tr.disposition;
}

const A = ip;

describe('simulate: forwarding without rules', () => {
  it('forwards by the default route and says it assumed no rules', () => {
    const tr = run(snapshot());
    const d = fwd(tr);
    expect(d.egress).toBe('wan9');
    expect(d.nextHop).toBe(A('100.64.9.1'));
    expect(d.out).toEqual({ src: A('192.168.7.20'), dst: A('198.18.0.9'), sport: 4242, dport: 0 });
    expect(tr.rewrites).toEqual([]);
    expect(tr.assumptions.some((a) => a.includes('no iptables rules'))).toBe(true);
    expect(tr.steps.map((s) => s.stage)).toEqual(['conntrack', 'routing', 'forwarding', 'mtu', 'neighbour']);
  });

  it('is deterministic', () => {
    const s = snapshot({ rules: ruleset({ nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7', { randomFully: true }), m.out('wan9'))]] } }) });
    expect(run(s)).toEqual(run(s));
  });
});

describe('simulate: NAT targets', () => {
  const cases: { name: string; rules: Parameters<typeof ruleset>[0]; p?: SimPacket; snap?: Parameters<typeof snapshot>[0]; out: [string, number, string, number]; egress: string; mayChange: boolean; kinds: string[] }[] = [
    {
      name: 'SNAT --to-source on -s/-o',
      rules: { nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7'), m.src('192.168.7.0/24'), m.out('wan9'))]] } },
      out: ['100.64.9.7', 4242, '198.18.0.9', 0],
      egress: 'wan9',
      mayChange: false,
      kinds: ['SNAT'],
    },
    {
      name: 'SNAT --random-fully remaps the echo id',
      rules: { nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7', { randomFully: true }), m.out('wan+'))]] } },
      out: ['100.64.9.7', 4242, '198.18.0.9', 0],
      egress: 'wan9',
      mayChange: true,
      kinds: ['SNAT'],
    },
    {
      name: 'SNAT to an address range with ports takes the first of each',
      rules: { nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7-100.64.9.9:2000-3000'))]] } },
      p: pkt({ proto: 17, sport: 5000, dport: 53 }),
      out: ['100.64.9.7', 2000, '198.18.0.9', 53],
      egress: 'wan9',
      mayChange: true,
      kinds: ['SNAT'],
    },
    {
      name: 'SNAT skipped for a non-matching -o',
      rules: { nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7'), m.out('!wan9'))]] } },
      out: ['192.168.7.20', 4242, '198.18.0.9', 0],
      egress: 'wan9',
      mayChange: false,
      kinds: [],
    },
    {
      name: 'MASQUERADE takes the primary address in the next hop subnet, never a secondary',
      rules: { nat: { POSTROUTING: ['ACCEPT', [r(t.masquerade(), m.out('wan9'))]] } },
      snap: {
        interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['10.99.0.5/16', '100.64.9.2/24'], { secondary: ['100.64.9.3/24'] })],
      },
      out: ['100.64.9.2', 4242, '198.18.0.9', 0],
      egress: 'wan9',
      mayChange: false,
      kinds: ['MASQUERADE'],
    },
    {
      name: 'MASQUERADE falls back to the first primary address',
      rules: { nat: { POSTROUTING: ['ACCEPT', [r(t.masquerade({ ports: [1024, 2048] }), m.out('wan9'))]] } },
      snap: { interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['10.99.0.5/16', '10.98.0.5/16'])] },
      p: pkt({ proto: 6, sport: 40000, dport: 443 }),
      out: ['10.99.0.5', 1024, '198.18.0.9', 443],
      egress: 'wan9',
      mayChange: true,
      kinds: ['MASQUERADE'],
    },
    {
      name: 'DNAT address:port then out the inside',
      rules: { nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.30:80'), m.dst('100.64.9.2'), m.proto(6), m.dport(8080))]] } },
      p: pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2'), proto: 6, sport: 33333, dport: 8080 }),
      out: ['100.64.9.50', 33333, '192.168.7.30', 80],
      egress: 'lan0',
      mayChange: false,
      kinds: ['DNAT'],
    },
    {
      name: 'DNAT to a port range sets portsMayChange',
      rules: { nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.30:80-90'), m.proto(6))]] } },
      p: pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2'), proto: 6, sport: 33333, dport: 8080 }),
      out: ['100.64.9.50', 33333, '192.168.7.30', 80],
      egress: 'lan0',
      mayChange: true,
      kinds: ['DNAT'],
    },
    {
      name: 'DNAT of ICMP keeps the echo id; then SNAT in POSTROUTING does not match the outside source',
      rules: {
        nat: {
          PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.40'), m.dst('100.64.9.2'))]],
          POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.2'), m.src('192.168.7.0/24'))]],
        },
      },
      p: pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2') }),
      out: ['100.64.9.50', 4242, '192.168.7.40', 0],
      egress: 'lan0',
      mayChange: false,
      kinds: ['DNAT'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const tr = run(snapshot({ rules: ruleset(c.rules), ...(c.snap ?? {}) }), c.p ?? pkt());
      const d = fwd(tr);
      expect([d.out.src, d.out.sport, d.out.dst, d.out.dport]).toEqual([A(c.out[0]), c.out[1], A(c.out[2]), c.out[3]]);
      expect(d.egress).toBe(c.egress);
      expect(d.portsMayChange).toBe(c.mayChange);
      expect(tr.rewrites.map((x) => x.kind)).toEqual(c.kinds);
      for (const rw of tr.rewrites) {
        expect(rw.rule.file).toBe(RULES_FILE);
        expect(rw.before).not.toEqual(rw.after);
      }
    });
  }

  it('DNAT to an address range picks the first and marks the step unsure', () => {
    const s = snapshot({ rules: ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.30-192.168.7.39'))]] } }) });
    const tr = run(s, pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2') }));
    expect(fwd(tr).out.dst).toBe(A('192.168.7.30'));
    expect(tr.unsure).toBe(true);
    expect(tr.steps.find((x) => x.verdict === 'DNAT')?.unsure).toBe(true);
  });

  it('REDIRECT sends the packet to the ingress interface address: local', () => {
    const s = snapshot({ rules: ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.redirect([3128, 3128]), m.proto(6), m.dport(80))]] } }) });
    const tr = run(s, pkt({ proto: 6, sport: 5555, dport: 80 }));
    expect(tr.disposition).toMatchObject({ kind: 'local', out: { dst: A('192.168.7.1'), dport: 3128 } });
    expect(tr.rewrites[0]).toMatchObject({ kind: 'REDIRECT' });
  });

  it('MASQUERADE on an interface without an address drops the packet', () => {
    const s = snapshot({ rules: ruleset({ nat: { POSTROUTING: ['ACCEPT', [r(t.masquerade())]] } }), interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', [])] });
    const d = drop(run(s));
    expect(d.reason).toBe('postrouting-chain');
  });
});

describe('simulate: chain traversal', () => {
  it('goto does not return to the chain that did it; jump does', () => {
    const s = snapshot({
      rules: ruleset({
        nat: {
          PREROUTING: ['ACCEPT', [r(t.jump('A')), r(t.dnat('192.168.7.50'))]],
          A: [null, [r(t.goto('B')), r(t.dnat('192.168.7.60'))]],
          B: [null, [r(t.log())]],
        },
      }),
    });
    const tr = run(s, pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2') }));
    expect(fwd(tr).out.dst).toBe(A('192.168.7.50'));
    expect(tr.steps.filter((x) => x.table === 'nat').map((x) => x.verdict)).toEqual(['jump', 'goto', 'LOG', 'DNAT']);
  });

  it('goto from a built-in chain ends in its policy', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['DROP', [r(t.goto('G')), r(t.accept())]], G: [null, []] } }) });
    const d = drop(run(s));
    expect(d.reason).toBe('forward-chain');
    expect(d.rule).toBeNull();
    expect(d.source).toEqual({ file: RULES_FILE, line: 1 });
  });

  it('RETURN in a user chain resumes the caller; in the built-in chain applies the policy', () => {
    const s = snapshot({
      rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.jump('U')), r(t.ret()), r(t.drop())]], U: [null, [r(t.ret()), r(t.drop())]] } }),
    });
    const tr = run(s);
    fwd(tr);
    expect(tr.steps.filter((x) => x.table === 'filter').map((x) => x.verdict)).toEqual(['jump', 'RETURN', 'RETURN', 'policy ACCEPT']);
  });

  it('a jump loop is not followed forever', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.jump('L1'))]], L1: [null, [r(t.jump('L2'))]], L2: [null, [r(t.jump('L1'))]] } }) });
    const tr = run(s);
    fwd(tr);
    expect(tr.unsure).toBe(true);
  });

  it('a goto loop ends as unknown', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.goto('L1'))]], L1: [null, [r(t.goto('L2'))]], L2: [null, [r(t.goto('L1'))]] } }) });
    expect(run(s).disposition.kind).toBe('unknown');
  });

  it('a jump to a chain the snapshot lacks is assumed a no-op, and said', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.jump('GONE')), r(t.drop(), m.proto(17))]] } }) });
    const tr = run(s);
    fwd(tr);
    expect(tr.assumptions.some((a) => a.includes('GONE'))).toBe(true);
  });

  it('non-terminating targets (LOG, counting rule, unknown) continue', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.log()), r(t.none()), r(t.unknown('TCPMSS')), r(t.drop())]] } }) });
    const tr = run(s);
    expect(drop(tr).rule?.line).toBe(5);
    expect(tr.steps.filter((x) => x.table === 'filter').map((x) => x.verdict)).toEqual(['LOG', 'continue', 'TCPMSS', 'DROP']);
  });
});

describe('simulate: matches', () => {
  // Each case: a FORWARD chain whose first rule DROPs when the match holds; `hits` says whether it should.
  const udp = pkt({ proto: 17, sport: 5353, dport: 53 });
  const tcp = pkt({ proto: 6, sport: 40000, dport: 443 });
  const cases: { name: string; match: ReturnType<typeof m.src>[]; p?: SimPacket; hits: boolean }[] = [
    { name: '-s cidr', match: [m.src('192.168.7.0/24')], hits: true },
    { name: '! -s cidr', match: [m.src('!192.168.7.0/24')], hits: false },
    { name: '-d host', match: [m.dst('198.18.0.9/32')], hits: true },
    { name: '! -d other', match: [m.dst('!10.0.0.0/8')], hits: true },
    { name: '-i exact', match: [m.in('lan0')], hits: true },
    { name: '-i wildcard', match: [m.in('lan+')], hits: true },
    { name: '! -i wildcard', match: [m.in('!lan+')], hits: false },
    { name: '-o exact', match: [m.out('wan9')], hits: true },
    { name: '-o other', match: [m.out('wan8')], hits: false },
    { name: '-p 0 (all)', match: [m.proto(0)], hits: true },
    { name: '-p 1', match: [m.proto(1)], hits: true },
    { name: '-p 6 on icmp', match: [m.proto(6)], hits: false },
    { name: '! -p 6 on icmp', match: [m.proto(6, true)], hits: true },
    { name: '--dport', match: [m.proto(17), m.dport(53)], p: udp, hits: true },
    { name: '--dport range', match: [m.proto(6), m.dport(400, 500)], p: tcp, hits: true },
    { name: '! --dport', match: [m.proto(6), m.dport(443, 443, true)], p: tcp, hits: false },
    { name: '--sport range', match: [m.proto(17), m.sport(5000, 6000)], p: udp, hits: true },
    { name: 'multiport --dports', match: [m.proto(6), m.dports(80, 443, 8443)], p: tcp, hits: true },
    { name: 'multiport miss', match: [m.proto(6), m.dports(80, 8443)], p: tcp, hits: false },
    { name: 'port match on ICMP never holds', match: [m.dport(0, 65535)], hits: false },
    { name: '--icmp-type 8', match: [m.proto(1), m.icmpType(8)], hits: true },
    { name: '--icmp-type 8/1', match: [m.proto(1), m.icmpType(8, 1)], hits: false },
    { name: '! --icmp-type 0', match: [m.proto(1), m.icmpType(0, -1, true)], hits: true },
    { name: '--ctstate NEW', match: [m.ctstate(['NEW'])], hits: true },
    { name: '--ctstate ESTABLISHED,RELATED on new', match: [m.ctstate(['ESTABLISHED', 'RELATED'])], hits: false },
    { name: '! --ctstate INVALID', match: [m.ctstate(['INVALID'], true)], hits: true },
    { name: '--ctstate ESTABLISHED on established', match: [m.ctstate(['ESTABLISHED'])], p: pkt({ state: 'established' }), hits: true },
    { name: '--ctstate DNAT without DNAT', match: [m.ctstate(['DNAT'])], hits: false },
    { name: '--ctorigdst', match: [m.ctorigdst('198.18.0.0/16')], hits: true },
    { name: '--ctorigsrc miss', match: [m.ctorigsrc('10.0.0.0/8')], hits: false },
    { name: '--mark 0', match: [m.mark(0)], hits: true },
    { name: '--mark 1', match: [m.mark(1)], hits: false },
    { name: '--mark with mask', match: [m.mark(2, 2)], p: pkt({ mark: 0x12 }), hits: true },
    { name: 'connmark 0 on a new connection', match: [m.connmark(0)], hits: true },
    { name: 'comment', match: [m.comment('say "hi" there')], hits: true },
    { name: 'addrtype dst LOCAL miss', match: [m.addrtype({ dst: ['LOCAL'] })], hits: false },
    { name: 'addrtype ! dst LOCAL', match: [m.addrtype({ dst: ['LOCAL'], negateDst: true })], hits: true },
    { name: 'addrtype src UNICAST', match: [m.addrtype({ src: ['UNICAST'] })], hits: true },
    { name: '-f never holds for a whole datagram', match: [m.fragment()], hits: false },
    { name: '! -f', match: [m.fragment(true)], hits: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.drop(), ...c.match)]] } }) });
      const tr = run(s, c.p ?? pkt());
      expect(tr.disposition.kind).toBe(c.hits ? 'dropped' : 'forwarded');
      expect(tr.unsure).toBe(false);
    });
  }

  it('--ctstate DNAT and --ctorigdst see the connection as it arrived after DNAT', () => {
    const s = snapshot({
      rules: ruleset({
        nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.40'), m.dst('100.64.9.2'))]] },
        filter: { FORWARD: ['DROP', [r(t.accept(), m.ctstate(['DNAT']), m.ctorigdst('100.64.9.2'), m.dst('192.168.7.40'))]] },
      }),
    });
    const tr = run(s, pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2') }));
    expect(fwd(tr).egress).toBe('lan0');
  });

  it('addrtype --dst-type LOCAL: DNAT only traffic for the gateway', () => {
    const rules = ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.40'), m.addrtype({ dst: ['LOCAL'] }))]] } });
    const toGw = run(snapshot({ rules }), pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2') }));
    expect(fwd(toGw).out.dst).toBe(A('192.168.7.40'));
    const through = run(snapshot({ rules }), pkt());
    expect(through.rewrites).toEqual([]);
  });

  it('addrtype --limit-iface-in: LOCAL only for addresses of the ingress interface', () => {
    const rules = ruleset({ filter: { INPUT: ['ACCEPT', [r(t.drop(), m.addrtype({ dst: ['LOCAL'], limitIn: true }))]] } });
    expect(drop(run(snapshot({ rules }), pkt({ dst: A('192.168.7.1') }))).reason).toBe('input-chain');
    expect(run(snapshot({ rules }), pkt({ dst: A('100.64.9.2') })).disposition.kind).toBe('local');
  });

  it('MARK in mangle then --mark in filter; CONNMARK then --connmark', () => {
    const s = snapshot({
      rules: ruleset({
        mangle: { PREROUTING: ['ACCEPT', [r(t.mark('--set-xmark', '0x5/0xffffffff'), m.in('lan0')), r(t.connmark('--set-mark', '0x7'))]] },
        filter: { FORWARD: ['ACCEPT', [r(t.drop(), m.mark(5), m.connmark(7))]] },
      }),
    });
    const tr = run(s);
    expect(drop(tr).reason).toBe('forward-chain');
    expect(tr.steps.filter((x) => x.table === 'mangle').map((x) => x.verdict)).toEqual(['MARK', 'CONNMARK', 'policy ACCEPT']);
  });

  it('--or-mark / --and-mark and CONNMARK --save-mark/--restore-mark', () => {
    const s = snapshot({
      rules: ruleset({
        mangle: {
          PREROUTING: ['ACCEPT', [r(t.mark('--or-mark', '0x30')), r(t.mark('--and-mark', '0x10')), r(t.connmark('--save-mark')), r(t.mark('--set-mark', '0x0')), r(t.connmark('--restore-mark'))]],
        },
        filter: { FORWARD: ['ACCEPT', [r(t.drop(), m.mark(0x10), m.connmark(0x10))]] },
      }),
    });
    expect(drop(run(s)).reason).toBe('forward-chain');
  });
});

describe('simulate: rules that may match', () => {
  it('-m statistic DROP: forwarded, but recorded as a possible drop with its probability', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.drop(), m.random(0.3), m.in('lan0'))]] } }) });
    const tr = run(s);
    fwd(tr);
    expect(tr.unsure).toBe(true);
    expect(tr.mayMatch).toHaveLength(1);
    expect(tr.mayMatch[0]).toMatchObject({ probability: 0.3, target: 'DROP', drops: true });
    expect(tr.mayMatch[0]!.rule.line).toBe(2);
    const step = tr.steps.find((x) => x.verdict === 'may-match');
    expect(step?.unsure).toBe(true);
    expect(step?.note).toContain('30%');
  });

  it('-m statistic --mode nth --every 4 → 1 in 4; a definite miss beats it', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.reject(), m.nth(4)), r(t.drop(), m.nth(2), m.proto(6))]] } }) });
    const tr = run(s);
    expect(tr.mayMatch.map((x) => [x.probability, x.target])).toEqual([[0.25, 'REJECT']]);
  });

  it('-m set, -m limit and options the parser could not model: unknown probability', () => {
    const s = snapshot({
      rules: ruleset({
        filter: { FORWARD: ['ACCEPT', [r(t.drop(), m.unknown('set', '--match-set', 'bad', 'src')), r(t.accept(), m.unknown('limit', '--limit', '5/s')), { target: t.drop(), unsure: ['--weird'] }]] },
      }),
    });
    const tr = run(s);
    fwd(tr);
    expect(tr.mayMatch.map((x) => [x.probability, x.target, x.drops])).toEqual([
      [null, 'DROP', true],
      [null, 'ACCEPT', false],
      [null, 'DROP', true],
    ]);
  });

  it('a rate-limited ACCEPT before a DROP: dropped by the DROP, the limit recorded as what lets some through', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.accept(), m.unknown('limit', '--limit', '10/sec')), r(t.drop())]] } }) });
    const tr = run(s);
    expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain' });
    expect(tr.disposition.kind === 'dropped' && tr.disposition.rule?.line).toBe(3);
    expect(tr.mayMatch).toHaveLength(1);
    expect(tr.mayMatch[0]).toMatchObject({ probability: null, target: 'ACCEPT', drops: false });
    expect(tr.mayMatch[0]!.why).toBe('a rate limit (limit --limit 10/sec): it matches only while packets come slower than that');
  });

  it('a LOG rule that may match does not make the trace unsure', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.log(), m.unknown('limit', '--limit', '1/s'))]] } }) });
    const tr = run(s);
    expect(tr.unsure).toBe(false);
    expect(tr.mayMatch).toEqual([]);
  });
});

describe('simulate: conntrack', () => {
  it('an established packet skips the nat table', () => {
    const s = snapshot({ rules: ruleset({ nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7'))]] } }) });
    const tr = run(s, pkt({ state: 'established' }));
    expect(fwd(tr).out.src).toBe(A('192.168.7.20'));
    expect(tr.rewrites).toEqual([]);
    expect(tr.steps[0]).toMatchObject({ stage: 'conntrack', verdict: 'ESTABLISHED' });
  });

  it('CT --notrack in raw: no NAT, --ctstate UNTRACKED matches', () => {
    const s = snapshot({
      rules: ruleset({
        raw: { PREROUTING: ['ACCEPT', [r(t.notrack(), m.proto(17))]] },
        nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7'))]] },
        filter: { FORWARD: ['DROP', [r(t.accept(), m.ctstate(['UNTRACKED']))]] },
      }),
    });
    const tr = run(s, pkt({ proto: 17, sport: 1000, dport: 2000 }));
    expect(fwd(tr).out.src).toBe(A('192.168.7.20'));
    expect(tr.steps.find((x) => x.stage === 'conntrack')?.verdict).toBe('UNTRACKED');
  });

  it('with the conntrack option a reply is translated by the matching entry', () => {
    const s = snapshot({
      conntrack: [
        {
          proto: 'icmp',
          protoNum: 1,
          timeout: 29,
          state: null,
          original: { src: A('192.168.7.20'), dst: A('198.18.0.9'), sport: null, dport: null, icmpType: 8, icmpCode: 0, icmpId: 4242 },
          reply: { src: A('198.18.0.9'), dst: A('100.64.9.7'), sport: null, dport: null, icmpType: 0, icmpCode: 0, icmpId: 777 },
          flags: [],
          mark: 0,
          text: 'icmp 1 29 src=192.168.7.20 …',
          source: { file: 'conntrack.txt', line: 3 },
        },
      ],
    });
    const reply = pkt({ ingress: 'wan9', src: A('198.18.0.9'), dst: A('100.64.9.7'), icmpType: 0, icmpId: 777, state: 'established' });
    const tr = run(s, reply, { conntrack: true });
    const d = fwd(tr);
    expect(d.egress).toBe('lan0');
    expect(d.out).toEqual({ src: A('198.18.0.9'), dst: A('192.168.7.20'), sport: 4242, dport: 0 });
    expect(tr.rewrites[0]).toMatchObject({ kind: 'DNAT', rule: { file: 'conntrack.txt', line: 3 } });
    const orig = run(s, pkt({ state: 'established' }), { conntrack: true });
    expect(fwd(orig).out).toEqual({ src: A('100.64.9.7'), dst: A('198.18.0.9'), sport: 777, dport: 0 });
    // Without the option the nat walk is skipped and nothing is translated.
    // The entry also answers the conntrack matches: this connection was source-NATed, its mark is 0.
    const withRules = snapshot({
      conntrack: s.host.conntrack,
      rules: ruleset({ filter: { FORWARD: ['DROP', [r(t.accept(), m.ctstate(['SNAT']), m.ctorigsrc('192.168.7.20'), m.connmark(0))]] } }),
    });
    expect(run(withRules, reply, { conntrack: true }).disposition.kind).toBe('forwarded');
    expect(run(withRules, reply).disposition.kind).toBe('dropped');
    const raw = run(s, reply);
    expect(raw.rewrites).toEqual([]);
    expect(fwd(raw).out.dst).toBe(A('100.64.9.7'));
  });
});

describe('simulate: drops', () => {
  it('filter FORWARD policy DROP cites the policy line', () => {
    const s = snapshot({ rules: ruleset({ filter: { INPUT: ['ACCEPT', []], FORWARD: ['DROP', []] } }) });
    const d = drop(run(s));
    expect(d).toMatchObject({ stage: 'filter', reason: 'forward-chain', rule: null, source: { file: RULES_FILE, line: 2 }, icmpBack: null });
  });

  it('REJECT answers per --reject-with; tcp-reset sends no ICMP', () => {
    const mk = (w: string) => snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', [r(t.reject(w))]] } }) });
    expect(drop(run(mk('icmp-host-prohibited'))).icmpBack).toEqual({ type: 3, code: 10, mtu: 0 });
    expect(drop(run(mk('icmp-port-unreachable'))).icmpBack).toEqual({ type: 3, code: 3, mtu: 0 });
    expect(drop(run(mk('icmp-admin-prohibited'))).icmpBack).toEqual({ type: 3, code: 13, mtu: 0 });
    expect(drop(run(mk('tcp-reset'), pkt({ proto: 6, sport: 1, dport: 2 }))).icmpBack).toBeNull();
    // No ICMP error about an ICMP error (RFC 1122 3.2.2).
    expect(drop(run(mk('icmp-port-unreachable'), pkt({ icmpType: 3, icmpCode: 1 }))).icmpBack).toBeNull();
  });

  it('DROP in mangle PREROUTING, nat POSTROUTING and filter INPUT name their chain', () => {
    expect(drop(run(snapshot({ rules: ruleset({ mangle: { PREROUTING: ['ACCEPT', [r(t.drop())]] } }) }))).reason).toBe('prerouting-chain');
    expect(drop(run(snapshot({ rules: ruleset({ raw: { PREROUTING: ['DROP', []] } }) }))).reason).toBe('prerouting-chain');
    expect(drop(run(snapshot({ rules: ruleset({ mangle: { POSTROUTING: ['ACCEPT', [r(t.drop())]] } }) }))).reason).toBe('postrouting-chain');
    expect(drop(run(snapshot({ rules: ruleset({ mangle: { FORWARD: ['ACCEPT', [r(t.drop())]] } }) }))).reason).toBe('forward-chain');
    expect(drop(run(snapshot({ rules: ruleset({ filter: { INPUT: ['DROP', []] } }) }), pkt({ dst: A('192.168.7.1') }))).reason).toBe('input-chain');
  });

  it('ip_forward = 0 drops silently citing the sysctl line', () => {
    const s = snapshot({ sysctls: { 'net.ipv4.conf.all.forwarding': '0', 'net.ipv4.conf.lan0.forwarding': '0', 'net.ipv4.ip_forward': '0' } });
    const d = drop(run(s));
    expect(d).toMatchObject({ stage: 'forwarding', reason: 'ip-forward-disabled', icmpBack: null, source: { file: 'sysctl.txt', line: 3 } });
  });

  it('conf.<in>.forwarding = 0 alone drops citing that line; the interface value wins over ip_forward', () => {
    const off = snapshot({ sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.lan0.forwarding': '0' } });
    expect(drop(run(off)).source).toEqual({ file: 'sysctl.txt', line: 2 });
    const on = snapshot({ sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.lan0.forwarding': '1' } });
    expect(fwd(run(on)).egress).toBe('wan9');
    const onlyGlobal = snapshot({ sysctls: { 'net.ipv4.ip_forward': '0' } });
    const tr = run(onlyGlobal);
    expect(drop(tr).reason).toBe('ip-forward-disabled');
    expect(tr.assumptions.some((a) => a.includes('net.ipv4.conf.lan0.forwarding'))).toBe(true);
  });

  it('forwarding off beats no-route (the kernel turns the error silent)', () => {
    const s = snapshot({ sysctls: { 'net.ipv4.ip_forward': '0' }, routes: [route('192.168.7.0/24', { dev: 'lan0' })] });
    expect(drop(run(s)).reason).toBe('ip-forward-disabled');
  });

  it('missing sysctls: forwarding and rp_filter assumed, and said', () => {
    const tr = run(snapshot({ sysctls: null }));
    fwd(tr);
    expect(tr.assumptions.some((a) => a.includes('assumed forwarding is on'))).toBe(true);
    expect(tr.assumptions.some((a) => a.includes('rp_filter'))).toBe(true);
  });

  it('no route → net unreachable back', () => {
    const s = snapshot({ routes: [route('192.168.7.0/24', { dev: 'lan0' })] });
    expect(drop(run(s))).toMatchObject({ stage: 'routing', reason: 'no-route', icmpBack: { type: 3, code: 0, mtu: 0 } });
  });

  it('blackhole, unreachable and prohibit routes', () => {
    const mk = (type: 'blackhole' | 'unreachable' | 'prohibit') =>
      snapshot({ routes: [route('default', { via: '100.64.9.1', dev: 'wan9' }), route('198.18.0.0/16', { type }), route('192.168.7.0/24', { dev: 'lan0' })] });
    expect(drop(run(mk('blackhole')))).toMatchObject({ reason: 'route-blackhole', icmpBack: null });
    expect(drop(run(mk('unreachable')))).toMatchObject({ reason: 'route-blackhole', icmpBack: { type: 3, code: 1 } });
    expect(drop(run(mk('prohibit')))).toMatchObject({ reason: 'route-blackhole', icmpBack: { type: 3, code: 13 } });
  });

  it('longest prefix wins, then the lowest metric', () => {
    const s = snapshot({
      interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['100.64.9.2/24']), iface('wan8', ['100.64.8.2/24'])],
      routes: [
        route('default', { via: '100.64.9.1', dev: 'wan9' }),
        route('198.18.0.0/15', { via: '100.64.9.1', dev: 'wan9' }),
        route('198.18.0.0/16', { via: '100.64.9.1', dev: 'wan9', metric: 200 }),
        route('198.18.0.0/16', { via: '100.64.8.1', dev: 'wan8', metric: 100 }),
        route('100.64.8.0/24', { dev: 'wan8' }),
        route('100.64.9.0/24', { dev: 'wan9' }),
        route('192.168.7.0/24', { dev: 'lan0' }),
      ],
    });
    const d = fwd(run(s));
    expect([d.egress, d.nextHop]).toEqual(['wan8', A('100.64.8.1')]);
    const onLink = fwd(run(s, pkt({ dst: A('100.64.9.77') })));
    expect([onLink.egress, onLink.nextHop]).toEqual(['wan9', A('100.64.9.77')]);
  });

  it('rp_filter strict: the route back to the source leaves by another interface', () => {
    const routes = [route('default', { via: '100.64.9.1', dev: 'wan9' }), route('192.168.7.0/24', { dev: 'lan0' }), route('100.64.9.0/24', { dev: 'wan9' })];
    const spoof = pkt({ ingress: 'wan9', src: A('192.168.7.99'), dst: A('192.168.7.20') });
    const strict = snapshot({ routes, sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.wan9.rp_filter': '1' } });
    const tr = run(strict, spoof);
    expect(drop(tr)).toMatchObject({ stage: 'rp-filter', reason: 'rp-filter', source: { file: 'sysctl.txt', line: 3 } });
    expect(tr.steps.at(-1)?.note).toContain('lan0');
    // Effective value is max(all, iface): all=2 makes it loose, which passes with any route back.
    const loose = snapshot({ routes, sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '2', 'net.ipv4.conf.wan9.rp_filter': '1' } });
    expect(fwd(run(loose, spoof)).egress).toBe('lan0');
  });

  it('rp_filter loose drops when there is no route back at all', () => {
    const s = snapshot({ routes: [route('192.168.7.0/24', { dev: 'lan0' }), route('100.64.9.0/24', { dev: 'wan9' })], sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '2' } });
    const d = drop(run(s, pkt({ ingress: 'wan9', src: A('203.0.113.9'), dst: A('192.168.7.20') })));
    expect(d.reason).toBe('rp-filter');
  });

  it('a source that is the gateway\'s own address is a martian', () => {
    expect(drop(run(snapshot(), pkt({ ingress: 'wan9', src: A('192.168.7.1'), dst: A('192.168.7.20') }))).reason).toBe('rp-filter');
  });

  it('MTU: DF too big → frag-needed with the MTU; without DF it is fragmented', () => {
    const s = snapshot({ interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['100.64.9.2/24'], { mtu: 1400 })] });
    expect(drop(run(s, pkt({ size: 1500, df: true })))).toMatchObject({ stage: 'mtu', reason: 'mtu-exceeded', icmpBack: { type: 3, code: 4, mtu: 1400 } });
    const tr = run(s, pkt({ size: 1500, df: false }));
    fwd(tr);
    expect(tr.steps.find((x) => x.stage === 'mtu')?.verdict).toBe('fragment');
    expect(fwd(run(s, pkt({ size: 1400, df: true }))).egress).toBe('wan9');
  });

  it('the MTU check comes before filter FORWARD (ip_forward order)', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['DROP', []] } }), interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['100.64.9.2/24'], { mtu: 1400 })] });
    expect(drop(run(s, pkt({ size: 1500, df: true }))).reason).toBe('mtu-exceeded');
  });
});

describe('simulate: next hop and local delivery', () => {
  it('an unresolved next hop is noted, the packet is still forwarded', () => {
    const s = snapshot({ neighbours: [neigh('100.64.9.1', 'wan9', ['FAILED'])] });
    const tr = run(s);
    fwd(tr);
    expect(tr.steps.at(-1)).toMatchObject({ stage: 'neighbour', verdict: 'unresolved' });
    expect(tr.steps.at(-1)?.source?.file).toBe('ip-neigh.txt');
  });

  it('NOARP on the egress interface is noted', () => {
    const s = snapshot({ interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['100.64.9.2/24'], { flags: ['BROADCAST', 'NOARP', 'UP'] })], neighbours: [neigh('100.64.9.1', 'wan9', ['REACHABLE'], 'aa:bb:cc:dd:ee:ff')] });
    const tr = run(s);
    expect(tr.steps.slice(-2).map((x) => [x.stage, x.verdict])).toEqual([
      ['neighbour', 'resolved'],
      ['neighbour', 'NOARP'],
    ]);
  });

  it('a link without ARP by nature (point-to-point tun, WireGuard, ppp) resolves no next hop and is no NOARP fault', () => {
    const s = snapshot({
      interfaces: [iface('lan0', ['192.168.7.1/24']), iface('wan9', ['100.64.9.2/32'], { flags: ['POINTOPOINT', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP'], link: 'none' })],
      routes: [route('192.168.7.0/24', { dev: 'lan0' }), route('default', { dev: 'wan9' })],
    });
    const tr = run(s);
    fwd(tr);
    expect(tr.steps.at(-1)).toMatchObject({ stage: 'neighbour', verdict: 'no ARP' });
    expect(tr.steps.at(-1)!.note).toMatch(/wan9 is a link without ARP \(point-to-point\)/);
    expect(tr.steps.some((x) => x.verdict === 'NOARP')).toBe(false);
  });

  it('local addresses, 127/8, subnet broadcasts and multicast are delivered locally', () => {
    expect(run(snapshot(), pkt({ dst: A('100.64.9.2') })).disposition.kind).toBe('local');
    expect(run(snapshot(), pkt({ dst: A('127.0.0.5') })).disposition.kind).toBe('local');
    expect(run(snapshot(), pkt({ dst: A('192.168.7.255') })).disposition.kind).toBe('local');
    // Multicast (SSDP, mDNS) is never unicast-forwarded, though the default route would take 239/8.
    for (const group of ['239.255.255.250', '224.0.0.251']) {
      const tr = run(snapshot(), pkt({ dst: A(group) }));
      expect(tr.disposition.kind, group).toBe('local');
      expect(tr.steps.some((x) => x.stage === 'routing' && /multicast/.test(x.note)), group).toBe(true);
    }
  });

  it('nat INPUT SNAT applies to locally delivered new connections', () => {
    const s = snapshot({ rules: ruleset({ nat: { INPUT: ['ACCEPT', [r(t.snat('192.168.7.1'))]] } }) });
    const tr = run(s, pkt({ dst: A('192.168.7.1') }));
    expect(tr.disposition).toMatchObject({ kind: 'local', out: { src: A('192.168.7.1') } });
  });
});

describe('simulate: missing inputs', () => {
  it('no nat table while legacy tables are present says so', () => {
    const s = snapshot({ rules: ruleset({ filter: { FORWARD: ['ACCEPT', []] } }, { legacyTablesPresent: { file: 'iptables-save.txt', line: 1 } }) });
    const tr = run(s);
    expect(tr.assumptions.some((a) => a.includes('iptables-legacy') && a.includes('nat'))).toBe(true);
    expect(tr.assumptions.some((a) => a.includes('iptables-save.txt:1'))).toBe(true);
  });

  it('no filter table: assumed ACCEPT, and said', () => {
    const tr = run(snapshot({ rules: ruleset({ nat: { PREROUTING: ['ACCEPT', []] } }) }));
    fwd(tr);
    expect(tr.assumptions.some((a) => a.includes('no filter table'))).toBe(true);
  });

  it('no routes: connected routes from the addresses; other destinations unknown unless an egress is assumed', () => {
    const s = snapshot({ routes: null });
    const inside = run(s, pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('192.168.7.20') }));
    expect(fwd(inside).egress).toBe('lan0');
    expect(inside.assumptions.some((a) => a.includes('no routes'))).toBe(true);
    expect(run(s).disposition.kind).toBe('unknown');
    const assumed = run(s, pkt(), { assumeEgress: 'wan9' });
    expect(fwd(assumed)).toMatchObject({ egress: 'wan9', nextHop: null });
    expect(assumed.unsure).toBe(true);
    expect(assumed.assumptions.some((a) => a.includes('wan9'))).toBe(true);
  });

  it('no addresses: MTU unchecked and said', () => {
    const tr = run(snapshot({ interfaces: null }));
    fwd(tr);
    expect(tr.assumptions.some((a) => a.includes('MTU'))).toBe(true);
  });
});

describe('simulate: policy routing', () => {
  it('routes in other tables are not used, and the trace says so', () => {
    const s = snapshot({
      routes: [route('default', { via: '100.64.9.1', dev: 'wan9' }), route('192.168.7.0/24', { dev: 'lan0' }), route('default', { via: '192.168.7.254', dev: 'lan0', table: '100' })],
    });
    const tr = run(s);
    expect(fwd(tr).egress).toBe('wan9');
    expect(tr.assumptions.some((a) => a.includes('table 100'))).toBe(true);
  });

  it('a local table from `ip route show table all` makes its addresses local', () => {
    const s = snapshot({ routes: [route('default', { via: '100.64.9.1', dev: 'wan9' }), route('192.168.7.0/24', { dev: 'lan0' }), route('198.18.0.9/32', { type: 'local', dev: 'lo', table: 'local' })] });
    expect(run(s).disposition.kind).toBe('local');
  });

  it('a throw route ends the lookup in its table', () => {
    const s = snapshot({ routes: [route('default', { via: '100.64.9.1', dev: 'wan9' }), route('198.18.0.0/16', { type: 'throw' }), route('192.168.7.0/24', { dev: 'lan0' })] });
    expect(drop(run(s)).reason).toBe('no-route');
  });
});

describe('simulate: NAT port ranges as nf_nat_core picks them', () => {
  it('a port already inside the range is kept; one outside gets the first port', () => {
    const s = snapshot({ rules: ruleset({ nat: { PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.30:8000-8100'), m.proto(6))]] } }) });
    const inRange = run(s, pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2'), proto: 6, sport: 1, dport: 8042 }));
    expect(fwd(inRange).out.dport).toBe(8042);
    const outside = run(s, pkt({ ingress: 'wan9', src: A('100.64.9.50'), dst: A('100.64.9.2'), proto: 6, sport: 1, dport: 80 }));
    expect(fwd(outside).out.dport).toBe(8000);
  });

  it('SNAT --random-fully does not keep a port inside the range', () => {
    const s = snapshot({ rules: ruleset({ nat: { POSTROUTING: ['ACCEPT', [r(t.masquerade({ ports: [1024, 65535], randomFully: true }))]] } }) });
    const d = fwd(run(s, pkt({ proto: 17, sport: 5353, dport: 53 })));
    expect([d.out.sport, d.portsMayChange]).toEqual([1024, true]);
    const kept = snapshot({ rules: ruleset({ nat: { POSTROUTING: ['ACCEPT', [r(t.masquerade({ ports: [1024, 65535] }))]] } }) });
    expect(fwd(run(kept, pkt({ proto: 17, sport: 5353, dport: 53 }))).out.sport).toBe(5353);
  });
});

describe('simulate: what traces share', () => {
  // A capture of 100,000 flows keeps 100,000 traces: what reads the snapshot only is made once and shared by them.
  it('shares each rule reference, end-of-chain step and neighbour step between traces, and nothing that names the packet', () => {
    const s = snapshot({ rules: ruleset({ nat: { POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.7'), m.out('wan9'))]], PREROUTING: ['ACCEPT', []] } }) });
    const a = run(s, pkt({ src: ip('192.168.7.20') }));
    const b = run(s, pkt({ src: ip('192.168.7.21') }));
    const step = (tr: Trace, stage: string, verdict: string) => {
      const x = tr.steps.find((st) => st.stage === stage && st.verdict === verdict);
      if (!x) throw new Error(`no ${stage} ${verdict} step in ${JSON.stringify(tr.steps.map((st) => [st.stage, st.verdict]))}`);
      return x;
    };
    expect(step(a, 'nat', 'policy ACCEPT')).toBe(step(b, 'nat', 'policy ACCEPT'));
    expect(step(a, 'neighbour', 'next hop')).toBe(step(b, 'neighbour', 'next hop'));
    expect(a.rewrites[0]!.rule).toBe(b.rewrites[0]!.rule);
    expect(step(a, 'nat', 'SNAT').rule).toBe(b.rewrites[0]!.rule);
    // The steps that name the packet are its own.
    expect(step(a, 'routing', 'forward').note).toContain('192.168.7.20');
    expect(step(b, 'routing', 'forward').note).toContain('192.168.7.21');
    expect(step(a, 'nat', 'SNAT').note).toContain('192.168.7.20');
    expect(step(b, 'nat', 'SNAT').note).toContain('192.168.7.21');
    // Another next hop, another neighbour step.
    const c = run(snapshot({ routes: [route('198.18.0.0/16', { dev: 'wan9', via: '100.64.9.3' }), route('default', { dev: 'wan9', via: '100.64.9.1' })] }), pkt());
    expect(step(c, 'neighbour', 'next hop').note).toContain('100.64.9.3');
  });
});
