import { cidrContains } from '../model/address.js';
import type { AddrMatch, Match, Rule } from '../model/ruleset.js';
import { isRateLimit } from '../model/ruleset.js';
import type { HostView } from './host-view.js';
import { hasPorts, type PacketState } from './packet-state.js';
import type { SetHit } from '../model/trace.js';
import { lookupSet, setMatchHolds, setMatchWords } from './ipset-match.js';

/** Does a rule match: yes, no, or maybe (with the chance when `-m statistic` says it). */
export interface MatchResult {
  readonly verdict: 'yes' | 'no' | 'maybe';
  /** For 'maybe': the chance it matches; null when unknown. */
  readonly probability: number | null;
  /** For 'maybe': what made it uncertain. */
  readonly why: string;
  /** For 'yes': the ipset lookups the match relied on. */
  readonly sets?: readonly SetHit[];
}

const YES: MatchResult = { verdict: 'yes', probability: 1, why: '' };
const NO: MatchResult = { verdict: 'no', probability: 0, why: '' };

function maybe(probability: number | null, why: string): MatchResult {
  return { verdict: 'maybe', probability, why };
}

function bool(b: boolean): MatchResult {
  return b ? YES : NO;
}

/** `-i`/`-o` compare as the kernel does (ifname_compare_aligned): a trailing `+` matches any name with that prefix. */
export function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

function addrMatches(m: AddrMatch, a: number): boolean {
  // An IPv6 address in an IPv4 rule cannot happen in iptables; treat it as never matching.
  if (!m.cidr) return false;
  return cidrContains(m.cidr, a) !== m.negate;
}

/**
 * `-m addrtype` as xt_addrtype does: the type comes from the local table (inet_dev_addr_type), so an address
 * is LOCAL/BROADCAST only when the host owns it, MULTICAST for 224/4, UNSPEC for 0.0.0.0, else UNICAST.
 * With --limit-iface-in/out only addresses on that interface count.
 */
export function addrType(view: HostView, a: number, limitIface: string | null): string {
  if (a === 0) return 'UNSPEC';
  if (a >>> 28 === 0xe) return 'MULTICAST';
  if (a === 0xffffffff) return 'BROADCAST';
  if (a >>> 24 === 127) return limitIface === null || limitIface === 'lo' ? 'LOCAL' : 'UNICAST';
  const own = view.localAddrs.get(a);
  if (own && (limitIface === null || own.iface.name === limitIface)) return 'LOCAL';
  if (view.broadcastAddrs.has(a)) return 'BROADCAST';
  return 'UNICAST';
}

function matchOne(m: Match, s: PacketState, view: HostView): MatchResult {
  switch (m.kind) {
    case 'src':
      return bool(addrMatches(m.addr, s.src));
    case 'dst':
      return bool(addrMatches(m.addr, s.dst));
    case 'in':
      return bool(ifaceMatches(m.name, s.inIface) !== m.negate);
    case 'out':
      // Before routing the output interface is '' (nulldevname): only `+` matches it.
      return bool(ifaceMatches(m.name, s.outIface) !== m.negate);
    case 'proto':
      if (m.proto === 0) return bool(!m.negate);
      return bool((s.proto === m.proto) !== m.negate);
    case 'sport':
    case 'dport': {
      // The tcp/udp/multiport matches only look at packets of a port-carrying protocol.
      if (!hasPorts(s.proto)) return NO;
      const port = m.kind === 'sport' ? s.sport : s.dport;
      let hit = false;
      for (const r of m.ranges) if (port >= r.lo && port <= r.hi) hit = true;
      return bool(hit !== m.negate);
    }
    case 'icmp-type': {
      if (s.proto !== 1) return NO;
      // `--icmp-type any` is type 255 (xt_icmp: 0xFF matches every type).
      const hit = m.type === 255 || (m.type === s.icmpType && (m.code < 0 || m.code === s.icmpCode));
      return bool(hit !== m.negate);
    }
    case 'ctstate': {
      let hit = false;
      let unknown = false;
      for (const st of m.states) {
        switch (st) {
          case 'NEW':
            if (s.ct === 'new') hit = true;
            break;
          case 'ESTABLISHED':
            if (s.ct === 'established') hit = true;
            break;
          case 'RELATED':
            if (s.ct === 'related') hit = true;
            break;
          case 'UNTRACKED':
            if (s.ct === 'untracked') hit = true;
            break;
          case 'INVALID':
            if (s.ct === 'invalid') hit = true;
            break;
          case 'DNAT':
          case 'SNAT': {
            if (s.ct === 'untracked' || s.ct === 'invalid') break;
            // A new connection's NAT bits are known from this walk; a later packet's are not.
            if (s.ct !== 'new' && s.origSrc === null) unknown = true;
            else if (st === 'DNAT' ? s.dnatDone : s.snatDone) hit = true;
            break;
          }
          default:
            unknown = true;
        }
      }
      if (hit) return bool(!m.negate);
      if (unknown) return maybe(null, `conntrack state ${m.states.join(',')} of a connection the snapshot does not show`);
      return bool(m.negate);
    }
    case 'ctorigsrc':
    case 'ctorigdst': {
      if (s.ct === 'untracked' || s.ct === 'invalid') return NO;
      const a = m.kind === 'ctorigsrc' ? s.origSrc : s.origDst;
      if (a === null) return maybe(null, `--${m.kind} of a connection whose original direction is unknown`);
      return bool(addrMatches(m.addr, a));
    }
    case 'ctreplsrc':
    case 'ctrepldst':
      if (s.ct === 'untracked' || s.ct === 'invalid') return NO;
      return maybe(null, `--${m.kind} is not modelled`);
    case 'mark':
      // A listing of some tables only (iptables -t nat -L) does not show the rules that set marks.
      if (!view.marksKnown) return maybe(null, 'the packet mark is set by rules the snapshot does not show (it lists no mangle table: iptables-save shows every table)');
      return bool((((s.mark & m.mask) >>> 0) === (m.value >>> 0)) !== m.negate);
    case 'connmark':
      if (s.ctmark === null) return maybe(null, 'connection mark of a connection the snapshot does not show');
      return bool((((s.ctmark & m.mask) >>> 0) === (m.value >>> 0)) !== m.negate);
    case 'comment':
      return YES;
    case 'addrtype': {
      const limIn = m.limitIfaceIn ? s.inIface : null;
      const limOut = m.limitIfaceOut ? s.outIface : null;
      const lim = limIn ?? limOut;
      if (m.srcType && m.srcType.length > 0) {
        const t = addrType(view, s.src, lim);
        if (m.srcType.includes(t) === m.negateSrc) return NO;
      }
      if (m.dstType && m.dstType.length > 0) {
        const t = addrType(view, s.dst, lim);
        if (m.dstType.includes(t) === m.negateDst) return NO;
      }
      return YES;
    }
    case 'statistic': {
      let p: number | null;
      if (m.mode === 'random') p = m.probability ?? null;
      else p = m.every && m.every > 0 ? 1 / m.every : null;
      if (p !== null && m.negate) p = 1 - p;
      if (p !== null && p >= 1) return YES;
      if (p !== null && p <= 0) return NO;
      const what = m.mode === 'random' ? `-m statistic --mode random --probability ${m.probability ?? '?'}` : `-m statistic --mode nth --every ${m.every ?? '?'}`;
      return maybe(p, `${m.negate ? '! ' : ''}${what}`);
    }
    case 'fragment':
      // The simulated packet is a whole datagram (or a first fragment): `-f` never matches it.
      return bool(m.negate);
    case 'set': {
      const r = lookupSet(view.snapshot.host.ipsets, m.name, m.flags, s);
      if (r.kind === 'unknown') return maybe(null, `-m set ${setMatchWords(m)}: ${r.why}`);
      if (!setMatchHolds(m, r)) return NO;
      const member = r.kind === 'out' ? null : { text: r.member.text, nomatch: r.member.nomatch, source: r.member.source };
      return { verdict: 'yes', probability: 1, why: '', sets: [{ set: r.set.name, values: r.values, negate: m.negate, member, setSource: r.set.source }] };
    }
    case 'unknown': {
      // The same for every packet: made once per match (a ruleset of thousands of them is walked for every flow).
      let r = UNMODELLED.get(m);
      if (r === undefined) UNMODELLED.set(m, (r = unmodelled(m)));
      return r;
    }
  }
}

/** What an unmodelled match says of every packet, by match. */
const UNMODELLED = new WeakMap<Match, MatchResult>();

function unmodelled(m: Extract<Match, { kind: 'unknown' }>): MatchResult {
  // A rate limit matches while packets come slower than its rate: some packets of a flow, not others.
  if (isRateLimit(m.module)) return maybe(null, `a rate limit (${m.module.replace(/:$/, '')} ${m.args.join(' ')}): it matches only while packets come slower than that`);
  if (m.module === 'nft') return maybe(null, `${m.args.join(' ')} (nftables) is not modelled`);
  return maybe(null, `-m ${m.module}${m.args.length ? ' ' + m.args.join(' ') : ''} is not modelled`);
}

/**
 * Every match of a rule must hold (iptables ANDs them). A definite miss wins over any uncertainty; several
 * uncertain matches multiply their chances (independent statistic draws).
 */
export function matchRule(rule: Rule, s: PacketState, view: HostView): MatchResult {
  let c = CONSTANT.get(rule);
  if (c === undefined) CONSTANT.set(rule, (c = rule.matches.every(samePerPacket) ? matchEach(rule, s, view) : null));
  return c ?? matchEach(rule, s, view);
}

/**
 * Rules whose matches read nothing of the packet (none at all, `-m statistic`, options not modelled) say the same
 * of every packet: their result, made once (null: a rule that reads the packet). A ruleset of thousands of rules
 * the parser could not model is walked for every flow, and each walk made the same words again for each of them.
 */
const CONSTANT = new WeakMap<Rule, MatchResult | null>();

function samePerPacket(m: Match): boolean {
  return m.kind === 'unknown' || m.kind === 'statistic' || m.kind === 'fragment';
}

function matchEach(rule: Rule, s: PacketState, view: HostView): MatchResult {
  let prob: number | null = 1;
  const whys: string[] = [];
  let sets: SetHit[] | null = null;
  for (const m of rule.matches) {
    const r = matchOne(m, s, view);
    if (r.verdict === 'no') return NO;
    if (r.sets) (sets ??= []).push(...r.sets);
    if (r.verdict === 'maybe') {
      prob = prob === null || r.probability === null ? null : prob * r.probability;
      whys.push(r.why);
    }
  }
  if (rule.unsure.length > 0) {
    prob = null;
    // Options already said by an unmodelled match (`-m set --match-set s dst`) are not said twice.
    const said = whys.join(' ');
    const rest = rule.unsure.join(' ');
    if (!said.includes(rest)) whys.push(`not modelled: ${rest}`);
  }
  if (whys.length === 0) return sets ? { ...YES, sets } : YES;
  return maybe(prob, whys.join('; '));
}
