import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { sysctlAt, sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, plural, stoppedFrameEvidence } from '../flow-facts.js';

export const rpFilterDrop: Check = {
  id: 'rp-filter-drop',
  description: 'Reverse-path filtering drops packets whose source would be routed back out another interface (rp_filter strict).',
  rank: 1,
  run(ctx: CheckContext) {
    const flows = ctx.flows.filter((f) => f.disposition === 'stopped-at-gateway' && droppedBy(f, 'rp-filter'));
    if (!flows.length) return [];
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
    const key = (i: string): string => `net.ipv4.conf.${i.replace(/\./g, '/')}.rp_filter`;
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
