import { lostConnection } from '../lost-connection.js';
import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { ConntrackEntry } from '../../model/host.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { plural } from '../flow-facts.js';
import type { AssembledFlow, FlowTuple } from '../../correlate/flow-assembly.js';
import { Proto } from '../../model/packet.js';

function tupleText(t: FlowTuple, proto: number): string {
  if (proto === Proto.ICMP) return `${ipv4ToString(t.src)} → ${ipv4ToString(t.dst)} (echo id ${t.sport})`;
  return `${ipv4ToString(t.src)}:${t.sport} → ${ipv4ToString(t.dst)}:${t.dport}`;
}

/** The conntrack entry for a flow's original tuple whose reply direction shows the observed translation. */
function entryFor(entries: readonly ConntrackEntry[], f: AssembledFlow): ConntrackEntry | null {
  const o = f.original;
  const obs = f.observed!;
  for (const e of entries) {
    if (e.protoNum !== f.proto || e.original.src !== o.src || e.original.dst !== o.dst) continue;
    if (f.proto !== Proto.ICMP && (e.original.sport !== o.sport || e.original.dport !== o.dport)) continue;
    // Reply tuple = the translated connection seen from the other side: its src is where the packets went
    // (DNAT), its dst is the address they left with (SNAT).
    if (e.reply.src === obs.dst && e.reply.dst === obs.src) return e;
  }
  return null;
}

export const staleConntrack: Check = {
  id: 'stale-conntrack',
  description: "A flow is translated, but not as the snapshot's rules would translate it now: an old conntrack entry keeps the old mapping.",
  rank: 3,
  run(ctx: CheckContext) {
    // A connection translated anew in mid-stream is conntrack-state-lost's: its entry was lost, not kept too long.
    // A flow that left by another interface than the snapshot's walk sends it out was routed otherwise than the
    // snapshot says (an `ip rule` the bundle lacks): its POSTROUTING rules differ too, so its translation proves nothing.
    const flows = ctx.flows.filter(
      (f) =>
        f.disposition === 'translation-mismatch' && f.observed && f.trace?.disposition.kind === 'forwarded' && !lostConnection(ctx, f) &&
        !(f.egress && ctx.ifaceName(f.egress.iface) !== f.trace.disposition.egress),
    );
    if (!flows.length) return [];
    const entries = ctx.snapshot?.host.conntrack ?? [];
    const evidence: Evidence[] = [];
    const fixes: string[] = [];
    let found = 0;
    for (const f of flows) {
      const d = f.trace!.disposition;
      if (d.kind !== 'forwarded') continue;
      evidence.push({ kind: 'note', text: `${f.id}: rules now translate ${tupleText(f.original, f.proto)} to ${tupleText(d.out, f.proto)}; observed ${tupleText(f.observed!, f.proto)}` });
      for (const r of f.trace!.rewrites) evidence.push(ruleEvidence(r.rule));
      if (f.ingress.peer) evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id} left translated the old way`));
      const e = entryFor(entries, f);
      if (e) {
        found++;
        evidence.push({ kind: 'conntrack', file: e.source.file, line: e.source.line, text: e.text });
      }
      const proto = f.proto === Proto.ICMP ? 'icmp' : f.proto === Proto.TCP ? 'tcp' : f.proto === Proto.UDP ? 'udp' : String(f.proto);
      fixes.push(`conntrack -D -p ${proto} -s ${ipv4ToString(f.original.src)} -d ${ipv4ToString(f.original.dst)}`);
    }
    return [
      finding(
        'stale-conntrack',
        'error',
        found ? 'confirmed' : 'likely',
        'Old conntrack entries keep translating flows the old way',
        `${plural(flows.length, 'flow')} ${flows.length === 1 ? 'is' : 'are'} translated differently from what the current rules say. The nat table sees only a connection's first packet; ` +
          `${found ? 'conntrack -L still holds the old mapping' : 'a conntrack entry made before the rules changed most likely holds the old mapping (take `conntrack -L` to confirm)'}, so packets follow it until it expires or is deleted.`,
        uniqueEvidence(evidence, 20),
        [...new Set(fixes), '# or flush everything translated to the old address: conntrack -D --reply-dst <old-address>'],
        flows,
      ),
    ];
  },
};
