import type { Finding, Severity } from '../model/analysis.js';
import type { Check, CheckContext } from './check.js';
import { CHECKS } from './checks/index.js';
import type { AssembledFlow } from '../correlate/flow-assembly.js';
import { errorSwallowedUnruled, repliesStoppedUnruled } from './flow-facts.js';

/**
 * Flows that stopped at the gateway (requests, replies on their way back, or ICMP errors about them from beyond) that
 * no error finding names, and that the snapshot would have forwarded: their trace (the replies' too) ends forwarded, or there is none.
 */
function unexplainedStops(ctx: CheckContext, findings: readonly Finding[]): AssembledFlow[] {
  const named = new Set<string>();
  for (const f of findings) if (f.severity === 'error') for (const id of f.flows) named.add(id);
  return ctx.flows.filter((f) => {
    if (named.has(f.id)) return false;
    if (f.disposition === 'stopped-at-gateway') return f.trace?.disposition.kind !== 'dropped' && f.trace?.disposition.kind !== 'local';
    return repliesStoppedUnruled(ctx, f) || errorSwallowedUnruled(ctx, f);
  });
}

/** Checks ranked this high describe symptoms (e.g. upstream-no-reply) that a root cause may explain. */
const SYMPTOM_RANK = 9;

const SEVERITY: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Run the checks and order the findings: by severity, root causes before the symptoms they explain
 * (e.g. arp-disabled before upstream-no-reply), then by how many flows a finding explains.
 */
export function runChecks(ctx: CheckContext, checks: readonly Check[] = CHECKS): Finding[] {
  const ranked: { f: Finding; rank: number }[] = [];
  for (const c of checks) for (const f of c.run(ctx)) ranked.push({ f, rank: c.rank });
  const rest = unexplainedStops(ctx, ranked.map((r) => r.f));
  if (rest.length) {
    for (const c of checks) {
      const found = c.unexplained?.(ctx, rest) ?? [];
      for (const f of found) ranked.push({ f, rank: c.rank });
      if (found.length) break;
    }
  }
  const symptom = (r: { rank: number }): number => (r.rank >= SYMPTOM_RANK ? 1 : 0);
  ranked.sort(
    (a, b) =>
      SEVERITY[a.f.severity] - SEVERITY[b.f.severity] ||
      symptom(a) - symptom(b) ||
      b.f.flows.length - a.f.flows.length ||
      a.rank - b.rank ||
      a.f.check.localeCompare(b.f.check),
  );
  return ranked.map((r) => r.f);
}
