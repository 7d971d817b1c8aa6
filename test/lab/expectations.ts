/**
 * Compares a `natlens analyze --format json` result for a lab bundle with scenarios.json: the expected check
 * must be the first finding (healthy: no error finding at all), and every flow selected by an expected-flow entry must
 * have its disposition. Returns the list of disagreements (empty: the analysis got the scenario right), so
 * a test can `expect(problems).toEqual([])` and show all of them at once.
 */
import type { ExpectedFlow, LabJson, ScenarioExpectation } from './lab-output.js';

/** The part of the analysis JSON contract (issue 4) this comparison reads. */
export interface AnalysisJsonSubset {
  findings: ReadonlyArray<{ check: string; severity: string; confidence: string; flows: readonly string[] }>;
  flows: ReadonlyArray<{
    id: string;
    proto: string;
    original: { src: string; dst: string; sport: number | null; dport: number | null };
    disposition: string;
  }>;
  warnings?: ReadonlyArray<{ code: string }>;
}

export function selectFlows(
  analysis: AnalysisJsonSubset,
  lab: LabJson,
  want: ExpectedFlow,
): AnalysisJsonSubset['flows'][number][] {
  const src = lab.addresses[want.src];
  const dst = lab.addresses[want.dst];
  const dport = want.dport === undefined ? undefined : lab.ports[want.dport];
  return analysis.flows.filter(
    (f) =>
      f.proto === want.proto &&
      f.original.src === src &&
      f.original.dst === dst &&
      (dport === undefined || f.original.dport === dport),
  );
}

export function compareWithScenario(
  analysis: AnalysisJsonSubset,
  lab: LabJson,
  expected: ScenarioExpectation,
): string[] {
  const problems: string[] = [];
  const errors = analysis.findings.filter((f) => f.severity === 'error');
  if (expected.check === null) {
    if (errors.length > 0) problems.push(`expected no error finding, got ${errors.map((f) => f.check).join(', ')}`);
  } else if (analysis.findings[0]?.check !== expected.check) {
    // Findings come most important first (severity, then flows explained); the scenario's cause leads. It
    // is an error where packets stop, and may be a warning where they do not (snapshot-backend-mismatch).
    problems.push(
      `expected first finding ${expected.check}, got [${analysis.findings.map((f) => `${f.check}/${f.severity}`).join(', ')}]`,
    );
  }
  if (expected.confidence !== undefined && analysis.findings[0] && analysis.findings[0].confidence !== expected.confidence) {
    problems.push(`expected ${analysis.findings[0].check} ${expected.confidence}, got ${analysis.findings[0].confidence}`);
  }
  if (expected.firstExplainsAll) {
    const explained = new Set(analysis.findings[0]?.flows ?? []);
    for (const f of analysis.flows) {
      if (!['delivered', 'local', 'outside-capture'].includes(f.disposition) && !explained.has(f.id)) {
        problems.push(`flow ${f.id} ${f.proto} ${f.original.src} > ${f.original.dst} (${f.disposition}) is not among ${analysis.findings[0]?.check ?? 'the first finding'}'s flows`);
      }
    }
  }
  if (expected.everyFlow !== undefined) {
    for (const f of analysis.flows) {
      if (f.disposition !== expected.everyFlow && f.disposition !== 'local') {
        problems.push(`flow ${f.id} ${f.proto} ${f.original.src} > ${f.original.dst}: ${f.disposition}, expected ${expected.everyFlow}`);
      }
    }
  }
  const codes = new Set((analysis.warnings ?? []).map((w) => w.code));
  for (const code of expected.warnings ?? []) if (!codes.has(code)) problems.push(`expected warning ${code}, got [${[...codes].join(', ')}]`);
  for (const code of expected.noWarnings ?? []) if (codes.has(code)) problems.push(`unexpected warning ${code}`);
  for (const want of expected.flows) {
    const label = `${want.proto} ${want.src} > ${want.dst}${want.dport ? `:${want.dport}` : ''}`;
    const flows = selectFlows(analysis, lab, want);
    if (flows.length === 0) problems.push(`no flow ${label} (${lab.addresses[want.src]} > ${lab.addresses[want.dst]})`);
    for (const f of flows) {
      if (f.disposition !== want.disposition) {
        problems.push(`flow ${f.id} ${label}: ${f.disposition}, expected ${want.disposition}`);
      }
    }
  }
  return problems;
}
