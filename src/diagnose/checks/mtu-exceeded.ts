import type { Evidence } from '../../model/analysis.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, isFragNeeded, plural, stoppedFrameEvidence } from '../flow-facts.js';
import { addRuleCommand, hookChain, type ChainPlace } from '../rule-commands.js';

export const mtuExceeded: Check = {
  id: 'mtu-exceeded',
  description: 'Packets larger than the egress MTU with DF set stop; the gateway sends ICMP fragmentation-needed back; small packets pass.',
  rank: 1,
  run(ctx: CheckContext) {
    const flows = ctx.flows.filter(
      (f) => f.ingressIface >= 0 && (f.errors.some((e) => e.fromGateway && isFragNeeded(e.type, e.code)) || (f.forwarded === 0 && droppedBy(f, 'mtu-exceeded'))),
    );
    if (!flows.length) return [];
    const evidence: Evidence[] = [];
    const mtus = new Set<number>();
    let sizes = 0;
    for (const f of flows) {
      const e = f.errors.find((x) => x.fromGateway && isFragNeeded(x.type, x.code));
      if (e) {
        evidence.push(errorEvidence(ctx, e, `the gateway answered ${f.id}: fragmentation needed`));
        if (e.mtu) mtus.add(e.mtu);
      }
      const d = f.trace?.disposition;
      if (d?.kind === 'dropped' && d.reason === 'mtu-exceeded' && d.icmpBack?.mtu) mtus.add(d.icmpBack.mtu);
      sizes = Math.max(sizes, f.first.length);
    }
    // The MTU that stops them is the egress interface's: the one the flows should have left by.
    const ingressNames = new Set(flows.map((f) => ctx.ifaceName(f.ingressIface)));
    const egress = ctx.correlation.ifaces.find((i) => !ingressNames.has(i)) ?? ctx.correlation.roles.outside ?? '<egress-interface>';
    const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === egress);
    if (itf) evidence.push({ kind: 'interface', file: itf.source.file, line: itf.source.line, text: `${itf.name}: mtu ${itf.mtu}` });
    const mtu = [...mtus].sort((a, b) => a - b)[0] ?? itf?.mtu ?? null;
    const passed = ctx.flows.filter((f) => f.forwarded > 0 && f.ingressIface >= 0 && !flows.includes(f)).length;
    // Without the gateway's ICMP answer the senders never learn the path MTU and resend the same size: a PMTU black hole.
    const answered = flows.some((f) => f.errors.some((e) => e.fromGateway && isFragNeeded(e.type, e.code)));
    return [
      finding(
        'mtu-exceeded',
        'error',
        mtus.size || flows.some((f) => droppedBy(f, 'mtu-exceeded')) ? 'confirmed' : 'likely',
        `Packets larger than the egress MTU${mtu ? ` (${mtu})` : ''} stop at the gateway`,
        `${plural(flows.length, 'flow')} sent packets of up to ${sizes} bytes with DF set; the egress MTU is ${mtu ?? 'smaller'}, so the gateway dropped them and ${answered ? 'sent ICMP fragmentation-needed back' : 'no ICMP fragmentation-needed was captured coming back (rate-limited, or dropped in OUTPUT: the senders cannot learn the path MTU)'}${passed ? `, while ${plural(passed, 'other flow')} with smaller packets passed` : ''}.`,
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
        [
          `ip link set dev ${egress} mtu ${Math.max(sizes, 1500)}  # if the link can carry it; otherwise lower the senders' MTU`,
          `${addRuleCommand(hookChain(ctx.snapshot, 'mangle', 'FORWARD'), { iptables: '-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', nft: 'tcp flags syn / syn,rst tcp option maxseg size set rt mtu' })}  # TCP adapts; make sure ICMP type 3 code 4 reaches the senders`,
          egress === ctx.correlation.roles.inside
            ? "# an overlay's smaller MTU on the VPC side is by design (Kube-OVN's Geneve takes 100 bytes): the senders outside must learn it — let fragmentation needed reach them, or clamp TCP's MSS as above"
            : '# persist the MTU in the interface configuration (Kube-OVN: the external subnet / NetworkAttachmentDefinition mtu)',
          ...(answered ? [] : [`${outputList(hookChain(ctx.snapshot, 'filter', 'OUTPUT'))}; sysctl net.ipv4.icmp_ratelimit net.ipv4.icmp_ratemask  # let ICMP type 3 code 4 out to the senders`]),
        ],
        flows,
      ),
    ];
  },
};

/** The gateway's own output chain with its counters, in the words of the tool that owns it. */
function outputList(place: ChainPlace): string {
  return place.tool === 'nft' ? `nft list chain ${place.chain}` : `iptables${place.table === 'filter' ? '' : ` -t ${place.table}`} -L ${place.chain} -n -v`;
}
