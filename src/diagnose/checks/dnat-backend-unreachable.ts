import type { Evidence } from '../../model/analysis.js';
import type { Neighbour } from '../../model/host.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { ruleEvidence, uniqueEvidence } from '../evidence.js';
import { arpEvidence, askedByGateway, isUnresolvedState, neighbour, unansweredArp } from '../arp-facts.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { NatRewrite, RuleRef } from '../../model/trace.js';
import { natChainsOf, natRulesPresent } from '../../gateway/nat-rules-present.js';
import { ruleRef } from '../../simulate/rule-ref.js';
import type { ArpQuestion } from '../../correlate/arp-tracker.js';
import { replaceRuleCommand } from '../rule-commands.js';

export const dnatBackendUnreachable: Check = {
  id: 'dnat-backend-unreachable',
  description: 'DNATed packets never reach the inside: the gateway ARPs for the DNAT target and nobody answers (wrong or dead backend).',
  rank: 2,
  run(ctx: CheckContext) {
    const byBackend = new Map<number, { flows: AssembledFlow[]; rewrite: NatRewrite; egress: string }>();
    for (const f of ctx.flows) {
      if (f.disposition !== 'stopped-at-gateway') continue;
      const d = f.trace?.disposition;
      if (!d || d.kind !== 'forwarded') continue;
      const rw = f.trace!.rewrites.find((r) => r.kind === 'DNAT');
      if (!rw) continue;
      const backend = rw.after.dst;
      const e = ctx.ifaceIndex(d.egress);
      const q = e >= 0 ? unansweredArp(ctx, e, backend) : null;
      const n = neighbour(ctx, backend);
      const hop = d.nextHop ?? backend;
      if (hop !== backend) continue;
      if (!q && !(n && isUnresolvedState(n.states))) continue;
      const g = byBackend.get(backend) ?? { flows: [], rewrite: rw, egress: d.egress };
      g.flows.push(f);
      byBackend.set(backend, g);
    }
    if (!byBackend.size && !natRulesPresent(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft)) return withoutRules(ctx);
    if (!byBackend.size) return outsideNotCaptured(ctx);
    const out = [];
    for (const [backend, g] of byBackend) {
      const e = ctx.ifaceIndex(g.egress);
      const q = e >= 0 ? unansweredArp(ctx, e, backend) : null;
      const n = neighbour(ctx, backend);
      const evidence: Evidence[] = [ruleEvidence(g.rewrite.rule)];
      if (q) evidence.push(...arpEvidence(ctx, q, `the gateway asks for the DNAT backend on ${g.egress}; no reply`));
      if (n) evidence.push(backendNeighbourEvidence(n));
      const eip = ipv4ToString(g.rewrite.before.dst);
      out.push(
        finding(
          'dnat-backend-unreachable',
          'error',
          q || n ? 'confirmed' : 'likely',
          `DNAT sends ${eip} to ${ipv4ToString(backend)}, which does not answer`,
          `${plural(g.flows.length, 'flow')} to ${eip} ${g.flows.length === 1 ? 'was' : 'were'} DNATed by ${g.rewrite.rule.chain} (${g.rewrite.rule.file}:${g.rewrite.rule.line}) to ${ipv4ToString(backend)} on ${g.egress}, but nothing there answers ARP: the rule points at a wrong or dead backend.`,
          uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, g.flows)], 16),
          backendFixes(g.rewrite.rule, backend),
          g.flows,
        ),
      );
    }
    return out;
  },
};

/** The gateway's neighbour entry for the backend: its address, interface and state. */
function backendNeighbourEvidence(n: Neighbour): Evidence {
  return { kind: 'neighbour', file: n.source.file, line: n.source.line, text: `${n.address} dev ${n.dev} ${n.states.join(',')}` };
}

/** How to point a DNAT rule at the backend that really serves: find it, put it in the rule (and in Kube-OVN's resource). */
function backendFixes(rule: RuleRef, backend: number): string[] {
  return [
    `# find the address the service really has (Kube-OVN: kubectl get iptables-fip-rules,iptables-dnat-rules -A -o wide; kubectl get pod -o wide)`,
    replaceRuleCommand(rule, (body) => body.replace(ipv4ToString(backend), '<backend-ip>')),
    '# in Kube-OVN correct the IptablesFIPRule / IptablesDnatRule (the controller rewrites the rule and keeps it across restarts)',
  ];
}

/** How long after a request arrives the gateway's ARP for where it sends it may start (ns). */
const ARP_AFTER_NS = 1e9;

/**
 * The same stop when the snapshot holds no nat rules to name the target: requests to one of the gateway's own
 * addresses (an EIP) get no answer at all — the kernel answers what is really local — while the gateway keeps
 * asking by ARP, on another interface, for an address nobody has, starting as they arrive: it was sending them
 * on to that address. Possible; the nat rules (iptables-save -t nat) confirm it.
 */
function withoutRules(ctx: CheckContext): ReturnType<Check['run']> {
  const state = ctx.correlation.state;
  const local = state.options.localAddresses;
  const tOf = (q: ArpQuestion): number => (q.firstFrame.tsSec - state.baseSec) * 1e9 + q.firstFrame.tsNsec;
  const out = [];
  const byTarget = new Map<number, { q: ArpQuestion; flows: AssembledFlow[] }>();
  for (const f of ctx.flows) {
    if (f.ingressIface < 0 || f.replies > 0 || f.requests === 0 || !local.has(f.original.dst)) continue;
    const q = [...state.arp.questions.values()].find(
      (x) => x.iface !== f.ingressIface && x.replies === 0 && askedByGateway(ctx, x) && !local.has(x.target) && tOf(x) >= f.firstT && tOf(x) <= f.firstT + ARP_AFTER_NS,
    );
    if (!q) continue;
    const g = byTarget.get(q.target) ?? { q, flows: [] };
    g.flows.push(f);
    byTarget.set(q.target, g);
  }
  for (const [target, g] of byTarget) {
    const eips = [...new Set(g.flows.map((f) => ipv4ToString(f.original.dst)))].join(', ');
    const on = ctx.ifaceName(g.q.iface);
    out.push(
      finding(
        'dnat-backend-unreachable',
        'error',
        'possible',
        `Possibly DNAT sends ${eips} to ${ipv4ToString(target)}, which does not answer`,
        `${plural(g.flows.length, 'flow')} to ${eips}, the gateway's own address, got no answer at all, while the gateway kept asking on ${on} by ARP for ${ipv4ToString(target)}, which nobody has, from the moment they arrived: it was sending them on there, as a DNAT rule does. The snapshot holds no nat rules to confirm which: take iptables-save -t nat -c (and nft list ruleset, where nftables holds the NAT).`,
        uniqueEvidence([...arpEvidence(ctx, g.q, `the gateway asks for ${ipv4ToString(target)} on ${on} as the requests for ${eips} arrive; no reply`), ...stoppedFrameEvidence(ctx, g.flows)], 16),
        [
          'iptables-save -t nat -c; nft list ruleset  # the DNAT rule for the address, and its counter (in iptables, or in nftables\' own tables)',
          `# find the address the service really has (Kube-OVN: kubectl get iptables-fip-rules,iptables-dnat-rules -A -o wide; kubectl get pod -o wide), then correct the rule for ${eips}`,
        ],
        g.flows,
      ),
    );
  }
  return out;
}

/**
 * The same stop when only the inside was captured: the requests to the EIP are not in the captures, but the gateway's
 * unanswered ARP for a DNAT rule's one target, on the inside, is — with the rule that counted packets sent there.
 * Likely (the requests themselves are not seen); the flows it explains are not in the captures.
 */
function outsideNotCaptured(ctx: CheckContext): ReturnType<Check['run']> {
  const { inside, outside } = ctx.correlation.roles;
  if (!inside || !outside || ctx.correlation.ifaces.includes(outside) || !ctx.correlation.ifaces.includes(inside)) return [];
  const at = ctx.ifaceIndex(inside);
  const out: ReturnType<Check['run']> = [];
  const seen = new Set<number>();
  for (const chain of natChainsOf(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft)) {
    for (const r of chain.rules) {
      if (r.target.kind !== 'DNAT' || r.target.to.length !== 1 || r.target.to[0]!.addrLo !== r.target.to[0]!.addrHi) continue;
      if (r.counters && r.counters.packets === 0) continue;
      const backend = r.target.to[0]!.addrLo;
      const q = unansweredArp(ctx, at, backend);
      if (!q || !askedByGateway(ctx, q) || seen.has(backend)) continue;
      seen.add(backend);
      const ref = ruleRef(r);
      const n = neighbour(ctx, backend);
      const dst = r.matches.find((m) => m.kind === 'dst' && !m.addr.negate);
      const eip = dst && dst.kind === 'dst' && dst.addr.cidr ? ipv4ToString(dst.addr.cidr.addr) : 'its address';
      const counted = r.counters ? ` (${plural(r.counters.packets, 'packet')} counted)` : '';
      out.push(
        finding(
          'dnat-backend-unreachable',
          'error',
          'likely',
          `DNAT sends ${eip} to ${ipv4ToString(backend)}, which does not answer`,
          `${outside} was not captured, so the requests to ${eip} are not seen; but the gateway kept asking on ${inside} by ARP for ${ipv4ToString(backend)}, where the ${r.chain} rule at ${r.source.file}:${r.source.line}${counted} sends them, and nothing answered: the rule points at a wrong or dead backend. Capture ${outside} too to see the requests stop (tcpdump -i ${outside}).`,
          uniqueEvidence(
            [
              ruleEvidence(ref),
              ...arpEvidence(ctx, q, `the gateway asks for the DNAT backend on ${inside}; no reply`),
              ...(n ? [backendNeighbourEvidence(n)] : []),
            ],
            16,
          ),
          backendFixes(ref, backend),
          [],
        ),
      );
    }
  }
  return out;
}
