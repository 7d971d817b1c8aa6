import type { HostInterface } from '../model/host.js';
import type { AssembledFlow } from '../correlate/flow-assembly.js';
import { linkState } from '../gateway/link-state.js';
import type { CheckContext } from './check.js';

/** An interface that cannot carry packets (link-state.ts); without `ip addr`, known by its routes (`linkdown`). */
export interface DownLink {
  readonly name: string;
  readonly itf: HostInterface | null;
  readonly state: 'admin-down' | 'no-carrier';
}

/**
 * The down interface a flow that stopped at the gateway should have left by, if any: the one the simulator
 * dropped it at (no carrier: its routes stay), or — for an interface set down, whose routes the kernel removed —
 * the other side's interface of a flow that met "no route" (the trace's, or the gateway's ICMP net unreachable).
 */
export function downLinkOf(ctx: CheckContext, f: AssembledFlow): DownLink | null {
  const host = ctx.snapshot?.host;
  if (!host || f.forwarded > 0 || f.ingressIface < 0) return null;
  // The gateway's own net unreachable proves the stop even where the other side was not captured.
  const netUnreachable = f.errors.some((e) => e.fromGateway && e.type === 3 && e.code === 0 && e.iface === f.ingressIface);
  if (f.disposition !== 'stopped-at-gateway' && !netUnreachable) return null;
  const d = f.trace?.disposition;
  if (d?.kind === 'dropped' && d.reason === 'link-down' && d.egress !== undefined) {
    const itf = host.interfaces.find((i) => i.name === d.egress) ?? null;
    // Without the interface in the snapshot, the simulator knew it from a route marked linkdown.
    const state = itf ? linkState(itf) : 'no-carrier';
    return state !== 'up' ? { name: d.egress, itf, state } : null;
  }
  if (!(d?.kind === 'dropped' && d.reason === 'no-route') && !netUnreachable) return null;
  const roles = ctx.correlation.roles;
  const arrived = ctx.ifaceName(f.ingressIface);
  const other = arrived === roles.inside ? roles.outside : arrived === roles.outside ? roles.inside : null;
  // Without roles (no rules, no routes to tell them), the one other interface set down that held addresses.
  const down = host.interfaces.filter((i) => i.name !== arrived && !i.flags.includes('LOOPBACK') && linkState(i) === 'admin-down' && i.addresses.some((a) => a.family === 4));
  const itf = other ? host.interfaces.find((i) => i.name === other) : down.length === 1 ? down[0] : undefined;
  return itf && linkState(itf) === 'admin-down' ? { name: itf.name, itf, state: 'admin-down' } : null;
}
