import type { Evidence, Finding } from '../../model/analysis.js';
import { cidrContains, ipv4ToString } from '../../model/address.js';
import { Proto, TcpFlag } from '../../model/packet.js';
import type { Chain, Rule } from '../../model/ruleset.js';
import type { RuleRef } from '../../model/trace.js';
import type { SourceRef } from '../../model/source.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { QuotedError } from '../../correlate/connection.js';
import { Dir, type PacketInfo } from '../../correlate/packet-info.js';
import { natOwnAddressRule } from '../../gateway/nat-addresses.js';
import { protoName } from '../../gateway/protocols.js';
import { ruleRef } from '../../simulate/rule-ref.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, frameEvidence, policyEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { chainAt, gatewayResets, plural } from '../flow-facts.js';
import { natChainsOf } from '../../gateway/nat-rules-present.js';
import { addRuleCommand, chainTool, natHookChain, nftNatTo, type ChainPlace } from '../rule-commands.js';

/**
 * A port forward (or floating IP) whose DNAT rule is gone while its EIP stays on the outside interface: the requests
 * are the gateway's own then, and with nothing listening it refuses them itself — a reset for TCP, ICMP port
 * unreachable for UDP. The flows are `local`; without this check the analysis would say nothing stops.
 */

/**
 * What the gateway did with the request itself: sent back its reset, or its ICMP destination unreachable, or (`drop`)
 * dropped it in silence by its INPUT chain — the rule, or the policy (null).
 */
interface Refusal {
  readonly reset: PacketInfo | null;
  readonly error: QuotedError | null;
  readonly drop?: { readonly rule: RuleRef | null; readonly source: SourceRef | null };
}

function refusalOf(f: AssembledFlow): Refusal | null {
  // Services: what a port forward carries. Pings to an EIP the gateway answers, or drops, are its own business.
  if (f.proto !== Proto.TCP && f.proto !== Proto.UDP) return null;
  const d = f.trace?.disposition;
  if (d?.kind === 'dropped' && d.reason === 'input-chain' && !d.icmpBack) return { reset: null, error: null, drop: { rule: d.rule, source: d.source } };
  if (f.proto === Proto.TCP) {
    // A connection met in mid-stream that the gateway resets is one whose conntrack entry was lost (conntrack-state-lost's).
    if (!f.sawSyn) return null;
    // A SYN-ACK from the gateway: something there listens, and the connection is its own.
    if (f.ingress.samples.some((p) => p.connDir === 1 && p.dir === Dir.OUT && (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK))) return null;
    const reset = gatewayResets(f)[0];
    return reset ? { reset, error: null } : null;
  }
  const error = f.errors.find((e) => e.fromGateway && e.type === 3 && e.dir === Dir.OUT);
  return error ? { reset: null, error } : null;
}

/** One refused service: an EIP, a protocol and a port. */
interface Service {
  readonly dst: number;
  readonly proto: number;
  readonly dport: number;
  readonly flows: AssembledFlow[];
  readonly refusals: Refusal[];
}

/**
 * What says `addr` is an EIP of this gateway: the outside interface's address line, where `ip addr` was given;
 * without it, the nat rule that names the address among the gateway's own (natOwnAddresses: SNAT to it, DNAT for it).
 */
function eipEvidence(ctx: CheckContext, addr: number): Evidence | null {
  const host = ctx.snapshot?.host;
  if (host?.have.addresses) {
    const outside = ctx.correlation.roles.outside;
    const itf = host.interfaces.find((i) => i.name === outside);
    const a = itf?.addresses.find((x) => x.family === 4 && x.v4 === addr);
    return itf && a ? { kind: 'address', file: a.source.file, line: a.source.line, text: `${itf.name}: inet ${a.address}/${a.prefix} — the EIP is on the outside interface` } : null;
  }
  const r = natOwnAddressRule(ctx.snapshot?.rules ?? null, addr, ctx.snapshot?.nft);
  return r ? ruleEvidence(ruleRef(r)) : null;
}

/**
 * A flow the gateway took as its own: its trace says so (the address is local), or, without `ip addr` to say which
 * addresses are, nothing DNATed it and the gateway answered it itself (what refusalOf finds).
 */
function tookAsOwn(ctx: CheckContext, f: AssembledFlow): boolean {
  if (f.ingressIface < 0 || f.forwarded > 0) return false;
  const d = f.trace?.disposition;
  if (f.disposition === 'local' && (d?.kind === 'local' || (d?.kind === 'dropped' && d.reason === 'input-chain'))) return true;
  // (A flow the rules drop on its way through — a FORWARD REJECT answering with a reset — is that rule's.)
  return ctx.snapshot?.host.have.addresses === false && f.disposition === 'stopped-at-gateway' && d?.kind !== 'dropped' && !f.trace?.rewrites.some((r) => r.kind === 'DNAT');
}

function natDnatRules(ctx: CheckContext): Rule[] {
  return natChainsOf(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft).flatMap((c) => c.rules.filter((r) => r.target.kind === 'DNAT'));
}

/** A DNAT rule's -d address match takes `addr`. */
function takesAddress(r: Rule, addr: number): boolean {
  return r.matches.some((m) => m.kind === 'dst' && m.addr.cidr !== null && !m.addr.negate && cidrContains(m.addr.cidr, addr));
}

/** The nat chains PREROUTING reaches (by -j/-g, transitively) that hold no rule: where rules were, when they are gone. */
function emptyChainsReached(ctx: CheckContext): string[] {
  // iptables' nat PREROUTING, and nftables' nat chains at prerouting (their chains named apart: `ip kube-ovn …`).
  const chains = new Map<string, Chain>((ctx.snapshot?.rules?.tables.nat?.chains ?? []).map((c) => [c.name, c] as const));
  const queue = ['PREROUTING'];
  for (const b of ctx.snapshot?.nft?.baseChains ?? []) {
    if (b.type !== 'nat' || b.hook !== 'PREROUTING') continue;
    for (const [name, c] of b.chains) chains.set(name, c);
    queue.push(b.chain.name);
  }
  const seen = new Set<string>(queue);
  const empty: string[] = [];
  while (queue.length) {
    const c = chains.get(queue.shift()!);
    if (!c) continue;
    if (!c.builtin && !c.rules.length) empty.push(c.name);
    for (const r of c.rules) {
      const t = r.target;
      if ((t.kind === 'jump' || t.kind === 'goto') && !seen.has(t.chain)) {
        seen.add(t.chain);
        queue.push(t.chain);
      }
    }
  }
  return empty;
}

/**
 * The chain a new port forward belongs in: where the other port forwards are (a DNAT rule with --dport), else the
 * one empty chain PREROUTING jumps to (flushed: where they were), else any DNAT rule's, else PREROUTING.
 */
function forwardChain(ctx: CheckContext, rules: readonly Rule[], addr: number): ChainPlace {
  const withPort = (r: Rule): boolean => r.matches.some((m) => m.kind === 'dport');
  const empty = emptyChainsReached(ctx);
  const chain =
    rules.find((r) => withPort(r) && takesAddress(r, addr))?.chain ??
    rules.find(withPort)?.chain ??
    (empty.length === 1 ? empty[0] : undefined) ??
    rules.find((r) => takesAddress(r, addr))?.chain ??
    rules[0]?.chain;
  return chain ? chainTool(ctx.snapshot, 'nat', chain) : natHookChain(ctx.snapshot, 'PREROUTING');
}

/** The INPUT rule that dropped the request, or the policy of the input chain that did (iptables' or nftables'). */
function inputDropEvidence(ctx: CheckContext, drop: NonNullable<Refusal['drop']>): Evidence[] {
  if (drop.rule) return [ruleEvidence(drop.rule)];
  const at = chainAt(ctx, drop.source);
  return at?.chain.policy ? [policyEvidence(at.table, at.chain)] : [];
}

function serviceName(s: Service): string {
  return `${ipv4ToString(s.dst)} ${protoName(s.proto)}/${s.dport}`;
}

/** "198.18.40.22 tcp/8080 and udp/5353, 198.18.40.23 tcp/22": the services, by address, the first few. */
function servicesText(services: readonly Service[]): string {
  const by = new Map<number, string[]>();
  for (const s of services) by.set(s.dst, [...(by.get(s.dst) ?? []), `${protoName(s.proto)}/${s.dport}`]);
  const parts = [...by].map(([dst, ports]) => {
    const shown = ports.length > 4 ? [...ports.slice(0, 3), `${ports.length - 3} more ports`] : ports;
    return `${ipv4ToString(dst)} ${shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown[0]}`;
  });
  return parts.length > 3 ? `${parts.slice(0, 3).join('; ')}; and ${parts.length - 3} more addresses` : parts.join('; ');
}

export const dnatMissing: Check = {
  id: 'dnat-missing',
  description:
    'Connections to an EIP held by the outside interface match no DNAT rule, so the gateway takes them as its own and refuses them itself (TCP reset, ICMP port unreachable, or a silent drop in its INPUT chain): a port forward or floating IP is missing from the nat table.',
  rank: 2,
  run(ctx: CheckContext) {
    if (!ctx.snapshot?.rules?.tables.nat && !ctx.snapshot?.nft?.baseChains.some((b) => b.type === 'nat')) return [];
    const by = new Map<string, Service>();
    for (const f of ctx.flows) {
      if (!tookAsOwn(ctx, f) || !eipEvidence(ctx, f.original.dst)) continue;
      const refusal = refusalOf(f);
      if (!refusal) continue;
      const k = `${f.original.dst}/${f.proto}/${f.original.dport}`;
      const s = by.get(k) ?? { dst: f.original.dst, proto: f.proto, dport: f.original.dport, flows: [], refusals: [] };
      s.flows.push(f);
      s.refusals.push(refusal);
      by.set(k, s);
    }
    if (!by.size) return [];
    // A service asked for more than once is one its clients expect; a single attempt may be a probe or a scan
    // (every EIP on the internet gets them), so it is a warning, not an error.
    const wanted = [...by.values()].filter((s) => s.flows.length >= 2);
    const probed = [...by.values()].filter((s) => s.flows.length < 2);
    return [...(wanted.length ? [refusedFinding(ctx, wanted, 'error')] : []), ...(probed.length ? [refusedFinding(ctx, probed, 'warning')] : [])];
  },
};

function refusedFinding(ctx: CheckContext, services: readonly Service[], severity: 'error' | 'warning'): Finding {
  const dnat = natDnatRules(ctx);
  const flows = services.flatMap((s) => s.flows);
  const eips = [...new Set(services.map((s) => s.dst))];
  const evidence: Evidence[] = [];
  for (const e of eips) evidence.push(eipEvidence(ctx, e)!);
  // What the nat table does DNAT for these addresses: the forwards that are still there.
  const kept = dnat.filter((r) => eips.some((e) => takesAddress(r, e)));
  for (const r of kept.slice(0, 4)) evidence.push(ruleEvidence(ruleRef(r)));
  for (const s of services.slice(0, 4)) {
    const f = s.flows[0]!;
    const r = s.refusals[0]!;
    const first = f.ingress.samples.find((p) => p.connDir === 0 && p.dir === Dir.IN);
    if (first) evidence.push(frameEvidence(ctx, first, `${f.id} to ${serviceName(s)}: no DNAT rule matched, delivered to the gateway itself`));
    if (r.reset) evidence.push(frameEvidence(ctx, r.reset, `the gateway refused ${f.id} itself: a reset from ${ipv4ToString(s.dst)}`));
    if (r.error) evidence.push(errorEvidence(ctx, r.error, `the gateway refused ${f.id} itself: ${r.error.code === 3 ? 'port unreachable' : 'destination unreachable'}`));
    if (r.drop) evidence.push(...inputDropEvidence(ctx, r.drop));
  }
  const listed = servicesText(services);
  const answered = services.flatMap((s) => s.refusals).filter((r) => !r.drop);
  const how = [
    answered.some((r) => r.reset) ? 'TCP with a reset' : null,
    answered.some((r) => r.error) ? 'UDP with ICMP port unreachable' : null,
  ].filter((x) => x !== null);
  const dropped = services.flatMap((s) => s.refusals).find((r) => r.drop)?.drop;
  const refused = [
    how.length ? `nothing listens there, and the gateway refused them itself (${how.join(', ')})` : null,
    dropped ? `the gateway's own INPUT chain dropped ${how.length ? 'the others' : 'them'} in silence (${dropped.rule ? `${dropped.rule.chain} ${dropped.rule.file}:${dropped.rule.line}` : 'its policy'})` : null,
  ].filter((x) => x !== null);
  const stillForwarded = kept.length
    ? ` The nat table still DNATs ${kept.length === 1 ? 'one other forward' : `${kept.length} other forwards`} for ${eips.length === 1 ? 'this address' : 'these addresses'} (${kept
        .slice(0, 3)
        .map((r) => `${r.chain} ${r.source.file}:${r.source.line}`)
        .join(', ')}), not ${services.length === 1 ? 'this one' : 'these'}.`
    : ` No DNAT rule in the nat table names ${eips.length === 1 ? 'this address' : 'these addresses'} at all.`;
  const detail =
    `${plural(flows.length, 'connection')} to ${listed} arrived, matched no DNAT rule, and so were delivered to the gateway itself, which holds the address: ` +
    `${refused.join('; ')}.${stillForwarded} ` +
    (severity === 'error'
      ? 'A port forward or floating IP its clients use is missing from the rules: deleted, or not restored after the gateway restarted.'
      : 'Each was tried once: a port forward that is missing, or a probe of a port nobody forwards (every public address gets those).');
  const chain = forwardChain(ctx, dnat, eips[0]!);
  const fix = [
    ...services
      .slice(0, 4)
      .map(
        (s) =>
          `${addRuleCommand(chain, {
            iptables: `-d ${ipv4ToString(s.dst)}/32 -p ${protoName(s.proto)} -m ${protoName(s.proto)} --dport ${s.dport} -j DNAT --to-destination <inside-address>:<port>`,
            nft: `ip daddr ${ipv4ToString(s.dst)} ${protoName(s.proto)} dport ${s.dport} ${nftNatTo(chain, 'dnat')} <inside-address>:<port>`,
          })}  # the backend is not in the snapshot`,
      ),
    ...services
      .filter((s) => s.proto === Proto.UDP)
      .slice(0, 2)
      .map((s) => `conntrack -D -p udp --orig-dst ${ipv4ToString(s.dst)} --orig-port-dst ${s.dport}  # entries made while the forward was missing keep delivering to the gateway until removed`),
    `# Kube-OVN: kubectl get iptables-dnat-rules,iptables-fip-rules -o wide | grep -e ${eips.map(ipv4ToString).join(' -e ')}  # not Ready, or the gateway pod restarted and its rules were not re-added`,
  ];
  const title =
    severity === 'error'
      ? `No DNAT rule forwards ${listed}: the gateway refuses them itself`
      : `${listed}: refused by the gateway itself (no DNAT rule; tried once)`;
  return finding('dnat-missing', severity, 'confirmed', title, detail, uniqueEvidence(evidence, 14), fix, flows);
}
