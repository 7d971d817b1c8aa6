import type { HostInterface } from '../model/host.js';

/**
 * Whether an interface can carry packets, as `ip addr` shows it:
 * - `admin-down`: no UP flag (`ip link set … down`): the kernel removed every route through it; its addresses stay.
 * - `no-carrier`: UP but NO-CARRIER (state DOWN or LOWERLAYERDOWN): the cable, the switch port, a veth's peer, a
 *   macvlan's parent NIC. Its routes stay (marked `linkdown`) and are used, but what the kernel sends there is
 *   dropped at the device, before any capture on it sees it, and nothing arrives there.
 * - `up`: anything else, including state UNKNOWN (tunnels, loopback, some virtual devices never report one).
 */
export type LinkState = 'up' | 'admin-down' | 'no-carrier';

export function linkState(itf: HostInterface): LinkState {
  if (!itf.flags.length) return 'up';
  if (!itf.flags.includes('UP')) return 'admin-down';
  if (itf.flags.includes('NO-CARRIER') || itf.operState === 'LOWERLAYERDOWN') return 'no-carrier';
  return 'up';
}

/** How `ip addr` said it, for evidence and notes. */
export function linkStateText(itf: HostInterface): string {
  return `<${itf.flags.join(',')}>${itf.operState && itf.operState !== 'UNKNOWN' ? ` state ${itf.operState}` : ''}`;
}
