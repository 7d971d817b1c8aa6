import type { Finding } from './analysis.js';

/**
 * The error findings that are causes in their own right, most important first: the first, then each later one that
 * explains a flow none before it does. Two faults at once need two fixes; a symptom of a cause already named (such as
 * upstream-no-reply after arp-disabled) explains no new flow and is left out. Findings must come ordered as the
 * analysis orders them.
 */
export function independentCauses(findings: readonly Finding[]): Finding[] {
  const named = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    if (f.severity !== 'error') continue;
    if (!out.length || f.flows.some((id) => !named.has(id))) out.push(f);
    for (const id of f.flows) named.add(id);
  }
  return out;
}
