import type { InputWarning } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';

/**
 * Whether the snapshot's `ip addr` is the captured gateway's: an interface the captures hold and the rules name
 * (`-i`/`-o`) that `ip addr` does not list means it was most likely taken in another network namespace — on the
 * node rather than inside the gateway pod (`kubectl exec` into it), or on another host. Its addresses, MTUs and
 * NOARP flags are then not the gateway's, and what the checks read from them is not to be trusted. Names only
 * the captures use (`a.pcap`) say nothing: files are named anyhow.
 */
export function snapshotFitWarnings(capturedIfaces: readonly string[], snapshot: Snapshot | null): InputWarning[] {
  if (!snapshot?.host.have.addresses || !snapshot.rules) return [];
  const listed = new Set(snapshot.host.interfaces.map((i) => i.name));
  const inRules = new Set<string>();
  for (const table of Object.values(snapshot.rules.tables)) {
    for (const chain of table?.chains ?? []) {
      for (const r of chain.rules) for (const m of r.matches) if ((m.kind === 'in' || m.kind === 'out') && !m.name.endsWith('+')) inRules.add(m.name);
    }
  }
  const missing = capturedIfaces.filter((n) => inRules.has(n) && !listed.has(n));
  if (!missing.length) return [];
  const files = [...new Set(snapshot.host.interfaces.map((i) => i.source.file))];
  const names = missing.join(' and ');
  return [
    {
      code: 'snapshot-elsewhere',
      file: files.join(', ') || snapshot.files.find((f) => f.kind === 'ip-addr')?.path || '',
      message: `ip addr lists no ${names}, which the captures hold and the rules name (it lists ${[...listed].join(', ') || 'nothing'}): it looks taken in another network namespace — on the node rather than inside the gateway pod? Addresses, MTUs and NOARP flags are then not the gateway's; take it where the captures were taken (kubectl exec <gateway pod> -- ip addr)`,
    },
  ];
}
