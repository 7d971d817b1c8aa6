import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { sysctlAt, sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, plural, stoppedFrameEvidence } from '../flow-facts.js';
import { hostView } from '../../simulate/host-view.js';
import { confKey } from '../../gateway/sysctl.js';
import { flowKeys, haveRoutes, lookupRoute } from '../../simulate/route-lookup.js';

export const rpFilterDrop: Check = {
  id: 'rp-filter-drop',
  description: 'Reverse-path filtering drops packets whose source would be routed back out another interface (rp_filter strict).',
  rank: 1,
  run(ctx: CheckContext) {
    const flows = ctx.flows.filter((f) => f.disposition === 'stopped-at-gateway' && droppedBy(f, 'rp-filter'));
    if (!flows.length) return withoutSysctls(ctx);
    const evidence: Evidence[] = [];
    const ifaces = new Set<string>();
    for (const f of flows) {
      const d = f.trace!.disposition;
      if (d.kind !== 'dropped') continue;
      const s = sysctlAt(ctx, d.source);
      if (s) evidence.push(sysctlEvidence(s));
      const step = f.trace!.steps.find((x) => x.stage === 'rp-filter');
      evidence.push({ kind: 'note', text: `${f.id} from ${ipv4ToString(f.original.src)} on ${ctx.ifaceName(f.ingressIface)}: ${step?.note ?? d.note}` });
      ifaces.add(ctx.ifaceName(f.ingressIface));
    }
    const sources = [...new Set(flows.map((f) => ipv4ToString(f.original.src)))];
    // sysctl names a VLAN device eth0.100 as eth0/100 (a dot would be read as a separator).
    const key = (i: string): string => confKey(i, 'rp_filter');
    const fix = [...ifaces].flatMap((i) => [`sysctl -w ${key(i)}=2  # loose mode; or add a route for ${sources.join(', ')} via ${i}`]);
    fix.push(`printf '${[...ifaces].map((i) => `${key(i)} = 2`).join('\\n')}\\n' > /etc/sysctl.d/99-nat-gateway-rp-filter.conf  # survives a reboot`);
    fix.push('sysctl --system');
    return [
      finding(
        'rp-filter-drop',
        'error',
        'confirmed',
        'Reverse-path filtering drops packets from some sources',
        `${plural(flows.length, 'flow')} from ${sources.join(', ')} arrived on ${[...ifaces].join(', ')} and stopped silently: the route back to the source leaves by another interface and rp_filter is strict.`,
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
        fix,
        flows,
      ),
    ];
  },
};

/**
 * The same stop when the snapshot has no sysctls to show rp_filter (the simulator then assumes the kernel
 * default, 0): flows from some sources stop silently, others arriving on the same interface pass, and the route
 * back to each stopped source leaves by another interface — what strict reverse-path filtering drops. Likely;
 * the sysctl confirms it.
 */
function withoutSysctls(ctx: CheckContext): ReturnType<Check['run']> {
  const snapshot = ctx.snapshot;
  if (!snapshot || snapshot.host.have.sysctls) return [];
  const view = hostView(snapshot);
  if (!haveRoutes(view)) return [];
  const evidence: Evidence[] = [];
  const flows = ctx.flows.filter((f) => {
    if (f.disposition !== 'stopped-at-gateway' || f.ingressIface < 0 || f.trace?.disposition.kind === 'dropped') return false;
    const ingress = ctx.ifaceName(f.ingressIface);
    const rev = lookupRoute(view, f.original.src, { src: f.original.dst, iif: 'lo', mark: 0, ...flowKeys(f.proto, f.original.dport, f.original.sport) });
    if (rev.kind !== 'route' || !rev.route.dev || rev.route.dev === ingress) return false;
    // Other sources arriving on the same interface were forwarded: the interface itself forwards.
    if (!ctx.flows.some((g) => g.ingressIface === f.ingressIface && g.forwarded > 0 && g.original.src !== f.original.src)) return false;
    evidence.push({ kind: 'route', file: rev.route.source.file, line: rev.route.source.line, text: `route back to ${ipv4ToString(f.original.src)} (${f.id}): ${rev.route.text} — leaves by ${rev.route.dev}, not by ${ingress} where it came in` });
    return true;
  });
  if (!flows.length) return [];
  const ifaces = [...new Set(flows.map((f) => ctx.ifaceName(f.ingressIface)))];
  const sources = [...new Set(flows.map((f) => ipv4ToString(f.original.src)))];
  const keys = ifaces.map((i) => confKey(i, 'rp_filter'));
  return [
    finding(
      'rp-filter-drop',
      'error',
      'likely',
      'Most likely reverse-path filtering drops packets from some sources',
      `${plural(flows.length, 'flow')} from ${sources.join(', ')} arrived on ${ifaces.join(', ')} and stopped silently, while other sources on the same interface passed; the route back to ${sources.length === 1 ? 'that source' : 'those sources'} leaves by another interface, which strict rp_filter (1) does not allow. The snapshot has no sysctls to confirm it: run \`sysctl net.ipv4.conf.all.rp_filter ${keys.join(' ')}\` on the gateway.`,
      uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows), { kind: 'note', text: `confirm with: sysctl net.ipv4.conf.all.rp_filter ${keys.join(' ')}` }], 16),
      [
        `sysctl net.ipv4.conf.all.rp_filter ${keys.join(' ')}  # confirm first: 1 is strict`,
        ...keys.map((k) => `sysctl -w net.ipv4.conf.all.rp_filter=2 ${k}=2  # loose mode; or add a route for ${sources.join(', ')} via ${ifaces.join(', ')}`),
        `printf 'net.ipv4.conf.all.rp_filter = 2\\n${keys.map((k) => `${k} = 2`).join('\\n')}\\n' > /etc/sysctl.d/99-nat-gateway-rp-filter.conf  # survives a reboot`,
      ],
      flows,
    ),
  ];
}
