import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, neighbourEvidence, uniqueEvidence } from '../evidence.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import { downLinkOf, type DownLink } from '../link-facts.js';
import { linkStateText } from '../../gateway/link-state.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';

/**
 * The interface a flow should leave by is down (beyond FAILURES.md's catalogue: the link an engineer checks first).
 * Two faces, both from `ip addr`:
 * - no carrier (NO-CARRIER, state DOWN / LOWERLAYERDOWN): the cable, the switch port, a veth's peer, a macvlan's
 *   parent NIC. Routes stay (`linkdown`); the kernel routes and NATs, but no ARP leaves the interface, so the packets
 *   are dropped (with ICMP host unreachable back when the ARP times out) and a capture on it stays empty.
 * - set down (no UP flag): the kernel removed every route through it, so what should leave there meets "no route"
 *   (ICMP net unreachable back) — the no-route check steps aside for these flows: adding a route fails while the
 *   interface is down, and bringing it up brings back only its connected route.
 */
export const interfaceDown: Check = {
  id: 'interface-down',
  description: 'The interface the traffic should leave by is down: no carrier (the link, its peer or parent NIC), or set down (its routes gone).',
  rank: 0,
  run(ctx: CheckContext) {
    const by = new Map<string, { link: DownLink; flows: AssembledFlow[] }>();
    for (const f of ctx.flows) {
      const link = downLinkOf(ctx, f);
      if (!link) continue;
      const g = by.get(link.name) ?? { link, flows: [] };
      g.flows.push(f);
      by.set(link.name, g);
    }
    return [...by.values()].map(({ link, flows }) => downFinding(ctx, link, flows));
  },
};

function downFinding(ctx: CheckContext, link: DownLink, flows: readonly AssembledFlow[]) {
  const itf = link.itf;
  const name = link.name;
  const routes = (ctx.snapshot?.host.routes ?? []).filter((r) => r.family === 4 && r.dev === name);
  // Without ip addr, the routes the kernel marked linkdown say it.
  const state = itf ? linkStateText(itf) : 'its routes marked linkdown';
  const evidence: Evidence[] = itf ? [{ kind: 'interface', file: itf.source.file, line: itf.source.line, text: `${name}: ${state} mtu ${itf.mtu}` }] : [];
  for (const r of routes.slice(0, 3)) evidence.push({ kind: 'route', file: r.source.file, line: r.source.line, text: r.text });
  for (const n of (ctx.snapshot?.host.neighbours ?? []).filter((x) => x.family === 4 && x.dev === name).slice(0, 2)) evidence.push(neighbourEvidence(n));
  const quiet = ctx.correlation.windows.filter((w) => w.packets === 0 && w.interfaces.includes(name));
  for (const w of quiet) evidence.push({ kind: 'note', text: `${w.file}: the capture of ${name} holds no packet` });
  // Set down: no route is left (net unreachable). No carrier: the ARP for the next hop cannot leave, and when it
  // times out the queued packets are answered with host unreachable.
  const code = link.state === 'admin-down' ? 0 : 1;
  const answered = flows.filter((f) => f.errors.some((x) => x.fromGateway && x.type === 3 && x.code === code));
  for (const f of answered.slice(0, 2)) {
    const e = f.errors.find((x) => x.fromGateway && x.type === 3 && x.code === code)!;
    evidence.push(errorEvidence(ctx, e, code === 0 ? `the gateway answered ${f.id} with "network unreachable": no route is left through ${name}` : `the gateway answered ${f.id} with "host unreachable": its ARP could not leave ${name}`));
  }
  evidence.push(...stoppedFrameEvidence(ctx, flows, 2, 6));
  const subnets = [...new Set((itf?.addresses ?? []).filter((a) => a.family === 4).map((a) => `${ipv4ToString(a.v4 - (a.v4 % 2 ** (32 - a.prefix)))}/${a.prefix}`))];
  // Where they were going once translated: a DNAT target on the inside.
  const dstOf = (f: AssembledFlow): string => {
    const dnat = f.trace?.rewrites.find((r) => r.kind === 'DNAT');
    return dnat && dnat.after.dst !== f.original.dst ? `${ipv4ToString(dnat.after.dst)} (DNAT of ${ipv4ToString(f.original.dst)})` : ipv4ToString(f.original.dst);
  };
  const dsts = [...new Set(flows.map(dstOf))];
  const what = `${plural(flows.length, 'flow')} to ${dsts.slice(0, 4).join(', ')}${dsts.length > 4 ? ', …' : ''} should leave by ${name}`;
  const inside = ctx.correlation.roles.inside === name;
  const kubeOvn = inside
    ? `# Kube-OVN: ${name} of a NAT gateway pod is its port on the VPC's logical switch: check that port (kubectl ko nbctl show <vpc subnet>, the pod's events); restarting the pod re-creates ${name} with its routes`
    : `# Kube-OVN: ${name} of a NAT gateway pod is usually a macvlan on the node's NIC for the external network: check that NIC on the node running the pod (ip link, ethtool); restarting the pod re-creates ${name} with its routes`;
  if (link.state === 'no-carrier') {
    return finding(
      'interface-down',
      'error',
      'confirmed',
      `${name} has no carrier: what leaves by it is dropped`,
      `${what}, and ${name} ${itf ? 'is up but has' : 'has'} no carrier (${state}): the link beneath it is down — the cable or switch port, the peer of a veth, ` +
        `the parent NIC of a macvlan. The kernel still routes and translates these packets, but the ARP that must come first cannot leave ${name}: ` +
        `they are dropped${answered.length ? ', and answered with ICMP host unreachable when the ARP times out' : ''}` +
        `${quiet.length ? `; the capture of ${name} holds not a single packet, not even that ARP` : ''}. Nothing comes back in by ${name} either.`,
      uniqueEvidence(evidence, 14),
      [
        `ip -d link show ${name}; ethtool ${name}  # which link: its peer, its parent (macvlan/ipvlan/vlan "link"), the NIC's carrier`,
        `ip link set <the NIC beneath ${name}> up  # or reconnect the cable / switch port; ${name} follows its carrier`,
        kubeOvn,
      ],
      flows,
    );
  }
  return finding(
    'interface-down',
    'error',
    'confirmed',
    `${name} is down: its routes are gone`,
    `${what}, and ${name} is set down (${state}, no UP flag): its addresses stay, but the kernel removed every route through it, ` +
      `so the gateway has no route for this traffic${answered.length ? ' and answers it with ICMP network unreachable' : ''}. ` +
      `Bringing ${name} up restores only its connected route${subnets.length ? ` (${subnets.join(', ')})` : ''}: the default route through it must be added again.`,
    uniqueEvidence(evidence, 14),
    [
      `ip link set ${name} up`,
      `ip route add default via <next hop on ${name}${subnets.length ? `, in ${subnets[0]}` : ''}> dev ${name}  # and any other route that went with it`,
      `ip route get ${dsts[0] ?? '<destination>'}  # afterwards: dev ${name}`,
      kubeOvn,
    ],
    flows,
  );
}
