import { ipv4ToString } from '../model/address.js';
import type { Flow, FlowRuleRef } from '../model/analysis.js';
import type { Trace } from '../model/trace.js';
import { hasPorts } from './packet-state.js';

/**
 * `Flow.expected` from a trace: what should leave the gateway, in the flow view's form (dotted addresses; for
 * ICMP the echo id as `sport` and `dport` null). The rule is the last NAT rewrite's (with DNAT and SNAT both on
 * the path, the SNAT decides what the outside sees; a single rewrite is the usual case). Null when the packet
 * does not leave (dropped, local) or the simulator cannot tell.
 */
export function expectedEndpoint(trace: Trace): Flow['expected'] {
  const d = trace.disposition;
  if (d.kind !== 'forwarded') return null;
  const last = trace.rewrites.at(-1);
  const rule: FlowRuleRef | null = last ? { file: last.rule.file, line: last.rule.line, table: last.rule.table, chain: last.rule.chain, text: last.rule.text } : null;
  const ported = hasPorts(trace.packet.proto);
  const icmpQuery = trace.packet.proto === 1 && d.out.sport !== 0;
  return {
    src: ipv4ToString(d.out.src),
    dst: ipv4ToString(d.out.dst),
    sport: ported || icmpQuery ? d.out.sport : null,
    dport: ported ? d.out.dport : null,
    rule,
    portsMayChange: d.portsMayChange,
  };
}
