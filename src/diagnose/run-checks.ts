import type { Finding, Severity } from '../model/analysis.js';
import type { Check, CheckContext } from './check.js';
import { CHECKS } from './checks/index.js';

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
