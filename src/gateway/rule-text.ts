/**
 * Canonical rule text (`-A CHAIN …` as iptables-save prints it, without counters), rebuilt from the model for the
 * forms that do not carry it (`iptables -L`), and the comparison key reconciliation uses across forms.
 */
import { cidrToString, ipv4ToString } from '../model/address.js';
import type { AddrMatch, Match, NatRange, PortRange, Target } from '../model/ruleset.js';
import { protoName } from './protocols.js';
import { quoteToken } from './tokenize.js';

function addr(a: AddrMatch): string {
  if (a.cidr) return cidrToString(a.cidr);
  return a.v6 ?? '?';
}

function ports(rs: readonly PortRange[]): string {
  return rs.map((r) => (r.lo === r.hi ? String(r.lo) : `${r.lo}:${r.hi}`)).join(',');
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export function natRangeText(r: NatRange): string {
  let s = '';
  if (r.addrLo !== 0 || r.addrHi !== 0) s = r.addrLo === r.addrHi ? ipv4ToString(r.addrLo) : `${ipv4ToString(r.addrLo)}-${ipv4ToString(r.addrHi)}`;
  if (r.portLo !== 0) s += r.portLo === r.portHi ? `:${r.portLo}` : `:${r.portLo}-${r.portHi}`;
  return s;
}

const neg = (n: boolean): string => (n ? '! ' : '');

/** Options of one match in iptables-save order and spelling. */
export function matchText(m: Match, proto: number): string {
  switch (m.kind) {
    case 'src':
      return `${neg(m.addr.negate)}-s ${addr(m.addr)}`;
    case 'dst':
      return `${neg(m.addr.negate)}-d ${addr(m.addr)}`;
    case 'in':
      return `${neg(m.negate)}-i ${m.name}`;
    case 'out':
      return `${neg(m.negate)}-o ${m.name}`;
    case 'proto':
      return `${neg(m.negate)}-p ${protoName(m.proto)}`;
    case 'fragment':
      return `${neg(m.negate)}-f`;
    case 'sport':
    case 'dport': {
      if (m.ranges.length === 1) {
        const mod = proto === 17 ? 'udp' : proto === 132 ? 'sctp' : 'tcp';
        return `-m ${mod} ${neg(m.negate)}--${m.kind} ${ports(m.ranges)}`;
      }
      return `-m multiport ${neg(m.negate)}--${m.kind}s ${ports(m.ranges)}`;
    }
    case 'icmp-type':
      return `-m icmp ${neg(m.negate)}--icmp-type ${m.type}${m.code >= 0 ? `/${m.code}` : ''}`;
    case 'ctstate':
      return `-m conntrack ${neg(m.negate)}--ctstate ${m.states.join(',')}`;
    case 'ctorigsrc':
    case 'ctorigdst':
    case 'ctreplsrc':
    case 'ctrepldst':
      return `-m conntrack ${neg(m.addr.negate)}--${m.kind} ${addr(m.addr)}`;
    case 'mark':
    case 'connmark':
      return `-m ${m.kind} ${neg(m.negate)}--mark ${hex(m.value)}${m.mask === 0xffffffff ? '' : `/${hex(m.mask)}`}`;
    case 'comment':
      return `-m comment --comment ${quoteToken(m.text)}`;
    case 'addrtype': {
      const parts = ['-m addrtype'];
      if (m.srcType) parts.push(`${neg(m.negateSrc)}--src-type ${m.srcType.join(',')}`);
      if (m.dstType) parts.push(`${neg(m.negateDst)}--dst-type ${m.dstType.join(',')}`);
      if (m.limitIfaceIn) parts.push('--limit-iface-in');
      if (m.limitIfaceOut) parts.push('--limit-iface-out');
      return parts.join(' ');
    }
    case 'statistic': {
      const parts = [`-m statistic --mode ${m.mode}`];
      if (m.probability !== undefined) parts.push(`${neg(m.negate)}--probability ${m.probability}`);
      if (m.every !== undefined) parts.push(`${neg(m.negate)}--every ${m.every}`);
      if (m.packet !== undefined) parts.push(`--packet ${m.packet}`);
      return parts.join(' ');
    }
    case 'set':
      return `-m set ${neg(m.negate)}--match-set ${m.name} ${m.flags.join(',')}${m.returnNomatch ? ' --return-nomatch' : ''}`;
    case 'unknown':
      return `-m ${m.module}${m.args.length > 0 ? ' ' : ''}${m.args.map(quoteToken).join(' ')}`;
  }
}

export function targetText(t: Target): string {
  switch (t.kind) {
    case 'none':
      return '';
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'NOTRACK':
      return `-j ${t.kind}`;
    case 'REJECT':
      return `-j REJECT --reject-with ${t.rejectWith}`;
    case 'jump':
      return `-j ${t.chain}`;
    case 'goto':
      return `-g ${t.chain}`;
    case 'DNAT':
      return [
        '-j DNAT',
        ...t.to.map((r) => `--to-destination ${natRangeText(r)}`),
        t.random ? '--random' : '',
        t.persistent ? '--persistent' : '',
      ].filter((s) => s !== '').join(' ');
    case 'SNAT':
      return [
        '-j SNAT',
        ...t.to.map((r) => `--to-source ${natRangeText(r)}`),
        t.random ? '--random' : '',
        t.randomFully ? '--random-fully' : '',
        t.persistent ? '--persistent' : '',
      ].filter((s) => s !== '').join(' ');
    case 'MASQUERADE':
      return [
        '-j MASQUERADE',
        t.ports ? `--to-ports ${t.ports.lo === t.ports.hi ? t.ports.lo : `${t.ports.lo}-${t.ports.hi}`}` : '',
        t.random ? '--random' : '',
        t.randomFully ? '--random-fully' : '',
      ].filter((s) => s !== '').join(' ');
    case 'SET':
      return `set ${t.field.endsWith('addr') ? `ip ${t.field} ${ipv4ToString(t.value)}` : `th ${t.field} ${t.value}`}`;
    case 'REDIRECT':
      return `-j REDIRECT${t.ports ? ` --to-ports ${t.ports.lo === t.ports.hi ? t.ports.lo : `${t.ports.lo}-${t.ports.hi}`}` : ''}`;
    case 'MARK':
    case 'CONNMARK':
    case 'LOG':
    case 'NFLOG':
    case 'TRACE':
    case 'CT':
      return [`-j ${t.kind}`, ...t.args.map(quoteToken)].join(' ');
    case 'unknown':
      return [`-j ${t.name}`, ...t.args.map(quoteToken)].join(' ');
  }
}

/** Base matches first (-s -d -i -o -p -f), then modules, as iptables-save orders them. */
const BASE_ORDER: Readonly<Record<string, number>> = { src: 0, dst: 1, in: 2, out: 3, proto: 4, fragment: 5 };

/**
 * A rule line as iptables-save -c or iptables -S -v printed it, without its `-c PACKETS BYTES` (the counters are kept
 * apart). The match starts only where a run of blanks does: from inside one it would try every start, quadratic
 * on a hostile line of many blanks.
 */
export function withoutCounters(line: string): string {
  return line.replace(/(?<!\s)\s+-c\s+\d+\s+\d+(?=\s|$)/, '');
}

export function ruleText(chain: string, matches: readonly Match[], target: Target): string {
  const proto = matches.find((m): m is Extract<Match, { kind: 'proto' }> => m.kind === 'proto')?.proto ?? 0;
  const sorted = [...matches].sort((a, b) => (BASE_ORDER[a.kind] ?? 9) - (BASE_ORDER[b.kind] ?? 9));
  const parts = [`-A ${chain}`, ...sorted.map((m) => matchText(m, proto)), targetText(target)];
  return parts.filter((s) => s !== '').join(' ');
}

/**
 * What two forms of one rule must agree on: every modelled match and the target's verdict and translation.
 * Unknown matches and LOG/MARK options are left out: `iptables -L` prints them in its own words.
 */
export function ruleSignature(matches: readonly Match[], target: Target): string {
  const ms = matches
    .filter((m) => m.kind !== 'unknown')
    .map((m) => {
      if (m.kind === 'statistic' && m.probability !== undefined) return { ...m, probability: Math.round(m.probability * 1e6) / 1e6 };
      return m;
    })
    .map(stableJson)
    .sort();
  let tg: unknown;
  switch (target.kind) {
    case 'MARK':
    case 'CONNMARK':
    case 'LOG':
    case 'NFLOG':
    case 'TRACE':
      tg = target.kind;
      break;
    case 'CT':
      tg = ['CT', target.notrack];
      break;
    case 'unknown':
      tg = ['unknown', target.name];
      break;
    default:
      tg = target;
  }
  return JSON.stringify([ms, stableJson(tg)]);
}

/** JSON with object keys sorted at every depth, so equal data gives equal text. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}
