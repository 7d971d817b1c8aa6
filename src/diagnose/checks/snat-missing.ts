import { lostConnection } from '../lost-connection.js';
import type { Evidence, Finding } from '../../model/analysis.js';
import { cidrContains, cidrToString, ipv4ToString } from '../../model/address.js';
import type { Rule, Target } from '../../model/ruleset.js';
import { leftAs, repliesUntranslated, type AssembledFlow } from '../../correlate/flow-assembly.js';
import { ifaceMatches } from '../../simulate/match-rule.js';
import { hasPorts } from '../../simulate/packet-state.js';
import { protoName } from '../../gateway/protocols.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { hairpinUnmasqueraded, natRules, plural, replyTrace, ruleOf, uTurned } from '../flow-facts.js';
import { isLoopbackSnat } from '../../gateway/nat-addresses.js';
import { hex, markAfter } from '../../simulate/mark-target.js';
import { chainLabel, ruleRef } from '../../simulate/rule-ref.js';
import { hostView } from '../../simulate/host-view.js';
import { lookupSet, setMatchHolds, setMatchWords } from '../../simulate/ipset-match.js';
import { IPSET_PERSIST, memberElement } from '../ipset-facts.js';
import type { Cidr4 } from '../../model/address.js';
import type { RuleRef } from '../../model/trace.js';
import { addRuleCommand, chainTool, deleteRuleCommand, firewalldZone, type ChainPlace, isNftRule, natHookChain, nftNatTo, persistCommands, replaceRuleCommand, type RuleSyntax } from '../rule-commands.js';
import { natChainsOf, rulesListed } from '../../gateway/nat-rules-present.js';

/** A change to a rule's text, in the syntax it is written in (rule-commands.ts says which). */
type RuleEdit = (body: string, syntax: RuleSyntax) => string;

/** The edit that makes a rule's output interface `from` read `to`: `-o` for iptables, `oifname` for nft. */
function outputRenamed(from: string, to: string): RuleEdit {
  return (body, syntax) =>
    syntax === 'nft'
      ? body.replace(new RegExp(`(\\boifname\\s+)"?${from.replace(/\+$/, '*').replace(/[.*]/g, '\\$&')}"?(?=\\s|$)`), `$1"${to}"`)
      : body.replace(new RegExp(`(^|\\s)-o ${from.replace(/[.+]/g, '\\$&')}(?=\\s|$)`), `$1-o ${to}`);
}

/**
 * Why a SNAT/MASQUERADE rule did not take the packets of `f` as they left by `egress` (their source still the
 * private one): the first of its address, interface, protocol and port matches that fails, in words, with the
 * rule as it should read; null when those all hold (then something else kept it from them: its chain not
 * reached, a match natlens does not model).
 */
function whyNot(ctx: CheckContext, r: Rule, f: AssembledFlow, egress: string, knownIfaces: ReadonlySet<string>): NearMiss | null {
  const src = f.original.src;
  const dst = f.observed?.dst ?? f.original.dst;
  const misses: { why: string; fixed: RuleEdit | null; command?: string | null }[] = [];
  // The match as the rule's own listing writes it: iptables' options or nft's expressions.
  const nft = isNftRule(r);
  const words = (negate: boolean, ipt: string, nftWords: string): string => (nft ? `${nftWords}${negate ? ' !=' : ''}` : `${negate ? '! ' : ''}${ipt}`);
  for (const m of r.matches) {
    switch (m.kind) {
      case 'src':
        if (m.addr.cidr && cidrContains(m.addr.cidr, src) === m.addr.negate) misses.push({ why: `its ${words(m.addr.negate, '-s', 'ip saddr')} ${cidrToString(m.addr.cidr)} does not take ${ipv4ToString(src)}`, fixed: null });
        break;
      case 'dst':
        if (m.addr.cidr && cidrContains(m.addr.cidr, dst) === m.addr.negate) misses.push({ why: `its ${words(m.addr.negate, '-d', 'ip daddr')} ${cidrToString(m.addr.cidr)} does not take ${ipv4ToString(dst)}`, fixed: null });
        break;
      case 'out':
        if (ifaceMatches(m.name, egress) === m.negate) {
          const absent = knownIfaces.size > 0 && !m.negate && !m.name.endsWith('+') && !knownIfaces.has(m.name) ? ` (the gateway has no interface ${m.name})` : '';
          misses.push({
            why: `it takes only packets leaving ${m.negate ? 'by any interface but ' : ''}${m.name}${absent}; these leave by ${egress}`,
            fixed: m.negate ? null : outputRenamed(m.name, egress),
          });
        }
        break;
      case 'proto':
        if (m.proto !== 0 && (f.proto === m.proto) === m.negate) misses.push({ why: `its ${words(m.negate, '-p', 'meta l4proto')} ${protoName(m.proto)} does not take ${protoName(f.proto)}`, fixed: null });
        break;
      case 'sport':
      case 'dport': {
        // As the simulator reads it (match-rule.ts): port matches look only at protocols that carry ports.
        if (!hasPorts(f.proto)) {
          misses.push({ why: `its ${nft ? `th ${m.kind}` : `--${m.kind}`} takes only protocols with ports`, fixed: null });
          break;
        }
        const port = m.kind === 'sport' ? f.original.sport : (f.observed?.dport ?? f.original.dport);
        if (m.ranges.some((x) => port >= x.lo && port <= x.hi) === m.negate) misses.push({ why: `its ${nft ? `th ${m.kind}` : `--${m.kind}`} does not take port ${port}`, fixed: null });
        break;
      }
      case 'set': {
        const miss = setMiss(ctx, m, f, { src, dst, egress });
        if (miss) misses.push(miss);
        break;
      }
      default:
        break;
    }
  }
  if (!misses.length) return null;
  // Rewriting the output interface, or adding the source to the set, fixes the rule only when that is all it misses.
  const only = misses.length === 1 ? misses[0]! : null;
  return { why: misses.map((x) => x.why).join('; '), fixed: only?.fixed ?? null, command: only?.command ?? null };
}

/** Why a rule, and how to mend it: an edit of its text, or a command that changes what it depends on (a set's members). */
interface NearMiss {
  readonly why: string;
  readonly fixed: RuleEdit | null;
  readonly command: string | null;
}

/**
 * Why `-m set --match-set NAME flags` kept the flow's packets from a SNAT rule: the source not in the set the rule
 * translates (Kube-OVN's node MASQUERADE takes the subnets of a set, ovn40subnets-nat) — mended by adding its subnet —,
 * or the destination in a set the rule leaves out; null when the match holds or the set is not known.
 */
function setMiss(ctx: CheckContext, m: Extract<Rule['matches'][number], { kind: 'set' }>, f: AssembledFlow, at: { src: number; dst: number; egress: string }): { why: string; fixed: null; command: string | null } | null {
  const p = f.trace?.packet;
  const fields = {
    src: at.src,
    dst: at.dst,
    proto: f.proto,
    sport: f.original.sport,
    dport: f.observed?.dport ?? f.original.dport,
    icmpType: p?.icmpType ?? -1,
    icmpCode: p?.icmpCode ?? -1,
    inIface: p?.ingress ?? '',
    outIface: at.egress,
    mark: p?.mark ?? 0,
  };
  const r = lookupSet(ctx.snapshot?.host.ipsets, m.name, m.flags, fields);
  const words = setMatchWords(m);
  const at1 = (s: { file: string; line: number }): string => `${s.file}:${s.line}`;
  const addr = m.flags[0] === 'dst' ? at.dst : at.src;
  if (r.kind === 'unknown') {
    // The set is not listed: the one thing the rule may miss them by, to be looked at on the gateway.
    if (m.negate || m.flags.length !== 1) return null;
    return {
      why: `its ${words} looks ${ipv4ToString(addr)} up in a set the snapshot does not show (${r.why})`,
      fixed: null,
      command: `ipset test ${m.name} ${ipv4ToString(addr)}  # in the set the SNAT rule translates? If not: ipset add ${m.name} ${routedSubnet(ctx, addr)}`,
    };
  }
  if (setMatchHolds(m, r)) return null;
  if (m.negate && r.kind !== 'out') return { why: `its ${words} leaves out ${r.values}: set ${m.name} holds it (${r.member.text} at ${at1(r.member.source)})`, fixed: null, command: null };
  if (r.kind === 'nomatch') {
    return { why: `its ${words} does not take ${r.values}: set ${m.name} makes an exception of it (${r.member.text} at ${at1(r.member.source)})`, fixed: null, command: `ipset del ${m.name} ${memberElement(r.member.text)}  # the exception that keeps ${r.values} from the SNAT rule` };
  }
  // One address dimension: the address (hash:ip), or the subnet the gateway routes it by (hash:net), goes in.
  const set = r.set;
  const single = set.dims.length === 1 && (set.dims[0] === 'ip' || set.dims[0] === 'net');
  const element = set.dims[0] === 'net' ? routedSubnet(ctx, addr) : ipv4ToString(addr);
  return {
    why: `its ${words} does not take ${r.values}: set ${m.name} (${at1(set.source)}) holds no member for it`,
    fixed: null,
    command: single ? `ipset add ${m.name} ${element}  # ${ipv4ToString(addr)} into the set the SNAT rule translates` : null,
  };
}

/** The subnet the gateway's routes hold `addr` in (its most specific route but the default), as a CIDR; else the address alone. */
function routedSubnet(ctx: CheckContext, addr: number): string {
  let best: Cidr4 | null = null;
  for (const rt of ctx.snapshot?.host.routes ?? []) {
    if (rt.family !== 4 || !rt.dst || rt.dst.prefix === 0 || rt.type !== 'unicast' || !cidrContains(rt.dst, addr)) continue;
    if (!best || rt.dst.prefix > best.prefix) best = rt.dst;
  }
  return best ? cidrToString(best) : `${ipv4ToString(addr)}/32`;
}

export const snatMissing: Check = {
  id: 'snat-missing',
  description: 'Packets leave the outside interface with their private source address: no SNAT rule matched them, so no reply can come back.',
  rank: 2,
  run(ctx: CheckContext) {
    // A flow turned back out the interface it came in by is no-route's: the SNAT rule was right, the route was not.
    // A connection that left translated and then, its conntrack entry lost, untranslated is conntrack-state-lost's.
    const all = ctx.flows.filter((f) => f.disposition === 'forwarded-untranslated' && !uTurned(ctx, f) && !lostConnection(ctx, f));
    const notrack = new Map(all.map((f) => [f, notrackRule(ctx, f)] as const));
    const exempt = all.filter((f) => notrack.get(f) !== null);
    const rest = all.filter((f) => notrack.get(f) === null);
    return [
      ...notrackFinding(ctx, exempt.map((f) => ({ f, rule: notrack.get(f)! }))),
      ...untranslatedFinding(ctx, rest.filter((f) => !repliesUntranslated(f))),
      ...unNattedRepliesFinding(ctx, rest.filter(repliesUntranslated)),
      ...hairpinFinding(ctx),
    ];
  },
};

/** The command that puts `rule`, mended by whyNot's edit, in its place. */
function fixedRuleCommand(rule: Rule, fixed: RuleEdit): string {
  return replaceRuleCommand(ruleRef(rule), fixed);
}

/** The raw-table rule that exempted the flow (or its replies) from connection tracking, which NAT works on. */
function notrackRule(ctx: CheckContext, f: AssembledFlow): RuleRef | null {
  const steps = [...(f.trace?.steps ?? []), ...(repliesUntranslated(f) ? (replyTrace(ctx, f)?.steps ?? []) : [])];
  return steps.find((x) => x.table === 'raw' && x.rule !== null && (x.verdict === 'NOTRACK' || x.verdict === 'CT --notrack'))?.rule ?? null;
}

/** A flow's request as it left, untranslated: its private source. */
function untranslatedRequestEvidence(ctx: CheckContext, f: AssembledFlow): Evidence[] {
  // Seen only leaving (its way in not captured): the packet itself.
  const p = leftAs(f);
  const unseen = f.unseenIngress !== undefined ? ` (it came in by ${f.unseenIngress}, which was not captured)` : '';
  return p ? [frameEvidence(ctx, p, `${f.id} left ${ctx.ifaceName(p.iface)} with its private source, untranslated${unseen}`)] : [];
}

/** A flow's reply as it left from the DNAT target, not from the address its client asked. */
function untranslatedReplyEvidence(ctx: CheckContext, f: AssembledFlow): Evidence {
  const b = f.egress!.replyPeer!;
  return frameEvidence(ctx, b, `${f.id}'s reply left ${ctx.ifaceName(b.iface)} from ${ipv4ToString(b.src)}, not from ${ipv4ToString(f.original.dst)} as its client asked`);
}

/** Untranslated because a raw-table rule marks the packets NOTRACK: no conntrack entry, so the nat table never sees them. */
function notrackFinding(ctx: CheckContext, exempt: readonly { f: AssembledFlow; rule: RuleRef }[]): Finding[] {
  if (!exempt.length) return [];
  const flows = exempt.map((x) => x.f);
  const rules = new Map(exempt.map(({ rule }) => [`${rule.file}:${rule.line}`, rule] as const));
  const requests = flows.filter((f) => !repliesUntranslated(f));
  const replies = flows.filter(repliesUntranslated);
  const sources = [...new Set([...requests.map((f) => f.original.src), ...replies.map((f) => f.egress!.replyPeer!.src)].map(ipv4ToString))];
  const evidence: Evidence[] = [...rules.values()].map(ruleEvidence);
  for (const f of requests.slice(0, 3)) evidence.push(...untranslatedRequestEvidence(ctx, f));
  for (const f of replies.slice(0, 3)) evidence.push(untranslatedReplyEvidence(ctx, f));
  const what: string[] = [];
  if (requests.length) what.push(`${plural(requests.length, 'flow')} left with ${requests.length === 1 ? 'its' : 'their'} private source`);
  if (replies.length) what.push(`the replies of ${plural(replies.length, 'flow')} left from the DNAT target instead of the address their clients asked (so the clients drop them)`);
  const first = [...rules.values()][0]!;
  // Stateless NAT (nftables `ip daddr EIP ip daddr set A` with the traffic untracked on purpose): the exemption is
  // meant; what is missing is the rewrite of the source on the way out, which nothing undoes otherwise.
  const halves = sources.map((a) => statelessHalf(ctx, a)).filter((h) => h !== null);
  if (halves.length === sources.length && halves.length > 0) {
    for (const h of halves) evidence.unshift(ruleEvidence(ruleRef(h.inbound)));
    return [
      finding(
        'snat-missing',
        'error',
        'confirmed',
        `The stateless NAT of ${halves.map((h) => ipv4ToString(h.eip)).join(', ')} has no way out: ${sources.join(', ')} leave${sources.length === 1 ? 's' : ''} untranslated`,
        `${what.join(', and ')}: untranslated. ${halves.map((h) => `${h.inbound.chain} rewrites what comes for ${ipv4ToString(h.eip)} to ${ipv4ToString(h.inside)} (${h.inbound.source.file}:${h.inbound.source.line}) without conntrack`).join('; ')}, ` +
          'so nothing undoes it on the way back: the source must be rewritten by a rule of its own, and none does.',
        uniqueEvidence(evidence, 12),
        [
          ...halves.map((h) => `nft insert rule ${h.outChain ?? `${h.table} <postrouting chain>`} ip saddr ${ipv4ToString(h.inside)} ip saddr set ${ipv4ToString(h.eip)}`),
          '# Kube-OVN: re-create the stateless floating IP (its controller writes both halves)',
        ],
        flows,
      ),
    ];
  }
  return [
    finding(
      'snat-missing',
      'error',
      'confirmed',
      `Traffic from ${sources.join(', ')} escapes NAT: ${isNftRule(first) ? `nftables ${first.chain}` : 'the raw table'} exempts it from connection tracking`,
      `${what.join(', and ')}: untranslated. The raw ${first.chain} rule at ${first.file}:${first.line} (${first.text}) marks ${sources.length === 1 ? 'it' : 'them'} NOTRACK, ` +
        'and NAT works on conntrack entries: the nat table never sees untracked packets, whatever its rules say.',
      uniqueEvidence(evidence, 12),
      [
        ...[...rules.values()].map(deleteRuleCommand),
        '# if the exemption is wanted, narrow it to traffic that needs no NAT (e.g. add -d <a subnet the gateway serves directly>)',
      ],
      flows,
    ),
  ];
}

/**
 * The inbound half of a stateless NAT for inside address `inside`: an nftables rule rewriting the destination of what
 * comes for an EIP to it (`ip daddr EIP ip daddr set inside`), and the postrouting chain of its table, where the
 * source rewrite belongs. Null when there is none.
 */
function statelessHalf(ctx: CheckContext, inside: string): { inbound: Rule; eip: number; inside: number; table: string; outChain: string | null } | null {
  for (const b of ctx.snapshot?.nft?.baseChains ?? []) {
    for (const c of b.chains.values()) {
      for (const r of c.rules) {
        if (r.target.kind !== 'SET' || r.target.field !== 'daddr' || ipv4ToString(r.target.value) !== inside) continue;
        const dst = r.matches.find((m) => m.kind === 'dst' && !m.addr.negate && m.addr.cidr?.prefix === 32);
        if (dst?.kind !== 'dst') continue;
        const table = r.chain.split(' ').slice(0, 2).join(' ');
        const out = ctx.snapshot!.nft!.baseChains.find((x) => x.hook === 'POSTROUTING' && x.type === 'filter' && x.chain.name.startsWith(`${table} `));
        return { inbound: r, eip: dst.addr.cidr!.addr >>> 0, inside: r.target.value, table, outChain: out?.chain.name ?? null };
      }
    }
  }
  return null;
}

/** Replies that went back with the DNAT target's address, not by a NOTRACK the snapshot shows: conntrack had no entry to undo it. */
function unNattedRepliesFinding(ctx: CheckContext, flows: readonly AssembledFlow[]): Finding[] {
  if (!flows.length) return [];
  const evidence = flows.slice(0, 4).map((f) => untranslatedReplyEvidence(ctx, f));
  const backends = [...new Set(flows.map((f) => ipv4ToString(f.egress!.replyPeer!.src)))];
  return [
    finding(
      'snat-missing',
      'error',
      'likely',
      `Replies from ${backends.join(', ')} leave untranslated`,
      `The replies of ${plural(flows.length, 'flow')} left from ${backends.join(', ')}, the DNAT target, instead of the address their clients asked, so the clients drop them: ` +
        'the gateway did not undo the DNAT, as it does for a connection conntrack tracks. Most likely the entries were gone (conntrack -F, a restart) or a NOTRACK rule the snapshot does not show exempted the replies.',
      uniqueEvidence(evidence, 8),
      [
        // Where a notrack rule could be: iptables' raw table, nftables' own tables (both, where the snapshot holds both).
        ...(ctx.snapshot?.rules || !ctx.snapshot?.nft ? ['iptables-save -t raw -c  # a NOTRACK / CT --notrack rule for these addresses'] : []),
        ...(ctx.snapshot?.nft ? ['nft list ruleset | grep -n notrack  # a notrack rule for these addresses'] : []),
        `conntrack -L -d ${backends[0]}  # their entries, if any`,
      ],
      flows,
    ),
  ];
}

/** Flows that left the outside interface with their private source. */
function untranslatedFinding(ctx: CheckContext, flows: readonly AssembledFlow[]): Finding[] {
  if (!flows.length) return [];
  const evidence: Evidence[] = flows.slice(0, 6).flatMap((f) => untranslatedRequestEvidence(ctx, f));
  const nat = ctx.snapshot?.rules?.tables.nat;
  const natChains = natChainsOf(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft);
  const snatRules = natChains.flatMap((c) => c.rules).filter((r) => r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE');
  const egress = flows[0]!.egress ? ctx.ifaceName(flows[0]!.egress.iface) : (ctx.correlation.roles.outside ?? '<outside-interface>');
  const knownIfaces = new Set((ctx.snapshot?.host.interfaces ?? []).map((i) => i.name));
  // The rules that come closest: for each, why it did not take these packets (the first flow it misses).
  const near: ({ r: Rule } & NearMiss)[] = [];
  for (const r of snatRules) {
    evidence.push({ kind: 'rule', file: r.source.file, line: r.source.line, table: 'nat', chain: r.chain, text: r.text, counters: r.counters });
    for (const f of flows) {
      const w = whyNot(ctx, r, f, f.egress ? ctx.ifaceName(f.egress.iface) : egress, knownIfaces);
      if (w) {
        near.push({ r, ...w });
        break;
      }
    }
    if (evidence.length >= 12) break;
  }
  // A rule whose only miss is its output interface, or a set it looks the source up in, is the one meant for these packets.
  const misnamed = near.filter((n) => n.fixed !== null || n.command !== null);
  for (const n of misnamed.length ? misnamed : near.slice(0, 3)) {
    evidence.push({ kind: 'note', text: `${n.r.chain} rule at ${n.r.source.file}:${n.r.source.line} did not translate them: ${n.why}` });
  }
  // The chain a new rule goes to: nftables' own postrouting nat chain when the NAT lives there, else iptables' POSTROUTING.
  const nftPost = (ctx.snapshot?.nft?.baseChains ?? []).find((b) => b.type === 'nat' && b.hook === 'POSTROUTING') ?? null;
  const post = nat?.chains.find((c) => c.name === 'POSTROUTING') ?? nftPost?.chain;
  if (!snatRules.length) evidence.push({ kind: 'note', text: nat || nftPost ? 'the nat rules hold no SNAT or MASQUERADE rule at all' : 'the snapshot has no nat table' });
  const place = natHookChain(ctx.snapshot, 'POSTROUTING');
  const sources = [...new Set(flows.map((f) => ipv4ToString(f.original.src)))];
  // firewalld's way: masquerade in the zone of the interface the traffic leaves by.
  const zone = firewalldZone(ctx.snapshot, egress);
  const masqueradeZone = zone ? [`firewall-cmd --permanent --zone=${zone} --add-masquerade && firewall-cmd --reload  # firewalld: masquerade what leaves by ${egress} (zone ${zone})`] : [];
  const iptablesNat = snatRules.some((r) => !isNftRule(r));
  return [
    finding(
      'snat-missing',
      'error',
      rulesListed(ctx.snapshot) ? 'confirmed' : 'likely',
      `Traffic from ${sources.join(', ')} leaves ${egress} untranslated`,
      `${plural(flows.length, 'flow')} left ${egress} with the private source address ${sources.join(', ')}: no SNAT rule matched${post ? '' : ' (no nat POSTROUTING chain)'}, and no reply came back.` +
        (misnamed.length ? ` The SNAT rule at ${misnamed[0]!.r.source.file}:${misnamed[0]!.r.source.line} would translate them, but ${misnamed[0]!.why}.` : ''),
      uniqueEvidence(evidence, 16),
      [
        ...misnamed.map((n) => (n.fixed ? fixedRuleCommand(n.r, n.fixed) : n.command!)),
        ...(misnamed.some((n) => n.command) ? [IPSET_PERSIST] : []),
        ...(misnamed.length
          ? []
          : [
              // A gateway firewalld manages masquerades by zone: its way first where iptables holds no NAT of its own.
              ...(iptablesNat ? [] : masqueradeZone),
              ...sources.map((s) =>
                addRuleCommand(place, { iptables: `-s ${s}/32 -o ${egress} -j SNAT --to-source <EIP>`, nft: `ip saddr ${s} oifname "${egress}" ${nftNatTo(place, 'snat')} <EIP>` }),
              ),
              ...(iptablesNat ? masqueradeZone : []),
            ]),
        '# Kube-OVN: create or fix the IptablesSnatRule / IptablesFIPRule for this source (the controller restores the rule after restarts)',
      ],
      flows,
    ),
  ];
}

/** What keeps the loopback SNAT rules there are from a hairpin flow, and the commands that mend it. */
interface LoopbackMisses {
  /** Each loopback SNAT rule meant for the flows (its --ctorigdst, if any, takes them), with why it did not take them. */
  readonly rules: readonly { readonly rule: Rule; readonly why: string; readonly fixed: RuleEdit | null }[];
  /** The packet mark those rules wait for, when the mark is all that keeps them from the flows. */
  readonly mark: { readonly value: number; readonly mask: number } | null;
}

/**
 * The packet mark a flow's first packet carried as it reached nat POSTROUTING: its walk's MARK steps replayed from
 * 0 (a new connection's packet starts unmarked) — a rule's MARK target, or a mark an nftables rule sets before its
 * verdict (one step each, in the rule's order). Null when a step cannot be replayed (CONNMARK, arguments not understood).
 */
function markAtPostrouting(ctx: CheckContext, f: AssembledFlow): number | null {
  let mark = 0;
  const steps = f.trace?.steps ?? [];
  // How many MARK steps of the same rule came just before: the nth mark that rule sets.
  let nth = 0;
  for (let i = 0; i < steps.length; i++) {
    const st = steps[i]!;
    if (st.verdict.startsWith('CONNMARK')) return null;
    if (st.verdict !== 'MARK' || !st.rule) continue;
    const prev = steps[i - 1];
    nth = prev?.verdict === 'MARK' && prev.rule?.file === st.rule.file && prev.rule.line === st.rule.line && prev.chain === st.chain ? nth + 1 : 0;
    const r = ruleOf(ctx, st.rule);
    const set = r ? [...(r.pre ?? []), r.target].filter((t) => t.kind === 'MARK')[nth] : undefined;
    const next = set?.kind === 'MARK' ? markAfter(set.args, mark) : null;
    if (next === null) return null;
    mark = next;
  }
  return mark;
}

/** A mark match as the rule's listing writes it: `-m mark --mark V/M` (iptables), `meta mark & M == V` (nft). */
function markWords(r: Rule, m: { readonly value: number; readonly mask: number; readonly negate: boolean }): string {
  if (!isNftRule(r)) return `-m mark ${m.negate ? '! ' : ''}--mark ${hex(m.value)}/${hex(m.mask)}`;
  return `meta mark${m.mask === 0xffffffff ? '' : ` & ${hex(m.mask)}`} ${m.negate ? '!=' : '=='} ${hex(m.value)}`;
}

/**
 * Why the snapshot's loopback SNAT rules (isLoopbackSnat: Kube-OVN's HAIRPIN_SNAT, a masquerade for the VPC's own
 * subnet) did not take the hairpin flows: for each flow, the rules meant for it — those whose --ctorigdst takes the
 * address it asked — and the first of their matches that fails: addresses, interface, protocol, ports (whyNot) or
 * the packet mark (`-m mark`), replayed from the flow's walk. Empty when there are none.
 */
function loopbackMisses(ctx: CheckContext, flows: readonly AssembledFlow[]): LoopbackMisses {
  const snap = ctx.snapshot;
  if (!snap) return { rules: [], mark: null };
  const loopback = natChainsOf(snap.rules, snap.nft).flatMap((c) => c.rules).filter((r) => (r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE') && isLoopbackSnat(r, snap));
  const known = new Set(snap.host.interfaces.map((i) => i.name));
  // Marks are set by rules (the mangle table's, as a rule): a listing of the nat table alone cannot tell what a packet carried.
  const haveMangle = hostView(snap).marksKnown;
  const found = new Map<Rule, { why: string; fixed: RuleEdit | null; markOnly: { value: number; mask: number } | null }>();
  for (const f of flows) {
    const egress = ctx.ifaceName(f.egress!.iface);
    const mark = haveMangle ? markAtPostrouting(ctx, f) : null;
    for (const r of loopback) {
      if (found.has(r)) continue;
      // Rules for another EIP's connections are not this flow's.
      if (r.matches.some((m) => m.kind === 'ctorigdst' && m.addr.cidr && cidrContains(m.addr.cidr, f.original.dst) === m.addr.negate)) continue;
      const base = whyNot(ctx, r, f, egress, known);
      const misses = base ? [base.why] : [];
      let markMiss: { value: number; mask: number } | null = null;
      for (const m of r.matches) {
        if (m.kind === 'mark' && !haveMangle) {
          misses.push(`its ${markWords(r, m)} reads a mark set by rules the snapshot does not show (it lists no mangle table: iptables-save shows every table)`);
          continue;
        }
        if (m.kind !== 'mark' || mark === null || (((mark & m.mask) >>> 0) === m.value >>> 0) !== m.negate) continue;
        misses.push(`its ${markWords(r, m)} does not take these packets, whose mark is ${hex(mark)}`);
        if (!m.negate) markMiss = { value: m.value >>> 0, mask: m.mask >>> 0 };
      }
      if (misses.length) found.set(r, { why: misses.join('; '), fixed: base && misses.length === 1 ? base.fixed : null, markOnly: !base && misses.length === 1 ? markMiss : null });
    }
  }
  const rules = [...found].map(([rule, x]) => ({ rule, why: x.why, fixed: x.fixed }));
  const marks = [...found.values()].map((x) => x.markOnly);
  const mark = marks.length > 0 && marks.every((m) => m !== null && m.value === marks[0]!.value && m.mask === marks[0]!.mask) ? marks[0]! : null;
  return { rules, mark };
}

/** The rules that set a mark the mask reads as `value` (`-j MARK`, an nftables `meta mark set`), in any table: the mangle table's, as a rule. */
function markSetters(ctx: CheckContext, value: number, mask: number): Rule[] {
  const chains = [...Object.values(ctx.snapshot?.rules?.tables ?? {}).flatMap((t) => t?.chains ?? []), ...new Set((ctx.snapshot?.nft?.baseChains ?? []).flatMap((b) => [...b.chains.values()]))];
  const gives = (t: Target): boolean => {
    const after = t.kind === 'MARK' ? markAfter(t.args, 0) : null;
    return after !== null && ((after & mask) >>> 0) === value;
  };
  const out: Rule[] = [];
  for (const r of chains.flatMap((c) => c.rules)) {
    if (!out.includes(r) && [...(r.pre ?? []), r.target].some(gives)) out.push(r);
  }
  return out;
}

/**
 * Where a mark for what comes in should be set: the one empty chain the mangle prerouting chain jumps to (the
 * chain a restart left empty, as Kube-OVN's VPC_MARK), else that prerouting chain itself — iptables' mangle
 * PREROUTING, or, where the rules are nftables' alone, the filter chain at prerouting that stands for mangle (its
 * priority from −150 down to above −300). The jump rule too, as evidence.
 */
function markChain(ctx: CheckContext): { place: ChainPlace; from: string; jump: Rule | null } {
  const snap = ctx.snapshot;
  const nftOnly = !(snap?.rules?.tables.mangle || snap?.rules?.tables.nat);
  const nftPre = nftOnly ? (snap?.nft?.baseChains ?? []).filter((b) => b.hook === 'PREROUTING' && b.type === 'filter' && b.priority <= -150 && b.priority > -300) : [];
  const base = nftPre[0];
  const pre = base ? base.chain : snap?.rules?.tables.mangle?.chains.find((c) => c.name === 'PREROUTING');
  const chains = base ? base.chains : new Map((snap?.rules?.tables.mangle?.chains ?? []).map((c) => [c.name, c] as const));
  const jumps = (pre?.rules ?? []).flatMap((r) => (r.target.kind === 'jump' ? [{ chain: r.target.chain, jump: r }] : []));
  const empty = jumps.filter((j) => chains.get(j.chain)?.rules.length === 0);
  const chain = empty.length === 1 ? empty[0]!.chain : (pre?.name ?? 'PREROUTING');
  return { place: chainTool(snap, 'mangle', chain), from: chainLabel('mangle', pre?.name ?? 'PREROUTING'), jump: empty.length === 1 ? empty[0]!.jump : null };
}

/**
 * NAT loopback without its SNAT (hairpinUnmasqueraded): a VPC host reaches another through an EIP; DNAT sends it
 * back out the interface it came in by with the client's own source, the backend answers the client directly on
 * their shared link, and the client drops an answer from an address it did not ask. A MASQUERADE (or SNAT to the
 * gateway's address) for what leaves by the interface it came in by brings the replies back through the gateway.
 */
function hairpinFinding(ctx: CheckContext): Finding[] {
  const found = ctx.flows.map((f) => ({ f, h: hairpinUnmasqueraded(ctx, f) })).filter((x) => x.h !== null);
  if (!found.length) return [];
  const flows = found.map((x) => x.f);
  const first = flows[0]!;
  const iface = ctx.ifaceName(first.egress!.iface);
  const subnet = found.find((x) => x.h!.subnet)?.h!.subnet ?? null;
  const eips = [...new Set(flows.map((f) => ipv4ToString(f.original.dst)))];
  const backends = [...new Set(flows.map((f) => ipv4ToString(f.observed!.dst)))];
  const clients = [...new Set(flows.map((f) => ipv4ToString(f.original.src)))];
  const evidence: Evidence[] = [];
  for (const f of flows.slice(0, 6)) {
    if (f.ingress.peer) evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id} left ${iface}, the way it came in, DNATed to ${ipv4ToString(f.observed!.dst)} but still from ${ipv4ToString(f.original.src)}; no reply came back through the gateway`));
  }
  for (const r of natRules(flows)) evidence.push(ruleEvidence(r));
  if (subnet) evidence.push({ kind: 'address', file: subnet.source.file, line: subnet.source.line, text: `${subnet.address}/${subnet.prefix} on ${iface}: ${clients.join(', ')} and ${backends.join(', ')} share this link` });
  const cidr = subnet ? `${ipv4ToString((subnet.v4 & (subnet.prefix ? (0xffffffff << (32 - subnet.prefix)) >>> 0 : 0)) >>> 0)}/${subnet.prefix}` : null;
  // The loopback SNAT rules there are, and what kept them from these flows.
  const near = loopbackMisses(ctx, flows);
  for (const x of near.rules) evidence.push(ruleEvidence(ruleRef(x.rule)));
  let why = 'No SNAT or MASQUERADE rule takes what leaves by the interface it came in by.';
  const vpc = cidr ?? '<vpc-cidr>';
  let fix = [
    `${addRuleCommand(natHookChain(ctx.snapshot, 'POSTROUTING'), { iptables: `-s ${vpc} -d ${vpc} -o ${iface} -j MASQUERADE`, nft: `ip saddr ${vpc} ip daddr ${vpc} oifname "${iface}" masquerade` })}  # the backend answers the gateway, which undoes both translations`,
  ];
  let cause = '';
  // The tools whose rules a fix changes without a command of its own here (to persist them).
  const edited: ('nft' | 'iptables')[] = [];
  if (near.rules.length) {
    const lines = near.rules.map((x) => `${x.rule.source.file.split('/').pop()}:${x.rule.source.line} (${x.rule.chain})`);
    why = `The hairpin SNAT ${near.rules.length === 1 ? 'rule' : 'rules'} ${lines.join(', ')} did not take them: ${near.rules.length === 1 ? '' : 'for each, '}${[...new Set(near.rules.map((x) => x.why))].join('; ')}.`;
    const fixed = near.rules.filter((x) => x.fixed !== null);
    if (fixed.length) fix = fixed.map((x) => fixedRuleCommand(x.rule, x.fixed!));
  }
  if (near.mark) {
    const { value, mask } = near.mark;
    const setters = markSetters(ctx, value, mask);
    const ingress = ctx.ifaceName(first.ingressIface);
    if (setters.length) {
      why += ` ${setters.length === 1 ? 'A rule sets' : 'Rules set'} that mark (${setters.map((r) => `${r.source.file.split('/').pop()}:${r.source.line}`).join(', ')}) but did not take these packets.`;
      for (const r of setters) evidence.push(ruleEvidence(ruleRef(r)));
      fix = [`# make the ${setters.length === 1 ? 'rule' : 'rules'} that set${setters.length === 1 ? 's' : ''} mark ${hex(value)}/${hex(mask)} take what comes in by ${ingress}`];
      edited.push(...setters.map((r) => (isNftRule(r) ? 'nft' : 'iptables') as 'nft' | 'iptables'));
    } else {
      const at = markChain(ctx);
      why += ` No rule sets that mark${at.jump ? ` (${at.place.chain}, which ${at.from} jumps to, is empty)` : ''}: the rules that set it are gone, as after a restart that restored the nat table alone.`;
      if (at.jump) evidence.push(ruleEvidence(ruleRef(at.jump)));
      // In nft's words (and/or, not & and |, which a shell would take): the bits of the mask set to the value.
      const nftMark = mask === 0xffffffff ? hex(value) : mask === value ? `meta mark or ${hex(value)}` : `meta mark and ${hex(~mask >>> 0)} or ${hex(value)}`;
      fix = [
        `${addRuleCommand(at.place, { iptables: `-i ${ingress} -j MARK --set-xmark ${hex(value)}/${hex(mask)}`, nft: `iifname "${ingress}" meta mark set ${nftMark}` })}  # what comes in from the VPC side is marked, and the hairpin SNAT takes it`,
      ];
    }
    cause = `: the hairpin SNAT waits for mark ${hex(value)}/${hex(mask)}, which ${setters.length ? 'no rule gives these packets' : 'nothing sets'}`;
  }
  return [
    finding(
      'snat-missing',
      'error',
      subnet && rulesListed(ctx.snapshot) ? 'confirmed' : 'likely',
      `Hairpin traffic to ${eips.join(', ')} is not masqueraded${cause || `: ${backends.join(', ')} ${backends.length === 1 ? 'answers' : 'answer'} ${clients.join(', ')} directly`}`,
      `${plural(flows.length, 'flow')} from the VPC side reached ${eips.join(', ')}, which DNAT maps back to the VPC side (NAT loopback): ` +
        `${flows.length === 1 ? 'it' : 'they'} left ${iface}, the way ${flows.length === 1 ? 'it' : 'they'} came in, to ${backends.join(', ')} but still from ${clients.join(', ')}${subnet ? `, on the same link (${cidr})` : ''}. ` +
        `So the backend answers the client directly, past the gateway, and the client drops an answer from an address it did not ask; no reply came back through the gateway. ` +
        why,
      uniqueEvidence(evidence, 12),
      [
        ...fix,
        ...persistCommands([...edited, ...fix.filter((c) => !c.startsWith('#')).map((c) => (c.startsWith('nft ') ? 'nft' : 'iptables') as 'nft' | 'iptables')]),
        '# or have VPC hosts reach each other by their own addresses, not through the EIP',
      ],
      flows,
    ),
  ];
}
