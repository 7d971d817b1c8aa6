import type { Evidence } from '../../model/analysis.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { ruleEvidence, sysctlAt, sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { bootFacts, type BootFacts } from '../boot-sysctls.js';
import { droppedBy, forwardable, natRules, nftForwardChains, plural, repliesDroppedBy, repliesStoppedUnruled, replyTrace, stoppedFrameEvidence } from '../flow-facts.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import { confKey } from '../../gateway/sysctl.js';
import { natChainsOf } from '../../gateway/nat-rules-present.js';

/** The drop-in file of /etc/sysctl.d the fix writes (another name when the boot configuration has files sorting after it). */
const DROP_IN = '99-nat-gateway-forwarding.conf';

/**
 * With forwarding off the kernel drops every packet for another host after PREROUTING, silently (no ICMP):
 * DNAT counters still climb (each retransmission walks nat again because no conntrack entry is
 * confirmed) while SNAT counters stay 0. Confirmed only by the sysctl line.
 */
export const ipForwardDisabled: Check = {
  id: 'ip-forward-disabled',
  description: 'Forwarding is off (net.ipv4.ip_forward or conf.<if>.forwarding = 0): every forwarded flow stops at the gateway, in both directions, silently.',
  rank: 0,
  run(ctx: CheckContext) {
    const stopped = ctx.flows.filter((f) => f.disposition === 'stopped-at-gateway');
    // Forwarding off on one interface only (conf.<if>.forwarding): flows that came in by the other one were
    // forwarded, but their replies, arriving on this one, were not.
    const repliesStopped = ctx.flows.filter((f) => repliesDroppedBy(ctx, f, 'ip-forward-disabled'));
    if (!stopped.length && !repliesStopped.length) return [];
    const confirmed = stopped.filter((f) => droppedBy(f, 'ip-forward-disabled'));
    const forwardedAny = ctx.flows.some((f) => f.forwarded > 0);
    const haveSysctls = ctx.snapshot?.host.have.sysctls ?? false;
    // `boot`: what the boot configuration sets, when the snapshot holds it — whether the fault comes back at the next reboot.
    const sysctlFix = (keys: string[], boot: BootFacts | null = null): string[] => [
      ...keys.map((k) => `sysctl -w ${k}=1`),
      ...(boot?.fix ?? []),
      ...(boot?.persisted ? [] : [`printf '${keys.map((k) => `${k} = 1`).join('\\n')}\\n' > /etc/sysctl.d/${boot?.dropIn(DROP_IN) ?? DROP_IN}  # survives a reboot`]),
      'sysctl --system',
      '# Kube-OVN: a NAT gateway pod inherits these from the node that runs it: set them on that node (/etc/sysctl.d/), then restart the gateway pod',
    ];

    if (confirmed.length || repliesStopped.length) {
      const keys = new Set<string>();
      const sysEvidence: Evidence[] = [];
      for (const t of [...confirmed.map((f) => f.trace!), ...repliesStopped.map((f) => replyTrace(ctx, f)!)]) {
        const d = t.disposition;
        const s = d.kind === 'dropped' ? sysctlAt(ctx, d.source) : null;
        if (s) {
          keys.add(s.key);
          sysEvidence.push(sysctlEvidence(s));
        }
      }
      // Also cite the global switch when it is off, even if a per-interface one was the first to be read.
      const global = ctx.snapshot?.host.sysctls.get('net.ipv4.ip_forward');
      if (global && global.value.trim() === '0') {
        keys.add('net.ipv4.ip_forward');
        sysEvidence.unshift(sysctlEvidence(global));
      }
      const ifaces = [...new Set(confirmed.map((f) => ctx.ifaceName(f.ingressIface)))];
      const replyIfaces = [...new Set(repliesStopped.map((f) => ctx.ifaceName(f.egress!.iface)))];
      const off = [...new Set([...ifaces, ...replyIfaces])];
      const counterEvidence = natCounterEvidence(ctx, confirmed);
      const offKeys = keys.size ? [...keys] : ['net.ipv4.ip_forward'];
      const boot = bootFacts(ctx, offKeys, '1');
      const what: string[] = [];
      if (confirmed.length) what.push(`${plural(confirmed.length, 'flow')} arriving on ${ifaces.join(' and ')} ${confirmed.length === 1 ? 'was' : 'were'} dropped after PREROUTING`);
      if (repliesStopped.length) what.push(`the replies of ${plural(repliesStopped.length, 'flow')} that came in by the other side, arriving on ${replyIfaces.join(' and ')}, were dropped the same way`);
      const sentence = what.join(', and ');
      return [
        finding(
          'ip-forward-disabled',
          'error',
          'confirmed',
          'IP forwarding is disabled on the gateway',
          `${sentence[0]!.toUpperCase()}${sentence.slice(1)} because forwarding is off (${[...keys].map((k) => `${k} = 0`).join(', ')}). ` +
            (forwardedAny
              ? `Forwarding is off on ${off.join(' and ')} only: what arrived there was not forwarded, and no ICMP error was sent back, while what arrived by the other interface was forwarded.`
              : `Nothing was forwarded and no ICMP error was sent back; the nat table still DNATs each retransmission while SNAT never runs.`) +
            (boot ? ` ${boot.sentence}` : ''),
          uniqueEvidence([...sysEvidence, ...(boot?.evidence ?? []), ...stoppedFrameEvidence(ctx, [...confirmed, ...repliesStopped], 2, 8), ...counterEvidence], 16),
          sysctlFix(offKeys, boot),
          [...confirmed, ...repliesStopped].sort((a, b) => a.firstT - b.firstT),
        ),
      ];
    }
    // Without the sysctl: the symptom alone (nothing at all forwarded, in both directions) makes it likely.
    if (haveSysctls) return [];
    if (forwardedAny) return oneInterfaceOff(ctx, stopped, sysctlFix);
    // Flows the rules themselves drop (a FORWARD DROP, no route…) are explained by those, not by forwarding.
    const candidates = stopped.filter((f) => forwardable(f) && f.trace?.disposition.kind !== 'dropped');
    const ingress = new Set(candidates.map((f) => f.ingressIface));
    if (candidates.length < 1) return [];
    const boot = bootFacts(ctx, ['net.ipv4.ip_forward'], '1');
    return [
      finding(
        'ip-forward-disabled',
        'error',
        ingress.size > 1 ? 'likely' : 'possible',
        'Most likely IP forwarding is disabled on the gateway',
        `No packet was forwarded at all: ${plural(candidates.length, 'flow')} arrived and never left by the other interface, with no ICMP error back` +
          `${ingress.size > 1 ? ', in both directions' : ''}. The snapshot has no sysctls to confirm it: run \`sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding\` on the gateway.` +
          (boot ? ` ${boot.sentence}` : ''),
        uniqueEvidence([...stoppedFrameEvidence(ctx, candidates, 2, 8), ...natCounterEvidence(ctx, candidates), ...(boot?.evidence ?? []), { kind: 'note', text: 'confirm with: sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding' }], 16),
        ['sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding  # confirm first', ...sysctlFix(['net.ipv4.ip_forward'], boot)],
        candidates,
      ),
    ];
  },
};

/**
 * Forwarding off on one interface only (`net.ipv4.conf.<if>.forwarding = 0`), without the sysctls to show it:
 * everything that arrived on that interface stopped — new flows and the replies of flows that came in by the
 * other side alike — while what arrived on the other one was forwarded. A FORWARD rule `-i <if> -j DROP` looks
 * the same: likely when the snapshot's FORWARD chain would accept them, possible when it does not hold one.
 */
function oneInterfaceOff(ctx: CheckContext, stopped: readonly AssembledFlow[], sysctlFix: (keys: string[]) => string[]): ReturnType<Check['run']> {
  const requests = stopped.filter(forwardable);
  const replies = ctx.flows.filter((f) => f.egress && repliesStoppedUnruled(ctx, f));
  const arrivedOn = new Set([...requests.map((f) => f.ingressIface), ...replies.map((f) => f.egress!.iface)]);
  if (arrivedOn.size !== 1) return [];
  const iface = [...arrivedOn][0]!;
  // Nothing that arrived there got through, and something that arrived elsewhere did.
  if (ctx.flows.some((f) => (f.ingressIface === iface && f.forwarded > 0) || (f.egress?.iface === iface && f.repliesReturned > 0))) return [];
  if (!ctx.flows.some((f) => f.ingressIface >= 0 && f.ingressIface !== iface && f.forwarded > 0)) return [];
  if (requests.some((f) => f.trace?.disposition.kind === 'dropped')) return [];
  const name = ctx.ifaceName(iface);
  const key = confKey(name, 'forwarding');
  // The forward chain that would otherwise be the suspect, as the snapshot shows it: iptables' filter table or nftables' forward chains.
  const filterKnown = !!ctx.snapshot?.rules?.tables.filter || nftForwardChains(ctx).length > 0;
  const flows = [...requests, ...replies].sort((a, b) => a.firstT - b.firstT);
  return [
    finding(
      'ip-forward-disabled',
      'error',
      filterKnown ? 'likely' : 'possible',
      `Most likely forwarding is off on ${name}`,
      `Everything that arrived on ${name} stopped at the gateway — ${plural(requests.length, 'flow')} coming in by it` +
        `${replies.length ? ` and the replies of ${plural(replies.length, 'flow')} that came in by the other side` : ''} — silently, while what arrived on the other interface was forwarded: ` +
        `the pattern of ${key} = 0. The snapshot has no sysctls to confirm it${filterKnown ? '' : ', nor the filter table (a FORWARD rule -i ' + name + ' -j DROP would look the same)'}: run \`sysctl ${key} net.ipv4.ip_forward\` on the gateway.`,
      uniqueEvidence([...stoppedFrameEvidence(ctx, flows, 2, 8), { kind: 'note', text: `confirm with: sysctl ${key} net.ipv4.ip_forward` }], 16),
      [`sysctl ${key} net.ipv4.ip_forward  # confirm first`, ...sysctlFix([key])],
      flows,
    ),
  ];
}

/** DNAT rules that counted the dropped packets, and SNAT rules that stayed at 0: the kernel fact behind the diagnosis. */
function natCounterEvidence(ctx: CheckContext, flows: Parameters<typeof natRules>[0]): Evidence[] {
  const out: Evidence[] = natRules(flows).map(ruleEvidence);
  for (const chain of natChainsOf(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft)) {
    for (const r of chain.rules) {
      if ((r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE') && r.counters && r.counters.packets === 0) {
        out.push({ kind: 'rule', file: r.source.file, line: r.source.line, table: 'nat', chain: r.chain, text: r.text, counters: r.counters });
      }
    }
  }
  return out.slice(0, 6);
}
