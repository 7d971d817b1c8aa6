import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import { Proto, TcpFlag } from '../../model/packet.js';
import type { Rule } from '../../model/ruleset.js';
import type { NatRewrite } from '../../model/trace.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { conntrackStatsEvidence, frameEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { plural, ruleOf, stoppedFrameEvidence } from '../flow-facts.js';
import { replaceRuleCommand, type RuleSyntax } from '../rule-commands.js';

/**
 * SNAT has run out of source ports for one destination. A connection's translated tuple must be unique, and it
 * differs from another's to the same remote address and port only by the source address and port the SNAT rule
 * gives it (`--to-source A[-B][:lo-hi]`, MASQUERADE `--to-ports lo-hi`; without a range, 1024–65535 for source ports
 * above 1023). When every one of them is held — by live connections, or entries not yet expired (TIME_WAIT) — nf_nat
 * finds no free tuple, the new connection's entry clashes at confirm, and its first packet is dropped (conntrack -S
 * counts insert_failed and drop). The captures show the new connection's first packet arriving and going nowhere,
 * and the connections that hold the ports; nothing in the rules drops it.
 */

/** How long a closed TCP connection's entry still holds its tuple (TIME_WAIT, nf_conntrack_tcp_timeout_time_wait). */
const HOLD_NS = 120e9;

/** The source addresses and ports a NAT rule may give, and how many tuples that makes per destination. */
interface Pool {
  readonly addresses: number;
  readonly portLo: number;
  readonly portHi: number;
  /** The rule names the port range itself. */
  readonly explicit: boolean;
  readonly capacity: number;
  readonly text: string;
}

/** nf_nat's default range for a source port (nf_nat_l4proto_unique_tuple): above 1023, 1024–65535. */
function defaultPorts(sport: number): [number, number] {
  if (sport < 512) return [1, 511];
  if (sport < 1024) return [600, 1023];
  return [1024, 65535];
}

function poolOf(rule: Rule, rw: NatRewrite, sport: number): Pool | null {
  const t = rule.target;
  let addresses = 1;
  let lo = 0;
  let hi = 0;
  if (t.kind === 'SNAT') {
    if (!t.to.length) return null;
    addresses = t.to.reduce((n, r) => n + (r.addrHi >>> 0) - (r.addrLo >>> 0) + 1, 0);
    lo = t.to[0]!.portLo;
    hi = t.to[0]!.portHi;
  } else if (t.kind === 'MASQUERADE') {
    lo = t.ports?.lo ?? 0;
    hi = t.ports?.hi ?? 0;
  } else {
    return null;
  }
  const explicit = lo > 0;
  if (!explicit) [lo, hi] = defaultPorts(sport);
  const capacity = addresses * (hi - lo + 1);
  const text = `${addresses === 1 ? ipv4ToString(rw.after.src) : `${addresses} addresses`}, ports ${lo}–${hi}${explicit ? '' : ' (no range given: the kernel\'s default)'}`;
  return { addresses, portLo: lo, portHi: hi, explicit, capacity, text };
}

/** A flow whose first packet asks for a new connection: TCP SYN, a UDP datagram. */
function startsConnection(f: AssembledFlow): boolean {
  if (f.proto === Proto.TCP) return (f.first.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
  return f.proto === Proto.UDP;
}

interface Hit {
  readonly f: AssembledFlow;
  readonly rw: NatRewrite;
  readonly pool: Pool;
  /** Flows holding a tuple of the pool to the same destination when `f` came. */
  readonly holders: readonly AssembledFlow[];
  /** Ports held, from the captures and conntrack -L (address:port). */
  readonly held: number;
}

/** What holds tuples to each destination (`${proto}|${address}|${port}`): translated flows, and conntrack -L's reply tuples. */
interface Holders {
  readonly flows: Map<string, AssembledFlow[]>;
  readonly entries: Map<string, { readonly addr: number; readonly port: number }[]>;
}

function holdersByDestination(ctx: CheckContext): Holders {
  const flows = new Map<string, AssembledFlow[]>();
  for (const g of ctx.flows) {
    const o = g.observed;
    if (!o || (g.proto !== Proto.TCP && g.proto !== Proto.UDP)) continue;
    const k = `${g.proto}|${o.dst}|${o.dport}`;
    const list = flows.get(k);
    if (list) list.push(g);
    else flows.set(k, [g]);
  }
  const entries = new Map<string, { addr: number; port: number }[]>();
  for (const e of ctx.snapshot?.host.conntrack ?? []) {
    const r = e.reply;
    if ((e.protoNum !== Proto.TCP && e.protoNum !== Proto.UDP) || r.sport === null || r.dport === null) continue;
    const k = `${e.protoNum}|${r.src}|${r.sport}`;
    const list = entries.get(k);
    if (list) list.push({ addr: r.dst, port: r.dport });
    else entries.set(k, [{ addr: r.dst, port: r.dport }]);
  }
  return { flows, entries };
}

function exhaustion(ctx: CheckContext, f: AssembledFlow, index: () => Holders): Hit | null {
  if (f.disposition !== 'stopped-at-gateway' || !startsConnection(f)) return null;
  const t = f.trace;
  if (!t || t.disposition.kind !== 'forwarded') return null;
  const rw = t.rewrites.find((r) => r.kind === 'SNAT' || r.kind === 'MASQUERADE');
  if (!rw) return null;
  const rule = ruleOf(ctx, rw.rule);
  const pool = rule ? poolOf(rule, rw, f.original.sport) : null;
  if (!rule || !pool) return null;
  const to = rule.target.kind === 'SNAT' ? rule.target.to : null;
  const inPool = (addr: number, port: number): boolean =>
    port >= pool.portLo && port <= pool.portHi && (to ? to.some((r) => addr >>> 0 >= r.addrLo >>> 0 && addr >>> 0 <= r.addrHi >>> 0) : addr === rw.after.src);
  const dst = rw.after.dst;
  const dport = rw.after.dport;
  const held = new Set<string>();
  const holders: AssembledFlow[] = [];
  const k = `${f.proto}|${dst}|${dport}`;
  const { flows, entries } = index();
  for (const g of flows.get(k) ?? []) {
    const o = g.observed!;
    if (g === f || !inPool(o.src, o.sport) || g.firstT > f.firstT || f.firstT - g.lastT > HOLD_NS) continue;
    holders.push(g);
    held.add(`${o.src}:${o.sport}`);
  }
  for (const e of entries.get(k) ?? []) if (inPool(e.addr, e.port)) held.add(`${e.addr}:${e.port}`);
  const insertFailed = (ctx.snapshot?.host.conntrackStats?.insertFailed ?? 0) > 0;
  if (held.size >= pool.capacity || (pool.explicit && insertFailed && held.size > 0 && held.size * 2 >= pool.capacity)) {
    return { f, rw, pool, holders, held: held.size };
  }
  return null;
}

export const snatPortsExhausted: Check = {
  id: 'snat-ports-exhausted',
  description:
    'Beyond the catalogue: new connections to one destination stop at the gateway while the ones that hold every source port the SNAT rule may give (its --to-source range, or the kernel default) pass — no free tuple, the new entry clashes and its packet is dropped (conntrack -S insert_failed).',
  rank: 1,
  run(ctx: CheckContext) {
    const hits: Hit[] = [];
    // Indexed once, on the first stopped flow that asks: a capture of many stopped connections must not scan every flow for each.
    let holders: Holders | null = null;
    const index = (): Holders => (holders ??= holdersByDestination(ctx));
    for (const f of ctx.flows) {
      const h = exhaustion(ctx, f, index);
      if (h) hits.push(h);
    }
    if (!hits.length) return [];
    const stats = ctx.snapshot?.host.conntrackStats ?? null;
    const full = hits.every((h) => h.held >= h.pool.capacity);
    const evidence: Evidence[] = [];
    const seen = new Set<string>();
    for (const h of hits) {
      const k = `${h.rw.rule.file}:${h.rw.rule.line}`;
      if (!seen.has(k)) {
        seen.add(k);
        evidence.push(ruleEvidence(h.rw.rule));
        evidence.push({ kind: 'note', text: `the ${h.rw.rule.chain} rule at ${k} gives ${h.pool.text}: ${plural(h.pool.capacity, 'connection')} at a time to one destination address and port` });
      }
      for (const g of h.holders.slice(0, 4)) {
        evidence.push(frameEvidence(ctx, g.first, `${g.id} holds ${ipv4ToString(g.observed!.src)}:${g.observed!.sport} to ${ipv4ToString(g.observed!.dst)}:${g.observed!.dport}`));
      }
    }
    if (stats && (stats.insertFailed > 0 || stats.drop > 0)) evidence.push(conntrackStatsEvidence(stats, stats.dropLines, `insert_failed=${stats.insertFailed} drop=${stats.drop}`));
    const dests = [...new Set(hits.map((h) => `${ipv4ToString(h.rw.after.dst)}:${h.rw.after.dport}`))];
    const h0 = hits[0]!;
    const detail =
      `${plural(hits.length, 'new connection')} to ${dests.join(', ')} reached the gateway and ${hits.length === 1 ? 'was' : 'were'} not forwarded, though the rules would SNAT ${hits.length === 1 ? 'it' : 'them'}. ` +
      `The ${h0.rw.rule.chain} rule at ${h0.rw.rule.file}:${h0.rw.rule.line} gives ${h0.pool.text}, and ${h0.held} ${h0.held === 1 ? 'was' : 'were'} held by connections to the same destination when ${h0.f.id} came${h0.holders.length ? ` (${h0.holders.slice(0, 6).map((g) => g.id).join(', ')}${h0.holders.length > 6 ? ', …' : ''})` : ''}: ` +
      `a translated connection must differ from the others to that address and port by its source address or port, and none was left, so its conntrack entry clashed and its packet was dropped.` +
      (stats && stats.insertFailed > 0 ? ` conntrack -S counts ${stats.insertFailed} failed insert${stats.insertFailed === 1 ? '' : 's'} since boot.` : '');
    const fix = [
      h0.pool.explicit
        ? `# widen the rule's port range or give it more addresses: ${replaceRuleCommand(h0.rw.rule, widenedPorts)}`
        : '# give the SNAT rule more addresses (--to-source A-B) or spread the subnet over more EIPs: one address has 64,512 ports per destination',
      `conntrack -L -p ${h0.f.proto === Proto.TCP ? 'tcp' : 'udp'} --reply-src ${ipv4ToString(h0.rw.after.dst)} | wc -l  # connections holding a port to that destination, TIME_WAIT included`,
      'sysctl net.netfilter.nf_conntrack_tcp_timeout_time_wait  # closed connections hold their port this long (120 s): many short connections to one destination exhaust the range too',
      "# Kube-OVN: add EIPs to the NAT gateway's SNAT rule (IptablesSnatRule) for the subnet",
    ];
    return [
      finding(
        'snat-ports-exhausted',
        'error',
        full ? 'confirmed' : 'likely',
        `SNAT has no source port left for new connections to ${dests.join(', ')}`,
        detail,
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, hits.map((h) => h.f), 2, 6)], 16),
        fix,
        hits.map((h) => h.f),
      ),
    ];
  },
};

/** A SNAT or MASQUERADE rule's port range made the whole unprivileged range, in iptables' words or nft's. */
function widenedPorts(body: string, syntax: RuleSyntax): string {
  return syntax === 'nft'
    ? body.replace(/(\b(?:snat|masquerade)\b(?:\s+ip)?\s+to\s+\S*?):\d+-\d+/, '$1:1024-65535')
    : body.replace(/(--to-source\s+\S+?):\d+-\d+/, '$1:1024-65535').replace(/--to-ports\s+\d+-\d+/, '--to-ports 1024-65535');
}
