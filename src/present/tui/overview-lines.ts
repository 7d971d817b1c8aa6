/**
 * The Overview: verdict, findings ranked as the analysis ranked them (severity, then flows explained; the
 * root cause before its symptoms), each with check id, confidence, key evidence, fix and the flows it
 * explains — the flows are selectable so that Enter drills straight into the packets.
 */
import type { Analysis, Flow } from '../../model/analysis.js';
import { seg, labelled, type Line, type Seg, wrapText } from './text-line.js';
import { baseName, fmtEndpoint } from './format.js';
import { dispositionTone, severityTone, confidenceTone } from './tones.js';
import { staticBody, type OpenTarget, type ViewBody } from './view-body.js';
import { evidenceText } from '../report-facts.js';
import { verdictMark } from './verdict-mark.js';

/** Flows listed under a finding before "… N more" (which opens the Flows view narrowed to them). */
const FLOWS_PER_FINDING = 5;
const EVIDENCE_PER_FINDING = 4;

export function flowLabel(f: Flow): string {
  return `${f.proto.padEnd(4)} ${fmtEndpoint(f.original, f.proto)}`;
}

export function buildOverview(a: Analysis, width: number): ViewBody {
  const lines: Line[] = [];
  const selectable: number[] = [];
  const targets: (OpenTarget | null)[] = [];
  const byId = new Map(a.flows.map((f) => [f.id, f]));
  const pick = (line: Line, target: OpenTarget) => {
    selectable.push(lines.length);
    targets.push(target);
    lines.push(line);
  };

  const { badge: mark, color } = verdictMark(a);
  const sentence = wrapText(a.summary.sentence, Math.max(20, width - mark.length - 1));
  sentence.forEach((t, i) =>
    lines.push(i === 0 ? [seg(mark, { color, bold: true }), seg(' ' + t, { bold: true })] : [seg(' '.repeat(mark.length + 1) + t, { bold: true })]),
  );
  const counts = Object.entries(a.summary.byDisposition)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((x, y) => (y[1] ?? 0) - (x[1] ?? 0));
  const dispLine: Seg[] = [seg(`${a.summary.flows} flows: `, { dim: true })];
  counts.forEach(([d, n], i) => {
    if (i > 0) dispLine.push(seg(', ', { dim: true }));
    dispLine.push(seg(`${n} ${d}`, { color: dispositionTone(d) }));
  });
  lines.push(dispLine);

  if (a.findings.length === 0) {
    lines.push([]);
    lines.push([seg('No findings: nothing in the captures or the snapshot points at a fault.', { color: 'green' })]);
  }
  const LW = 10;
  a.findings.forEach((f, i) => {
    lines.push([]);
    lines.push([
      seg(`#${i + 1} `, { bold: true }),
      seg(f.check, { bold: true, color: severityTone(f.severity) }),
      seg('  '),
      seg(f.severity.toUpperCase(), { color: severityTone(f.severity) }),
      seg(' · '),
      seg(f.confidence, { color: confidenceTone(f.confidence) }),
      seg(` · explains ${f.flows.length} flow${f.flows.length === 1 ? '' : 's'}`, { dim: true }),
    ]);
    for (const t of wrapText(f.title, width - 3)) lines.push([seg('   ' + t, { bold: true })]);
    for (const t of wrapText(f.detail, width - 3)) lines.push([seg('   ' + t)]);
    f.evidence.slice(0, EVIDENCE_PER_FINDING).forEach((e, k) => {
      const { where, what } = evidenceText(e, baseName);
      lines.push([seg('   ' + (k === 0 ? 'evidence'.padEnd(LW) : ' '.repeat(LW)), { dim: true }), seg(where, { color: 'cyan' }), seg('  ' + what)]);
    });
    if (f.evidence.length > EVIDENCE_PER_FINDING) lines.push([seg('   ' + ' '.repeat(LW) + `… ${f.evidence.length - EVIDENCE_PER_FINDING} more`, { dim: true })]);
    f.fix.forEach((cmd, k) => {
      for (const l of labelled(k === 0 ? '   fix' : '', LW + 3, cmd, width, { color: 'green' })) lines.push(l);
    });
    const flows = f.flows.map((id) => byId.get(id)).filter((x): x is Flow => x !== undefined);
    flows.slice(0, FLOWS_PER_FINDING).forEach((fl, k) => {
      pick(
        [seg('   ' + (k === 0 ? 'flows'.padEnd(LW) : ' '.repeat(LW)), { dim: true }), seg(flowLabel(fl)), seg('  '), seg(fl.disposition, { color: dispositionTone(fl.disposition) })],
        { kind: 'flow', id: fl.id },
      );
    });
    if (flows.length > FLOWS_PER_FINDING) {
      pick([seg('   ' + ' '.repeat(LW)), seg(`… ${flows.length - FLOWS_PER_FINDING} more — Enter lists all ${flows.length}`, { dim: true })], {
        kind: 'flows',
        label: `${f.check} (${flows.length} flows)`,
        ids: flows.map((x) => x.id),
      });
    }
  });
  if (a.warnings.length > 0) {
    lines.push([]);
    lines.push([seg(`${a.warnings.length} input warning${a.warnings.length === 1 ? '' : 's'} — see Inputs (Tab)`, { color: 'yellow' })]);
  }
  return staticBody([], lines, selectable, targets);
}
