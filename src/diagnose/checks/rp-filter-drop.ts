import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { sysctlAt, sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, plural, stoppedFrameEvidence } from '../flow-facts.js';
import { hostView } from '../../simulate/host-view.js';
import { confKey } from '../../gateway/sysctl.js';
import { bootFacts, type BootFacts } from '../boot-sysctls.js';
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
    const boot = strictAtBoot(ctx);
    const fix = [...ifaces].flatMap((i) => [`sysctl -w ${key(i)}=2  # loose mode; or add a route for ${sources.join(', ')} via ${i}`]);
    for (const c of boot?.fix ?? []) fix.push(c);
    fix.push(...persistFix([...ifaces].map(key), boot));
    return [
      finding(
        'rp-filter-drop',
        'error',
        'confirmed',
        'Reverse-path filtering drops packets from some sources',
        `${plural(flows.length, 'flow')} from ${sources.join(', ')} arrived on ${[...ifaces].join(', ')} and stopped silently: the route back to the source leaves by another interface and rp_filter is strict.` +
          (boot ? ` ${boot.sentence}` : ''),
        uniqueEvidence([...evidence, ...(boot?.evidence ?? []), ...stoppedFrameEvidence(ctx, flows)], 16),
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
  const boot = strictAtBoot(ctx);
  return [
    finding(
      'rp-filter-drop',
      'error',
      'likely',
      'Most likely reverse-path filtering drops packets from some sources',
      `${plural(flows.length, 'flow')} from ${sources.join(', ')} arrived on ${ifaces.join(', ')} and stopped silently, while other sources on the same interface passed; the route back to ${sources.length === 1 ? 'that source' : 'those sources'} leaves by another interface, which strict rp_filter (1) does not allow. The snapshot has no sysctls to confirm it: run \`sysctl net.ipv4.conf.all.rp_filter ${keys.join(' ')}\` on the gateway.` +
        (boot ? ` ${boot.sentence}` : ''),
      uniqueEvidence([...evidence, ...(boot?.evidence ?? []), ...stoppedFrameEvidence(ctx, flows), { kind: 'note', text: `confirm with: sysctl net.ipv4.conf.all.rp_filter ${keys.join(' ')}` }], 16),
      [
        `sysctl net.ipv4.conf.all.rp_filter ${keys.join(' ')}  # confirm first: 1 is strict`,
        ...keys.map((k) => `sysctl -w net.ipv4.conf.all.rp_filter=2 ${k}=2  # loose mode; or add a route for ${sources.join(', ')} via ${ifaces.join(', ')}`),
        ...(boot?.fix ?? []),
        ...persistFix(['net.ipv4.conf.all.rp_filter', ...keys], boot),
      ],
      flows,
    ),
  ];
}

/** The drop-in file the fix writes (another name when the boot configuration has files sorting after it). */
const DROP_IN = '99-nat-gateway-rp-filter.conf';

/**
 * Whether strict mode comes back at boot: the boot configuration (when the snapshot holds it) setting
 * `conf.all.rp_filter` or `conf.default.rp_filter` to 1 — RHEL's own defaults set the latter — makes every interface
 * made after boot strict, a Kube-OVN gateway pod's included.
 */
function strictAtBoot(ctx: CheckContext): BootFacts | null {
  return bootFacts(ctx, ['net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter'], '2', (v) => v === '1');
}

/** The drop-in file with `keys` loose (and the boot configuration's strict keys), applied; where a Kube-OVN gateway's come from. */
function persistFix(keys: readonly string[], boot: BootFacts | null): string[] {
  const all = [...new Set([...keys, ...(boot?.wrongAtBoot ?? [])])];
  return [
    `printf '${all.map((k) => `${k} = 2`).join('\\n')}\\n' > /etc/sysctl.d/${boot?.dropIn(DROP_IN) ?? DROP_IN}  # survives a reboot`,
    'sysctl --system',
    "# Kube-OVN: a NAT gateway pod's interfaces take conf.default.rp_filter, and its namespace conf.all.rp_filter, from the node that runs it when the pod is made: set them (not 1) on that node (/etc/sysctl.d/), then restart the gateway pod",
  ];
}
