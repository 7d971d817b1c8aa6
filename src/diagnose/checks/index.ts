import type { Check } from '../check.js';
import { arpDisabled } from './arp-disabled.js';
import { conntrackStateLost } from './conntrack-state-lost.js';
import { conntrackTableFull } from './conntrack-table-full.js';
import { dnatBackendUnreachable } from './dnat-backend-unreachable.js';
import { dnatMissing } from './dnat-missing.js';
import { egressNeighborUnresolved } from './egress-neighbor-unresolved.js';
import { forwardChainDrop } from './forward-chain-drop.js';
import { interfaceDown } from './interface-down.js';
import { intermittentDrop } from './intermittent-drop.js';
import { ipForwardDisabled } from './ip-forward-disabled.js';
import { mtuExceeded } from './mtu-exceeded.js';
import { noRoute } from './no-route.js';
import { rpFilterDrop } from './rp-filter-drop.js';
import { snapshotBackendMismatch } from './snapshot-backend-mismatch.js';
import { snatMissing } from './snat-missing.js';
import { snatPortsExhausted } from './snat-ports-exhausted.js';
import { staleConntrack } from './stale-conntrack.js';
import { upstreamNoReply } from './upstream-no-reply.js';

/** Every check, listed explicitly (no registry filled by import side effects). */
export const CHECKS: readonly Check[] = [
  ipForwardDisabled,
  // Before no-route: an interface set down takes its routes with it.
  interfaceDown,
  // Before forward-chain-drop: both explain stops the rules would not cause, and a full table is the surer.
  conntrackTableFull,
  // Before forward-chain-drop and intermittent-drop: the INVALID rule it names drops only what conntrack lost.
  conntrackStateLost,
  snatPortsExhausted,
  forwardChainDrop,
  intermittentDrop,
  rpFilterDrop,
  noRoute,
  egressNeighborUnresolved,
  arpDisabled,
  mtuExceeded,
  snatMissing,
  dnatBackendUnreachable,
  dnatMissing,
  staleConntrack,
  snapshotBackendMismatch,
  upstreamNoReply,
];
