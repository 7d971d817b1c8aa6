import type { Evidence } from '../../model/analysis.js';
import { cidrContains, ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { arpSwitchedOff, type HostInterface, type Sysctl } from '../../model/host.js';
import { hostView, sysctl, sysctlInt } from '../../simulate/host-view.js';
import { arpEvidence, gatewayOwnAddresses, capturedLinkWithoutArp, noarpHolds, unassignedNatAddresses } from '../arp-facts.js';
import { leftAs, type AssembledFlow } from '../../correlate/flow-assembly.js';
import { plural } from '../flow-facts.js';
import type { ArpQuestion } from '../../correlate/arp-tracker.js';
import { natChainsOf } from '../../gateway/nat-rules-present.js';

/**
 * The outside asks for one of the gateway's own addresses (an EIP) and gets no answer: the interface has
 * NOARP (Kube-OVN used to set `arp off` on the external interface until an EIP was added), so replies and
 * inbound connections for that address can never be delivered to the gateway.
 */
export const arpDisabled: Check = {
  id: 'arp-disabled',
  description: "The outside asks by ARP for the gateway's own address (an EIP) and gets no answer: the interface has NOARP, the EIP is held by another interface (with arp_ignore), or no interface holds the EIP the rules translate to.",
  rank: 1,
  run(ctx: CheckContext) {
    const local = gatewayOwnAddresses(ctx);
    const questions: ArpQuestion[] = [];
    for (const q of ctx.correlation.state.arp.questions.values()) {
      if (q.replies > 0 || !local.has(q.target)) continue;
      if ([...q.askers].every((a) => local.has(a))) continue;
      questions.push(q);
    }
    if (!questions.length) return [...noarpWithoutArpCaptured(ctx), ...heldElsewhereWithoutArpCaptured(ctx), ...unassignedEips(ctx)];
    const out = [];
    const byIface = new Map<number, ArpQuestion[]>();
    for (const q of questions) byIface.set(q.iface, [...(byIface.get(q.iface) ?? []), q]);
    for (const [iface, all] of byIface) {
      const name = ctx.ifaceName(iface);
      // Addresses another interface holds: with arp_ignore ≥ 1 the gateway answers on this one only for its own.
      const elsewhere = all.filter((q) => (holderOf(ctx, q.target)?.name ?? name) !== name);
      if (elsewhere.length) out.push(heldElsewhereFinding(ctx, iface, elsewhere));
      const qs = all.filter((q) => !elsewhere.includes(q));
      if (!qs.length) continue;
      const targets = new Set(qs.map((q) => q.target));
      const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === name);
      const noarp = itf ? arpSwitchedOff(itf) : false;
      const flows = flowsOf(ctx, targets);
      const evidence: Evidence[] = [];
      for (const q of qs) evidence.push(...arpEvidence(ctx, q, `asks for the gateway's own address ${ipv4ToString(q.target)}; no reply`));
      if (itf) evidence.unshift({ kind: 'interface', file: itf.source.file, line: itf.source.line, text: `${itf.name}: <${itf.flags.join(',')}> mtu ${itf.mtu}` });
      evidence.push(...leftEvidence(ctx, flows, (f) => `${f.id} left translated; no reply can come back`));
      const addrs = [...targets].map(ipv4ToString).join(', ');
      out.push(
        finding(
          'arp-disabled',
          'error',
          noarp ? 'confirmed' : 'likely',
          `ARP is off on ${name}: the outside cannot reach ${addrs}`,
          `The outside asked ${plural(qs.reduce((n, q) => n + q.requests, 0), 'time')} by ARP for ${addrs}, which the gateway holds on ${name}, and never got an answer` +
            `${noarp ? ` (${name} has the NOARP flag)` : ''}. Packets the gateway sends out with that source work, but nothing addressed to it can come back` +
            `${flows.length ? `: ${plural(flows.length, 'flow')} got no reply` : ''}.`,
          uniqueEvidence(evidence, 16),
          [
            `ip link set dev ${name} arp on`,
            `# persist: Kube-OVN sets arp off on the external interface until an EIP is configured; make sure the gateway's EIPs are configured (kubectl get iptables-eips) or upgrade Kube-OVN; elsewhere fix the interface configuration (e.g. remove NOARP in the network config)`,
          ],
          flows,
        ),
      );
    }
    return [...out, ...unassignedEips(ctx)];
  },
};

/** The gateway's interface that holds `address` (ip addr), or null. */
function holderOf(ctx: CheckContext, address: number) {
  return ctx.snapshot?.host.interfaces.find((i) => i.addresses.some((a) => a.family === 4 && a.v4 === address)) ?? null;
}

/** net.ipv4.conf.<name>.arp_ignore as the kernel applies it (the larger of `all` and the interface's), with its lines. */
function arpIgnore(ctx: CheckContext, name: string): { value: number | null; lines: Sysctl[] } {
  if (!ctx.snapshot) return { value: null, lines: [] };
  const view = hostView(ctx.snapshot);
  const lines = [sysctl(view, 'net.ipv4.conf.all.arp_ignore'), sysctl(view, `net.ipv4.conf.${name}.arp_ignore`)].filter((x): x is Sysctl => !!x);
  const values = lines.map((l) => sysctlInt(l)).filter((v): v is number => v !== null);
  return { value: values.length ? Math.max(...values) : null, lines };
}

/** The prefix of `itf`'s address whose subnet holds `a` (as its siblings are configured), else /32. */
function prefixOn(itf: HostInterface | undefined, a: number): number {
  return itf?.addresses.find((x) => x.family === 4 && x.prefix > 0 && cidrContains({ addr: x.v4, prefix: x.prefix }, a))?.prefix ?? 32;
}

/**
 * The outside asks on `iface` for an address the gateway holds on another interface (an EIP applied to the wrong
 * device) and gets no answer: with arp_ignore ≥ 1 on `iface` the kernel answers there only for addresses held there.
 * Packets the gateway sends from the address still leave — and teach the next hop the address's MAC when the gateway
 * asks for it from that source, which makes the fault come and go.
 */
function heldElsewhereFinding(ctx: CheckContext, iface: number, qs: readonly ArpQuestion[], unasked: readonly number[] = []) {
  const name = ctx.ifaceName(iface);
  const targets = new Set([...qs.map((q) => q.target), ...unasked]);
  const addrs = [...targets].map(ipv4ToString).join(', ');
  const holderBy = new Map([...targets].map((a) => [a, holderOf(ctx, a)!] as const));
  const holders = [...new Set([...holderBy.values()].map((h) => h.name))];
  const ignore = arpIgnore(ctx, name);
  const flows = flowsOf(ctx, targets);
  const evidence: Evidence[] = [];
  for (const h of holders) {
    const itf = ctx.snapshot!.host.interfaces.find((i) => i.name === h)!;
    evidence.push({ kind: 'interface', file: itf.source.file, line: itf.source.line, text: `${itf.name}: ${itf.addresses.filter((a) => a.family === 4).map((a) => `${a.address}/${a.prefix}`).join(', ')}` });
  }
  for (const l of ignore.lines) evidence.push(sysctlEvidence(l));
  for (const q of qs) evidence.push(...arpEvidence(ctx, q, `asks on ${name} for ${ipv4ToString(q.target)}, which the gateway holds on ${holderBy.get(q.target)!.name}; no reply`));
  evidence.push(...leftEvidence(ctx, flows, (f) => `${f.id} left translated; no reply can come back`));
  const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === name);
  const heard = qs.length
    ? `The outside asked ${plural(qs.reduce((n, q) => n + q.requests, 0), 'time')} on ${name} by ARP for ${addrs} and never got an answer`
    : `The ${name} capture holds no ARP (taken with a filter?), so the outside's requests for ${addrs} are not shown; most likely none was answered`;
  return finding(
    'arp-disabled',
    'error',
    qs.length && ignore.value !== null && ignore.value >= 1 ? 'confirmed' : 'likely',
    `${addrs} ${targets.size === 1 ? 'is' : 'are'} held by ${holders.join(', ')}, not ${name}: nobody answers ARP for ${targets.size === 1 ? 'it' : 'them'} on ${name}`,
    `${heard}: the gateway holds ${targets.size === 1 ? 'it' : 'them'} on ${holders.join(', ')}` +
      (ignore.value !== null && ignore.value >= 1
        ? `, and with arp_ignore = ${ignore.value} it answers on ${name} only for addresses held on ${name}.`
        : `, and answers no ARP for ${targets.size === 1 ? 'it' : 'them'} on ${name} (arp_ignore or arp_filter, which the snapshot does not show as set).`) +
      ` Packets the gateway sends out from ${addrs} leave, but nothing addressed to ${targets.size === 1 ? 'it' : 'them'} can come back${flows.length ? `: ${plural(flows.length, 'flow')} got no reply` : ''}` +
      ` — unless the gateway itself asks for its next hop from ${addrs}, which teaches the router the MAC: the fault comes and goes with the neighbour caches.`,
    uniqueEvidence(evidence, 16),
    [
      ...[...holderBy].map(([a, h]) => `ip addr del ${ipv4ToString(a)}/${h.addresses.find((x) => x.family === 4 && x.v4 === a)!.prefix} dev ${h.name}; ip addr add ${ipv4ToString(a)}/${prefixOn(itf, a)} dev ${name}  # the EIP belongs on the outside interface`),
      `# or answer ARP on ${name} for every local address: sysctl -w net.ipv4.conf.${name.replace(/\./g, '/')}.arp_ignore=0 net.ipv4.conf.all.arp_ignore=0`,
    ],
    flows,
  );
}

/**
 * An EIP held by another interface, with arp_ignore ≥ 1 where the flows translated to it left, a capture of that
 * interface that holds no ARP at all (taken with a filter), and no reply: likely, from the snapshot.
 */
function heldElsewhereWithoutArpCaptured(ctx: CheckContext): ReturnType<Check['run']> {
  const arpSeen = new Set([...ctx.correlation.state.arp.questions.values()].map((q) => q.iface));
  const byIface = new Map<number, Set<number>>();
  for (const f of ctx.flows) {
    const e = f.egress?.iface;
    if (e === undefined || !f.observed || f.forwarded === 0 || f.replies > 0 || arpSeen.has(e) || capturedLinkWithoutArp(ctx, e)) continue;
    const holder = holderOf(ctx, f.observed.src);
    const name = ctx.ifaceName(e);
    if (!holder || holder.name === name || (arpIgnore(ctx, name).value ?? 0) < 1) continue;
    byIface.set(e, (byIface.get(e) ?? new Set()).add(f.observed.src));
  }
  return [...byIface].map(([iface, addrs]) => heldElsewhereFinding(ctx, iface, [], [...addrs]));
}

/** Flows whose replies (or requests) for `targets` could not reach the gateway. */
function flowsOf(ctx: CheckContext, targets: ReadonlySet<number>): AssembledFlow[] {
  return ctx.flows.filter(
    (f) =>
      (f.observed && targets.has(f.observed.src) && f.replies === 0) ||
      (targets.has(f.original.dst) && f.forwarded === 0) ||
      (f.egress && f.observed && targets.has(f.observed.src) && f.repliesReturned === 0 && f.disposition !== 'delivered'),
  );
}

/**
 * The other face: an EIP the gateway translates to and from that it does not hold at all (a restart re-applied the
 * rules but not the address, or it was removed by hand). Packets leave translated to it, the outside asks by ARP
 * who has it, and nobody answers: nothing addressed to it comes back, and on-link clients cannot even start a
 * connection. Confirmed by the unanswered ARP; likely, from the snapshot, when the capture of that interface holds
 * no ARP at all (taken with a filter) and flows translated to it got no reply.
 */
function unassignedEips(ctx: CheckContext): ReturnType<Check['run']> {
  const unassigned = unassignedNatAddresses(ctx);
  if (!unassigned.size) return [];
  const asked = new Map<number, ArpQuestion[]>();
  const arpSeen = new Set<number>();
  for (const q of ctx.correlation.state.arp.questions.values()) {
    arpSeen.add(q.iface);
    if (q.replies > 0 || !unassigned.has(q.target)) continue;
    asked.set(q.iface, [...(asked.get(q.iface) ?? []), q]);
  }
  // Interfaces whose capture holds no ARP, and flows that left them translated to such an address, unanswered.
  const unseen = new Map<number, Set<number>>();
  for (const f of ctx.flows) {
    const e = f.egress?.iface;
    // A link without ARP (point-to-point) reaches the gateway by routing alone: an address it does not hold is
    // no fault there when the other end routes it back.
    if (e === undefined || !f.observed || !unassigned.has(f.observed.src) || f.replies > 0 || f.forwarded === 0 || arpSeen.has(e) || capturedLinkWithoutArp(ctx, e)) continue;
    unseen.set(e, (unseen.get(e) ?? new Set()).add(f.observed.src));
  }
  const out = [];
  for (const iface of new Set([...asked.keys(), ...unseen.keys()])) {
    const qs = asked.get(iface) ?? [];
    const name = ctx.ifaceName(iface);
    const targets = new Set([...qs.map((q) => q.target), ...(unseen.get(iface) ?? [])]);
    const addrs = [...targets].map(ipv4ToString).join(', ');
    const them = targets.size === 1 ? 'it' : 'them';
    const flows = flowsOf(ctx, targets);
    const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === name);
    const rules = natChainsOf(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft).flatMap((c) => c.rules).filter((r) => {
      if (r.target.kind === 'SNAT') return r.target.to.some((t) => [...targets].some((a) => a >= t.addrLo >>> 0 && a <= t.addrHi >>> 0));
      return r.target.kind === 'DNAT' && r.matches.some((m) => m.kind === 'dst' && !m.addr.negate && m.addr.cidr?.prefix === 32 && targets.has(m.addr.cidr.addr >>> 0));
    });
    const askers = [...new Set(qs.flatMap((q) => [...q.askers]))].map(ipv4ToString);
    const evidence: Evidence[] = [];
    for (const q of qs) evidence.push(...arpEvidence(ctx, q, `asks for ${ipv4ToString(q.target)}, which the gateway translates to; no reply`));
    if (itf) evidence.push({ kind: 'interface', file: itf.source.file, line: itf.source.line, text: `${itf.name}: ${itf.addresses.filter((a) => a.family === 4).map((a) => `${a.address}/${a.prefix}`).join(', ') || 'no IPv4 address'} — not ${addrs}` });
    for (const r of rules.slice(0, 4)) evidence.push({ kind: 'rule', file: r.source.file, line: r.source.line, table: 'nat', chain: r.chain, text: r.text, counters: r.counters });
    evidence.push(...leftEvidence(ctx, flows, (f) => `${f.id} left translated to ${ipv4ToString(f.observed?.src ?? f.original.dst)}; no reply can come back`));
    const uses = rules.length ? `The nat rules translate to and from ${addrs}` : `The gateway's packets leave ${name} translated to ${addrs}`;
    const heard = qs.length
      ? `${askers.join(', ')} asked ${plural(qs.reduce((n, q) => n + q.requests, 0), 'time')} on ${name} and got no answer`
      : `the ${name} capture holds no ARP at all (taken with a filter?), so the unanswered requests are not shown: capture ARP too to confirm`;
    out.push(
      finding(
        'arp-disabled',
        'error',
        qs.length ? 'confirmed' : 'likely',
        `${addrs} ${targets.size === 1 ? 'is' : 'are'} not assigned on ${name}: nobody answers ARP for ${them}`,
        `${uses}, but no interface of the gateway holds ${them} (ip addr), so the gateway answers no ARP for ${them}: ${heard}. ` +
          `Packets the gateway sends out from ${addrs} leave, but nothing addressed to ${them} can come back` +
          `${flows.length ? `: ${plural(flows.length, 'flow')} got no reply` : ''}, and clients on ${name}'s link cannot even start a connection to ${them}.`,
        uniqueEvidence(evidence, 16),
        [
          ...[...targets].map((a) => `ip addr add ${ipv4ToString(a)}/${prefixOn(itf, a)} dev ${name}`),
          ...[...targets].map((a) => `arping -U -c 3 -I ${name} ${ipv4ToString(a)}  # tell the neighbours at once`),
          "# persist: Kube-OVN puts a gateway's EIPs on its external interface from the IptablesEIP resources (kubectl get iptables-eips): check the EIP's status and restart the gateway pod; elsewhere add the address to the interface's network configuration",
        ],
        flows,
      ),
    );
  }
  return out;
}

/**
 * The same cause when the captures hold no ARP to show it — taken with a filter (`tcpdump -i net1 icmp`, `host …`),
 * or the outside's cache had not expired yet: flows leave translated to an address of an interface whose
 * `ip addr` line says NOARP, and no reply comes back. Likely, from the snapshot; the ARP would confirm it.
 */
function noarpWithoutArpCaptured(ctx: CheckContext): ReturnType<Check['run']> {
  const out = [];
  for (const itf of ctx.snapshot?.host.interfaces ?? []) {
    if (!arpSwitchedOff(itf)) continue;
    const flows = ctx.flows.filter((f) => f.egress && f.observed && f.forwarded > 0 && f.replies === 0 && ctx.ifaceName(f.egress.iface) === itf.name && noarpHolds(ctx, f.egress.iface, f.observed.src));
    if (!flows.length) continue;
    const index = ctx.ifaceIndex(itf.name);
    const arpSeen = [...ctx.correlation.state.arp.questions.values()].some((q) => q.iface === index);
    const addrs = [...new Set(flows.map((f) => ipv4ToString(f.observed!.src)))].join(', ');
    const evidence: Evidence[] = [{ kind: 'interface', file: itf.source.file, line: itf.source.line, text: `${itf.name}: <${itf.flags.join(',')}> mtu ${itf.mtu}` }];
    evidence.push(...leftEvidence(ctx, flows, (f) => `${f.id} left translated to ${ipv4ToString(f.observed!.src)}; no reply came back`));
    out.push(
      finding(
        'arp-disabled',
        'error',
        'likely',
        `ARP is off on ${itf.name}: most likely the outside cannot reach ${addrs}`,
        `${plural(flows.length, 'flow')} left ${itf.name} translated to ${addrs}, which the gateway holds there, and no reply came back; ${itf.name} has the NOARP flag, so the gateway answers no ARP request for ${addrs} and nothing addressed to ${addrs.includes(',') ? 'them' : 'it'} can be delivered once the outside's ARP cache has expired. ` +
          `${arpSeen ? `No ARP request for ${addrs} was captured on ${itf.name}` : `The ${itf.name} capture holds no ARP at all (taken with a filter?)`}: capture ARP too to confirm (unanswered who-has ${addrs}).`,
        uniqueEvidence(evidence, 16),
        [
          `ip link set dev ${itf.name} arp on`,
          `tcpdump -i ${itf.name} -w ${itf.name}.pcap arp or host ${flows[0]!.observed ? ipv4ToString(flows[0]!.observed.src) : ''}  # confirm: who-has for the EIP, unanswered`,
          `# persist: Kube-OVN sets arp off on the external interface until an EIP is configured; make sure the gateway's EIPs are configured (kubectl get iptables-eips) or upgrade Kube-OVN; elsewhere fix the interface configuration (e.g. remove NOARP in the network config)`,
        ],
        flows,
      ),
    );
  }
  return out;
}

/** The first flows' requests as they left the gateway (translated), each with what became of it. */
function leftEvidence(ctx: CheckContext, flows: readonly AssembledFlow[], note: (f: AssembledFlow) => string): Evidence[] {
  return flows.slice(0, 3).flatMap((f) => {
    const out = leftAs(f);
    return out ? [frameEvidence(ctx, out, note(f))] : [];
  });
}
