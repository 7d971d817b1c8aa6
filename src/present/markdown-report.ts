/**
 * The postmortem as Markdown: verdict, root cause with its proof, the fix (now and persistent), a compact
 * timeline of bursts per interface, the flow table, the rules with their counters and the inputs.
 * GitHub-flavoured tables; every input-derived string is made table- and code-span-safe.
 */
import type { Analysis, Finding } from '../model/analysis.js';
import { VERSION } from '../version.js';
import { ago, clockNs, dateTimeNs, dayOf, durationNs, isoToNs, reportTime } from './format-time.js';
import {
  KUBE_OVN_SYSCTL_NOTE,
  countsText,
  flowList,
  endpoint,
  evidenceText,
  expectedText,
  natChange,
  orderedFlows,
  pct,
  reportFacts,
  headline,
  type ReportFacts,
} from './report-facts.js';

/** Beyond this many flows the table lists the affected ones first and summarises the rest. */
const MAX_FLOW_ROWS = 100;

export function renderMarkdown(analysis: Analysis, options: { readonly now?: Date } = {}): string {
  const now = options.now ?? new Date();
  const facts = reportFacts(analysis);
  const out: string[] = [];
  const head = headline(analysis);
  out.push(`# Postmortem: ${head.title.charAt(0).toLowerCase()}${head.title.slice(1)}`);
  out.push('');
  out.push(`**Verdict:** ${text(analysis.summary.sentence)}`);
  out.push('');
  // Only say how long after the capture the report was made when the clocks agree on the order.
  const lastSeen = lastPacket(analysis);
  const last = lastSeen && isoToNs(lastSeen) <= BigInt(now.getTime()) * 1_000_000n ? lastSeen : null;
  out.push(
    `Report made ${reportTime(now)}${last ? ` (${ago(last, now)} after the last captured packet)` : ''} by natlens ${text(analysis.tool.version || VERSION)}` +
      ` from ${facts.captures} capture${facts.captures === 1 ? '' : 's'} (${facts.capturePackets} packets) and ${facts.snapshots} snapshot file${facts.snapshots === 1 ? '' : 's'}` +
      `${facts.baseDir ? ` in ${code(facts.baseDir)}` : ''}.`,
  );
  out.push('');
  out.push(summaryLine(analysis, facts));
  out.push('');

  rootCauseSection(out, analysis, facts);
  timelineSection(out, analysis, facts);
  flowSection(out, analysis, facts);
  rulesSection(out, facts);
  inputsSection(out, analysis, facts);
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function summaryLine(a: Analysis, f: ReportFacts): string {
  const parts = Object.entries(a.summary.byDisposition)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([d, n]) => `${n} ${d}`);
  const loss = f.overallLoss ? `; ${f.overallLoss.lost} of ${f.overallLoss.judged} judged request packets had no copy on the other side (${pct(f.overallLoss.lost / f.overallLoss.judged)})` : '';
  return `Flows: ${a.summary.flows}${parts.length ? ` (${parts.join(', ')})` : ''}${loss}. Interfaces: inside ${code(a.interfaces.inside ?? '?')}, outside ${code(a.interfaces.outside ?? '?')} — ${text(a.interfaces.how)}.`;
}

function rootCauseSection(out: string[], a: Analysis, f: ReportFacts): void {
  out.push(f.rootCauses.length > 1 ? `## Root causes (${f.rootCauses.length}, each with its own fix)` : '## Root cause');
  out.push('');
  if (!f.rootCause) {
    out.push(a.findings.length === 0 ? 'No finding: nothing stops packets at the gateway in these captures.' : 'No error or warning finding.');
    out.push('');
  } else {
    for (const x of f.rootCauses) finding(out, x, f, '###');
  }
  if (f.otherFindings.length > 0) {
    out.push('## Other findings');
    out.push('');
    for (const x of f.otherFindings) finding(out, x, f, '###');
  }
}

function finding(out: string[], x: Finding, f: ReportFacts, h: string): void {
  out.push(`${h} ${text(x.title)}`);
  out.push('');
  out.push(`Check ${code(x.check)} · severity **${x.severity}** · confidence **${x.confidence}** · explains ${x.flows.length} flow${x.flows.length === 1 ? '' : 's'}${x.flows.length ? ` (${flowList(x.flows)})` : ''}`);
  out.push('');
  out.push(text(x.detail));
  out.push('');
  if (x.evidence.length > 0) {
    out.push('**Evidence**');
    out.push('');
    for (const e of x.evidence) {
      const t = evidenceText(e, f.rel);
      if (e.kind === 'frame') out.push(`- ${e.kind} ${code(t.where)} at ${clockNs(e.time)} on ${code(e.iface)}: ${text(e.summary)}`);
      else if (e.kind === 'note') out.push(`- ${text(t.what)}`);
      // The kind leads the line: the line's text alone after it (rules keep their table and chain).
      else out.push(`- ${e.kind} ${code(t.where)}: ${code(e.kind !== 'rule' && 'text' in e ? e.text : t.what)}`);
    }
    out.push('');
  }
  const plan = f.fixes.get(x);
  if (plan && (plan.now.length || plan.persist.length)) {
    out.push('**Fix**');
    out.push('');
    if (plan.now.length) {
      out.push('Now, on the gateway:');
      out.push('');
      fence(out, plan.now);
    }
    if (plan.persist.length) {
      out.push('Make it survive a reboot:');
      out.push('');
      fence(out, plan.persist);
    }
    if (f.sysctlFindings.has(x)) {
      out.push(`> ${text(KUBE_OVN_SYSCTL_NOTE)}`);
      out.push('');
    }
  }
}

function fence(out: string[], lines: readonly string[]): void {
  // A fence longer than any backtick run inside keeps input-derived commands from closing it.
  const longest = Math.max(2, ...lines.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))));
  const f = '`'.repeat(longest + 1);
  out.push(`${f}sh`);
  for (const l of lines) out.push(l.replace(/\r?\n/g, ' '));
  out.push(f);
  out.push('');
}

function timelineSection(out: string[], a: Analysis, f: ReportFacts): void {
  out.push('## Timeline');
  out.push('');
  const day = f.bursts[0] ? dayOf(f.bursts[0].first) : null;
  out.push(`Bursts of the sampled packets of every flow, per interface (times UTC${day ? `, ${day}` : ''}; ↑ request, ↓ reply).`);
  out.push('');
  if (f.stop) {
    out.push(
      `**Forwarding stopped** at ${clockNs(f.stop.time)}: ${code(`${f.rel(f.stop.file)} frame ${f.stop.frame}`)} (${f.stop.flow}) arrived on ${code(f.stop.iface)} and no copy left${f.stop.expectedOn ? ` by ${code(f.stop.expectedOn)}` : ''}.`,
    );
    out.push('');
  }
  if (f.bursts.length === 0) {
    out.push('No flow packets were sampled.');
    out.push('');
    return;
  }
  out.push('| Interface | From | To | Packets ↑ / ↓ | No copy | Flows | Dispositions |');
  out.push('|---|---|---|---|---|---|---|');
  for (const b of f.bursts) {
    const disp = Object.entries(b.byDisposition)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([d, n]) => `${n} ${d}`)
      .join(', ');
    out.push(`| ${cell(code(b.iface))} | ${clockNs(b.first)} | ${clockNs(b.last)} | ${b.requests} / ${b.replies} | ${b.lost || ''} | ${cell(flowList(b.flows))} | ${disp} |`);
  }
  out.push('');
}

function flowSection(out: string[], a: Analysis, f: ReportFacts): void {
  out.push('## Flows');
  out.push('');
  if (a.flows.length === 0) {
    out.push('No flow crossed the gateway in the captures.');
    out.push('');
    return;
  }
  const ifaces = f.ifaces;
  out.push(`Original → expected (what the snapshot's rules say should leave) → observed (what left). Packets per interface as request / reply; loss is the share of judged requests with no copy; latency is the median time through the gateway.`);
  out.push('');
  out.push(`| Flow | Proto | Original | Expected | Observed | Disposition | ${ifaces.map((i) => cell(code(i))).join(' | ')} | Loss | Latency |`);
  out.push(`|---|---|---|---|---|---|${ifaces.map(() => '---|').join('')}---|---|`);
  const rows = orderedFlows(a.flows);
  for (const fl of rows.slice(0, MAX_FLOW_ROWS)) {
    const how = expectedText(fl, f.rel);
    const exp = fl.expected ? `${endpoint(fl.expected, fl.proto)} (${how})` : (how ?? '?');
    const obs = fl.observed ? `${endpoint(fl.observed, fl.proto)}${fl.observed ? ` (${natChange(fl.original, fl.observed, fl.proto)})` : ''}` : 'nothing left';
    out.push(
      `| ${fl.id} | ${fl.proto} | ${cell(endpoint(fl.original, fl.proto))} | ${cell(exp)} | ${cell(obs)} | **${fl.disposition}** | ${ifaces.map((i) => countsText(fl.packets[i])).join(' | ')} | ${pct(fl.lossRate)} | ${fl.latencyNs === null ? '–' : durationNs(fl.latencyNs)} |`,
    );
  }
  if (rows.length > MAX_FLOW_ROWS) {
    out.push('');
    out.push(`${rows.length - MAX_FLOW_ROWS} more flows not listed (affected flows come first); \`natlens analyze --format json\` lists them all.`);
  }
  out.push('');
}

function rulesSection(out: string[], f: ReportFacts): void {
  out.push('## Rules');
  out.push('');
  const table = (rows: ReportFacts['fired']): void => {
    out.push('| Where | Table / chain | Rule | Counters | Flows |');
    out.push('|---|---|---|---|---|');
    for (const r of rows) {
      out.push(`| ${cell(code(`${f.rel(r.file)}:${r.line}`))} | ${cell(`${r.table} ${r.chain}`)} | ${cell(code(r.text))} | ${r.counters ? `${r.counters.packets} pkts, ${r.counters.bytes} bytes` : '–'} | ${cell(flowList(r.flows))} |`);
    }
    out.push('');
  };
  if (f.fired.length + f.neverFired.length + f.uncounted.length === 0) {
    out.push('The snapshot holds no rule on the flows\' paths.');
    out.push('');
    return;
  }
  out.push(`### Applied (counter above zero): ${f.fired.length}`);
  out.push('');
  if (f.fired.length) table(f.fired);
  out.push(`### Never fired (counter zero): ${f.neverFired.length}`);
  out.push('');
  if (f.neverFired.length) table(f.neverFired);
  if (f.uncounted.length) {
    out.push(`### Without counters in the snapshot: ${f.uncounted.length}`);
    out.push('');
    table(f.uncounted);
  }
}

function inputsSection(out: string[], a: Analysis, f: ReportFacts): void {
  out.push('## Inputs');
  out.push('');
  if (f.baseDir) {
    out.push(`Directory: ${code(f.baseDir)}`);
    out.push('');
  }
  out.push('| File | Kind | Format | Bytes | SHA-256 | Packets | First | Last |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const i of a.inputs) {
    out.push(`| ${cell(code(f.rel(i.path)))} | ${i.kind} | ${cell(i.format)} | ${i.bytes} | ${code(i.sha256)} | ${i.kind === 'capture' ? i.packets : ''} | ${i.first ? dateTimeNs(i.first) : ''} | ${i.last ? dateTimeNs(i.last) : ''} |`);
  }
  out.push('');
  out.push('**Capture windows**');
  out.push('');
  for (const w of a.capture.windows) {
    const span = w.first && w.last ? ` (${durationNs(isoToNs(w.last) - isoToNs(w.first))}, ${w.packets} packets)` : ` (${w.packets} packets)`;
    out.push(`- ${code(w.iface)} in ${code(f.rel(w.file))}: ${w.first ? dateTimeNs(w.first) : '–'} → ${w.last ? clockNs(w.last) : '–'}${span}`);
  }
  const ov = a.capture.overlap;
  out.push(`- Window every capture covers: ${ov ? `${dateTimeNs(ov.first)} → ${clockNs(ov.last)} (${durationNs(isoToNs(ov.last) - isoToNs(ov.first))}); packets outside it are not judged` : 'none — the captures do not overlap, nothing can be judged across interfaces'}`);
  out.push(`- Clock offset of the outside capture relative to the inside one: ${a.capture.clockOffsetNs === null ? 'unknown (no packet matched across interfaces)' : durationNs(a.capture.clockOffsetNs)}`);
  out.push('');
  out.push(`**Warnings**${a.warnings.length ? '' : ': none'}`);
  out.push('');
  for (const w of a.warnings) {
    const where = w.line !== undefined ? `:${w.line}` : w.offset !== undefined ? ` (byte offset ${w.offset})` : '';
    out.push(`- ${code(w.code)} ${code(`${f.rel(w.file)}${where}`)}: ${text(w.message)}`);
  }
  if (a.warnings.length) out.push('');
}

function lastPacket(a: Analysis): string | null {
  let best: string | null = null;
  let bestNs = -1n;
  for (const w of a.capture.windows) {
    if (!w.last) continue;
    const ns = isoToNs(w.last);
    if (ns > bestNs) {
      bestNs = ns;
      best = w.last;
    }
  }
  return best;
}

/**
 * Free text from an input: no raw HTML (Markdown renderers pass inline HTML through) and no line breaks.
 * A tag or an entity needs `<` or `&…;`; escaping just those keeps `a > b` readable in the raw file.
 */
function text(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/</g, '&lt;');
}

/** An inline code span that survives backticks inside (CommonMark: a longer fence, padded). */
function code(s: string): string {
  const t = s.replace(/\r?\n/g, ' ');
  const runs = [...t.matchAll(/`+/g)].map((m) => m[0].length);
  const n = runs.length ? Math.max(...runs) + 1 : 1;
  const f = '`'.repeat(n);
  const pad = n > 1 || t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${f}${pad}${t}${pad}${f}`;
}

/** A table cell: a literal `|` would end the cell, even inside a code span (GFM). */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}
