/**
 * The postmortem as one self-contained HTML file: inline CSS and inline SVG only (no script, no external
 * font, image or style sheet), so it opens offline, can be mailed or attached to a ticket, and prints
 * cleanly (@media print). Same content as the Markdown report; every input-derived string is escaped.
 */
import type { Analysis, Evidence, Finding } from '../model/analysis.js';
import { VERSION } from '../version.js';
import { escapeHtml as e } from './escape-html.js';
import { ago, clockNs, dateTimeNs, dayOf, durationNs, isoToNs, reportTime } from './format-time.js';
import { KUBE_OVN_SYSCTL_NOTE, countsText, egressOf, endpoint, evidenceText, expectedText, flowList, headline, natChange, orderedFlows, pct, reportFacts, type ReportFacts } from './report-facts.js';
import { DISPOSITION_COLOURS, renderTimelineSvg } from './timeline-svg.js';

const MAX_FLOW_ROWS = 200;

export function renderHtml(analysis: Analysis, options: { readonly now?: Date } = {}): string {
  const now = options.now ?? new Date();
  const facts = reportFacts(analysis);
  const head = headline(analysis);
  const title = head.title;
  // Only say how long after the capture the report was made when the clocks agree on the order.
  const lastSeen = lastPacket(analysis);
  const last = lastSeen && isoToNs(lastSeen) <= BigInt(now.getTime()) * 1_000_000n ? lastSeen : null;
  const b: string[] = [];
  b.push('<!DOCTYPE html>');
  b.push('<html lang="en"><head><meta charset="utf-8">');
  b.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  b.push(`<title>natlens postmortem — ${e(title)}</title>`);
  b.push(`<style>${CSS}</style>`);
  b.push('</head><body><main>');
  b.push('<header class="doc-head">');
  b.push(`<div class="kicker">natlens postmortem${facts.baseDir ? ` · <span class="mono">${e(facts.baseDir)}</span>` : ''}</div>`);
  b.push(`<h1>${e(title)}</h1>`);
  const tone = head.kind === 'stop' ? 'bad' : head.kind;
  b.push(`<p class="verdict ${tone}"><span class="badge ${tone}">${head.badge}</span> ${e(analysis.summary.sentence)}</p>`);
  b.push(
    `<p class="meta">Report made ${e(reportTime(now))}${last ? ` — ${e(ago(last, now))} after the last captured packet` : ''} · natlens ${e(analysis.tool.version || VERSION)} · ${facts.captures} capture${facts.captures === 1 ? '' : 's'}, ${facts.capturePackets} packets · ${facts.snapshots} snapshot file${facts.snapshots === 1 ? '' : 's'}</p>`,
  );
  b.push('</header>');
  b.push(toc(facts));
  b.push(summaryCards(analysis, facts));
  b.push(rootCause(analysis, facts));
  b.push(timeline(analysis, facts));
  b.push(flowTable(analysis, facts));
  b.push(rules(facts));
  b.push(inputs(analysis, facts));
  b.push(`<footer>Made by natlens ${e(analysis.tool.version || VERSION)} on ${e(reportTime(now))}. Packet times are UTC with nanoseconds as captured; frame numbers count from 1 in each file, as Wireshark does.</footer>`);
  b.push('</main></body></html>');
  return b.join('\n') + '\n';
}

function toc(f: ReportFacts): string {
  const items: [string, string][] = [
    ['summary', 'Summary'],
    ['root-cause', f.rootCauses.length > 1 ? 'Root causes' : 'Root cause'],
    ...(f.otherFindings.length ? ([['other-findings', 'Other findings']] as [string, string][]) : []),
    ['timeline', 'Timeline'],
    ['flows', 'Flows'],
    ['rules', 'Rules'],
    ['inputs', 'Inputs'],
  ];
  return `<nav class="toc">${items.map(([id, t], i) => `<a href="#${id}">${i + 1}. ${t}</a>`).join('')}</nav>`;
}

function summaryCards(a: Analysis, f: ReportFacts): string {
  const delivered = a.summary.byDisposition.delivered ?? 0;
  const affected = a.flows.length - delivered - (a.summary.byDisposition.local ?? 0) - (a.summary.byDisposition['outside-capture'] ?? 0);
  const ov = a.capture.overlap;
  const cards: [string, string, string][] = [
    ['Flows', String(a.summary.flows), Object.entries(a.summary.byDisposition).filter(([, n]) => (n ?? 0) > 0).sort(([x], [y]) => x.localeCompare(y)).map(([d, n]) => `${n} ${d}`).join(', ') || 'none'],
    ['Affected flows', String(affected), affected ? 'did not pass the gateway as they should' : 'every judged flow passed'],
    ['Request packets lost', f.overallLoss ? pct(f.overallLoss.lost / f.overallLoss.judged) : '–', f.overallLoss ? `${f.overallLoss.lost} of ${f.overallLoss.judged} judged` : 'nothing judged'],
    ['Shared capture window', ov ? durationNs(isoToNs(ov.last) - isoToNs(ov.first)) : 'none', ov ? `${clockNs(ov.first).slice(0, 12)} → ${clockNs(ov.last).slice(0, 12)} UTC` : 'the captures do not overlap'],
  ];
  const roles = `Inside <b class="mono">${e(a.interfaces.inside ?? '?')}</b>, outside <b class="mono">${e(a.interfaces.outside ?? '?')}</b> — ${e(a.interfaces.how)}`;
  return `<section id="summary"><h2>1. Summary</h2><div class="cards">${cards
    .map(([k, v, sub]) => `<div class="card"><div class="card-k">${e(k)}</div><div class="card-v">${e(v)}</div><div class="card-s">${e(sub)}</div></div>`)
    .join('')}</div><p class="roles">${roles}</p></section>`;
}

function rootCause(a: Analysis, f: ReportFacts): string {
  const title = f.rootCauses.length > 1 ? `2. Root causes (${f.rootCauses.length}, each with its own fix)` : '2. Root cause';
  const out: string[] = [`<section id="root-cause"><h2>${title}</h2>`];
  if (!f.rootCause) {
    out.push(`<p class="none">${a.findings.length === 0 ? 'No finding: nothing stops packets at the gateway in these captures.' : 'No error or warning finding.'}</p>`);
  } else for (const x of f.rootCauses) out.push(findingHtml(x, f, true));
  out.push('</section>');
  if (f.otherFindings.length) {
    out.push('<section id="other-findings"><h2>Other findings</h2>');
    for (const x of f.otherFindings) out.push(findingHtml(x, f, false));
    out.push('</section>');
  }
  return out.join('\n');
}

function findingHtml(x: Finding, f: ReportFacts, primary: boolean): string {
  const o: string[] = [];
  o.push(`<article class="finding sev-${e(x.severity)}${primary ? ' primary' : ''}">`);
  o.push(`<h3>${e(x.title)}</h3>`);
  o.push(
    `<div class="chips"><span class="chip mono">${e(x.check)}</span><span class="chip sev sev-${e(x.severity)}">${e(x.severity)}</span><span class="chip conf-${e(x.confidence)}">${e(x.confidence)}</span><span class="chip plain">explains ${x.flows.length} flow${x.flows.length === 1 ? '' : 's'}${x.flows.length ? `: ${e(flowList(x.flows))}` : ''}</span></div>`,
  );
  o.push(`<p>${e(x.detail)}</p>`);
  if (x.evidence.length) {
    o.push('<h4>Evidence</h4><table class="evidence"><thead><tr><th>Kind</th><th>Where</th><th>What</th></tr></thead><tbody>');
    for (const ev of x.evidence) o.push(evidenceRow(ev, f));
    o.push('</tbody></table>');
  }
  const plan = f.fixes.get(x);
  if (plan && (plan.now.length || plan.persist.length)) {
    o.push('<h4>Fix</h4><div class="fix">');
    if (plan.now.length) o.push(`<div class="fix-step"><div class="fix-k">Now, on the gateway</div><pre class="cmd">${plan.now.map((c) => e(c)).join('\n')}</pre></div>`);
    if (plan.persist.length) o.push(`<div class="fix-step"><div class="fix-k">Make it survive a reboot</div><pre class="cmd">${plan.persist.map((c) => e(c)).join('\n')}</pre></div>`);
    o.push('</div>');
    if (f.sysctlFindings.has(x)) o.push(`<p class="note">${e(KUBE_OVN_SYSCTL_NOTE)}</p>`);
  }
  o.push('</article>');
  return o.join('\n');
}

function evidenceRow(ev: Evidence, f: ReportFacts): string {
  const t = evidenceText(ev, f.rel);
  if (ev.kind === 'frame') {
    return `<tr><td>frame</td><td class="mono nowrap">${e(t.where)}</td><td><span class="mono">${e(clockNs(ev.time))}</span> on <b class="mono">${e(ev.iface)}</b> — ${e(ev.summary)}</td></tr>`;
  }
  if (ev.kind === 'rule') {
    const c = ev.counters ? `<span class="counter${ev.counters.packets === 0 ? ' zero' : ''}">${ev.counters.packets} pkts · ${ev.counters.bytes} B</span>` : '';
    return `<tr><td>rule</td><td class="mono nowrap">${e(t.where)}</td><td><span class="muted">${e(ev.table)} ${e(ev.chain)}</span> <code>${e(ev.text)}</code> ${c}</td></tr>`;
  }
  if (ev.kind === 'sysctl') return `<tr><td>sysctl</td><td class="mono nowrap">${e(t.where)}</td><td><code>${e(ev.key)} = ${e(ev.value)}</code>${ev.boot ? ` <span class="muted">set at boot by ${e(ev.boot)}</span>` : ''}</td></tr>`;
  if (ev.kind === 'note') return `<tr><td>note</td><td></td><td>${e(ev.text)}</td></tr>`;
  // The kind has its own column: the line's text alone beside it.
  const what = 'text' in ev ? ev.text : t.what;
  return `<tr><td>${e(ev.kind)}</td><td class="mono nowrap">${e(t.where)}</td><td><code>${e(what)}</code></td></tr>`;
}

function timeline(a: Analysis, f: ReportFacts): string {
  const o: string[] = ['<section id="timeline"><h2>3. Timeline</h2>'];
  const day = f.bursts[0] ? dayOf(f.bursts[0].first) : null;
  o.push(`<p>Sampled packets of every flow, one lane per interface${day ? ` (UTC, ${e(day)})` : ''}. Ticks above a lane's line are requests, below are replies, coloured by the flow's disposition; grey lines join a packet to its copy on the other interface; a hollow circle marks where a copy should have left and did not. Faded ticks lie outside the window both captures share and are not judged.</p>`);
  if (f.stop) {
    o.push(`<p class="stop"><b>Forwarding stopped</b> at <span class="mono">${e(clockNs(f.stop.time))}</span>: <span class="mono">${e(f.rel(f.stop.file))}</span> frame ${f.stop.frame} (${e(f.stop.flow)}) arrived on <b class="mono">${e(f.stop.iface)}</b> and no copy left${f.stop.expectedOn ? ` by <b class="mono">${e(f.stop.expectedOn)}</b>` : ''}.</p>`);
  }
  o.push(`<figure class="tl">${renderTimelineSvg(a, f)}</figure>`);
  const used = new Set(a.flows.map((x) => x.disposition));
  o.push(`<div class="legend">${[...used].sort().map((d) => `<span><i style="background:${DISPOSITION_COLOURS[d]}"></i>${e(d)}</span>`).join('')}${f.stop ? '<span><i class="hollow"></i>missing copy</span><span><i class="stopline"></i>forwarding stopped</span>' : ''}</div>`);
  if (f.bursts.length) {
    o.push('<table class="bursts"><thead><tr><th>Interface</th><th>From</th><th>To</th><th class="num">Requests</th><th class="num">Replies</th><th class="num">No copy</th><th>Flows</th><th>Dispositions</th></tr></thead><tbody>');
    for (const x of f.bursts) {
      const disp = Object.entries(x.byDisposition).sort(([p], [q]) => p.localeCompare(q)).map(([d, n]) => `${n} ${e(d)}`).join(', ');
      o.push(`<tr><td class="mono">${e(x.iface)}</td><td class="mono">${e(clockNs(x.first))}</td><td class="mono">${e(clockNs(x.last))}</td><td class="num">${x.requests}</td><td class="num">${x.replies}</td><td class="num${x.lost ? ' bad' : ''}">${x.lost || ''}</td><td>${e(flowList(x.flows))}</td><td>${disp}</td></tr>`);
    }
    o.push('</tbody></table>');
  }
  o.push('</section>');
  return o.join('\n');
}

function flowTable(a: Analysis, f: ReportFacts): string {
  const o: string[] = ['<section id="flows"><h2>4. Flows</h2>'];
  if (a.flows.length === 0) {
    o.push('<p class="none">No flow crossed the gateway in the captures.</p></section>');
    return o.join('\n');
  }
  o.push('<p>Original (as the first packet arrived) → expected (what the snapshot\'s rules say should leave) → observed (what left). Packets per interface as requests / replies; loss is the share of judged requests with no copy; latency is the median time through the gateway.</p>');
  o.push(`<table class="flows"><thead><tr><th>Flow</th><th>Original</th><th>Expected</th><th>Observed</th><th>Disposition</th>${f.ifaces.map((i) => `<th class="num mono">${e(i)}</th>`).join('')}<th class="num">Loss</th><th class="num">Latency</th></tr></thead><tbody>`);
  const rows = orderedFlows(a.flows);
  for (const fl of rows.slice(0, MAX_FLOW_ROWS)) {
    const how = expectedText(fl, f.rel);
    const exp = fl.expected
      ? `<span class="mono">${e(endpoint(fl.expected, fl.proto))}</span><div class="sub">${e(how ?? '')}</div>`
      : how
        ? `<span class="muted">${e(how)}</span>`
        : '<span class="muted">unknown</span>';
    const obs = fl.observed ? `<span class="mono">${e(endpoint(fl.observed, fl.proto))}</span><div class="sub">${e(natChange(fl.original, fl.observed, fl.proto))}</div>` : '<span class="muted">nothing left</span>';
    const colour = DISPOSITION_COLOURS[fl.disposition];
    o.push(
      `<tr><td class="mono">${e(fl.id)}<div class="sub">${e(fl.proto)}</div></td><td><span class="mono">${e(endpoint(fl.original, fl.proto))}</span><div class="sub">in on ${e(fl.ingress)}${egressOf(fl, a) ? `, ${fl.egress ? 'out' : 'should leave'} by ${e(egressOf(fl, a)!)}` : ''}</div></td><td>${exp}</td><td>${obs}</td><td><span class="disp" style="border-color:${colour};color:${colour}">${e(fl.disposition)}</span></td>${f.ifaces
        .map((i) => `<td class="num mono">${e(countsText(fl.packets[i]))}</td>`)
        .join('')}<td class="num">${e(pct(fl.lossRate))}</td><td class="num">${fl.latencyNs === null ? '–' : e(durationNs(fl.latencyNs))}</td></tr>`,
    );
  }
  o.push('</tbody></table>');
  if (rows.length > MAX_FLOW_ROWS) o.push(`<p class="muted">${rows.length - MAX_FLOW_ROWS} more flows not listed (affected flows come first); <code>natlens analyze --format json</code> lists them all.</p>`);
  o.push('</section>');
  return o.join('\n');
}

function rules(f: ReportFacts): string {
  const o: string[] = ['<section id="rules"><h2>5. Rules</h2>'];
  const table = (rows: ReportFacts['fired'], cls: string): void => {
    o.push(`<table class="rules ${cls}"><thead><tr><th>Where</th><th>Chain</th><th>Rule</th><th class="num">Packets</th><th class="num">Bytes</th><th>Flows</th></tr></thead><tbody>`);
    for (const r of rows) {
      o.push(
        `<tr><td class="mono nowrap">${e(`${f.rel(r.file)}:${r.line}`)}</td><td class="nowrap"><span class="muted">${e(r.table)}</span> ${e(r.chain)}</td><td><code>${e(r.text)}</code></td><td class="num">${r.counters ? r.counters.packets : '–'}</td><td class="num">${r.counters ? r.counters.bytes : '–'}</td><td>${e(flowList(r.flows))}</td></tr>`,
      );
    }
    o.push('</tbody></table>');
  };
  if (f.fired.length + f.neverFired.length + f.uncounted.length === 0) {
    o.push('<p class="none">The snapshot holds no rule on the flows\' paths.</p>');
  } else {
    o.push(`<h3>Applied — counter above zero (${f.fired.length})</h3>`);
    if (f.fired.length) table(f.fired, 'fired');
    o.push(`<h3>Never fired — counter zero (${f.neverFired.length})</h3>`);
    if (f.neverFired.length) table(f.neverFired, 'silent');
    if (f.uncounted.length) {
      o.push(`<h3>Without counters in the snapshot (${f.uncounted.length})</h3>`);
      table(f.uncounted, 'uncounted');
    }
  }
  o.push('</section>');
  return o.join('\n');
}

function inputs(a: Analysis, f: ReportFacts): string {
  const o: string[] = ['<section id="inputs"><h2>6. Inputs</h2>'];
  if (f.baseDir) o.push(`<p>Directory <span class="mono">${e(f.baseDir)}</span></p>`);
  o.push('<table class="inputs"><thead><tr><th>File</th><th>Kind</th><th>Format</th><th class="num">Bytes</th><th>SHA-256</th><th class="num">Packets</th><th>First</th><th>Last</th></tr></thead><tbody>');
  for (const i of a.inputs) {
    o.push(
      `<tr class="${e(i.kind)}"><td class="mono">${e(f.rel(i.path))}</td><td>${e(i.kind)}</td><td>${e(i.format)}</td><td class="num">${i.bytes}</td><td class="mono hash">${e(i.sha256)}</td><td class="num">${i.kind === 'capture' ? i.packets : ''}</td><td class="mono nowrap">${i.first ? e(clockNs(i.first)) : ''}</td><td class="mono nowrap">${i.last ? e(clockNs(i.last)) : ''}</td></tr>`,
    );
  }
  o.push('</tbody></table>');
  o.push('<h3>Capture windows</h3><ul class="windows">');
  for (const w of a.capture.windows) {
    const span = w.first && w.last ? ` (${e(durationNs(isoToNs(w.last) - isoToNs(w.first)))}, ${w.packets} packets)` : ` (${w.packets} packets)`;
    o.push(`<li><b class="mono">${e(w.iface)}</b> in <span class="mono">${e(f.rel(w.file))}</span>: <span class="mono">${w.first ? e(dateTimeNs(w.first)) : '–'}</span> → <span class="mono">${w.last ? e(clockNs(w.last)) : '–'}</span>${span}</li>`);
  }
  const ov = a.capture.overlap;
  o.push(`<li>Window every capture covers: ${ov ? `<span class="mono">${e(dateTimeNs(ov.first))}</span> → <span class="mono">${e(clockNs(ov.last))}</span> (${e(durationNs(isoToNs(ov.last) - isoToNs(ov.first)))}); packets outside it are not judged` : 'none — the captures do not overlap, nothing can be judged across interfaces'}</li>`);
  o.push(`<li>Clock offset of the outside capture relative to the inside one: ${a.capture.clockOffsetNs === null ? 'unknown (no packet matched across interfaces)' : e(durationNs(a.capture.clockOffsetNs))}</li>`);
  o.push('</ul>');
  o.push(`<h3>Warnings (${a.warnings.length})</h3>`);
  if (a.warnings.length === 0) o.push('<p class="muted">None.</p>');
  else {
    o.push('<ul class="warnings">');
    for (const w of a.warnings) {
      const where = w.line !== undefined ? `:${w.line}` : w.offset !== undefined ? ` (byte offset ${w.offset})` : '';
      o.push(`<li><span class="chip mono">${e(w.code)}</span> <span class="mono">${e(`${f.rel(w.file)}${where}`)}</span> — ${e(w.message)}</li>`);
    }
    o.push('</ul>');
  }
  o.push('</section>');
  return o.join('\n');
}

function lastPacket(a: Analysis): string | null {
  let best: string | null = null;
  for (const w of a.capture.windows) if (w.last && (!best || isoToNs(w.last) > isoToNs(best))) best = w.last;
  return best;
}

/** System font stacks only: no web font is fetched, and the file looks right offline. */
const CSS = `
:root{--ink:#1c2733;--muted:#5f6b76;--line:#dde3e8;--soft:#f5f7f9;--bad:#c62828;--ok:#2e7d32;--warn:#b26a00;--accent:#1f4e79}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#eef1f4;color:var(--ink);font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:1180px;margin:24px auto;background:#fff;padding:36px 48px 28px;border:1px solid var(--line);border-radius:6px}
.mono,code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12.5px}
code{background:var(--soft);border:1px solid var(--line);border-radius:3px;padding:0 4px;word-break:break-word}
h1{font-size:28px;margin:4px 0 10px;letter-spacing:-.01em}
h2{font-size:19px;margin:34px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--ink)}
h3{font-size:15.5px;margin:20px 0 8px}
h4{font-size:12px;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.doc-head{border-bottom:1px solid var(--line);padding-bottom:14px}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:11.5px;color:var(--muted)}
.kicker .mono{text-transform:none;letter-spacing:0}
.verdict{font-size:16.5px;margin:8px 0;padding:12px 14px;border-left:5px solid;background:var(--soft);border-radius:0 4px 4px 0}
.verdict.bad{border-color:var(--bad);background:#fdf1f1}
.verdict.ok{border-color:var(--ok);background:#eff8f0}
.verdict.unjudged{border-color:var(--warn);background:#fdf6e3}
.badge{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.06em;padding:2px 8px;border-radius:3px;color:#fff;vertical-align:2px;margin-right:6px}
.badge.bad{background:var(--bad)}.badge.ok{background:var(--ok)}.badge.unjudged{background:var(--warn)}
.meta{color:var(--muted);font-size:12.5px;margin:6px 0 0}
.toc{display:flex;flex-wrap:wrap;gap:4px 18px;margin:14px 0 0;font-size:13px}
.toc a{color:var(--accent);text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.card{border:1px solid var(--line);border-radius:5px;padding:10px 12px;background:var(--soft)}
.card-k{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.card-v{font-size:24px;font-weight:650;margin:2px 0}
.card-s{font-size:12px;color:var(--muted)}
.roles{color:var(--muted);font-size:13px}
.finding{border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:4px;padding:4px 18px 14px;margin:10px 0 16px;break-inside:avoid}
.finding.sev-error{border-left-color:var(--bad)}.finding.sev-warning{border-left-color:var(--warn)}.finding.sev-info{border-left-color:var(--accent)}
.finding h3{font-size:17px;margin:12px 0 6px}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:6px}
.chip{display:inline-block;font-size:11.5px;padding:1px 8px;border-radius:10px;border:1px solid var(--line);background:var(--soft)}
.chip.sev-error{background:var(--bad);border-color:var(--bad);color:#fff}
.chip.sev-warning{background:var(--warn);border-color:var(--warn);color:#fff}
.chip.conf-confirmed{border-color:var(--ok);color:var(--ok);font-weight:600}
.chip.conf-likely,.chip.conf-possible{border-color:var(--warn);color:var(--warn);font-weight:600}
.chip.plain{background:none}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:var(--soft);border-bottom:1px solid #c5ced6}
td.num,th.num{text-align:right;white-space:nowrap}
td.bad{color:var(--bad);font-weight:600}
.nowrap{white-space:nowrap}
.muted{color:var(--muted)}
.sub{font-size:11.5px;color:var(--muted);margin-top:1px}
.counter{display:inline-block;font-size:11.5px;padding:0 6px;border-radius:3px;background:#e3f2e5;color:#1b5e20;white-space:nowrap}
.counter.zero{background:#fdecea;color:var(--bad)}
.fix{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.fix-k{font-size:12px;font-weight:600;margin-bottom:4px}
pre.cmd{margin:0;background:#17212b;color:#e8eef3;padding:10px 12px;border-radius:4px;white-space:pre-wrap;word-break:break-word}
.note{font-size:12.5px;background:#fff8e1;border:1px solid #f3d98b;border-radius:4px;padding:8px 12px;margin:12px 0 0}
.stop{background:#fdf1f1;border:1px solid #f3c5c5;border-radius:4px;padding:6px 12px}
figure.tl{margin:8px 0;border:1px solid var(--line);border-radius:4px;padding:6px}
svg.timeline{display:block}
.tl-lane{font:600 13px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:#1c2733}
.tl-role{font:11px sans-serif;fill:#5f6b76}
.tl-axis{font:11px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:#5f6b76}
.tl-note{font:11px sans-serif;fill:#1f4e79}
.tl-stop{font:600 11.5px sans-serif;fill:#c62828}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px;color:var(--muted);margin:4px 0 12px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.legend i.hollow{border:1.5px solid var(--bad);border-radius:50%;background:#fff}
.legend i.stopline{width:14px;height:0;border-top:2px dashed var(--bad);border-radius:0;vertical-align:3px}
.disp{display:inline-block;font-size:11.5px;font-weight:600;border:1.5px solid;border-radius:10px;padding:0 8px;white-space:nowrap}
td.hash{font-size:11px;word-break:break-all;max-width:250px}
tr.ignored td{color:var(--muted)}
ul.windows li,ul.warnings li{margin:3px 0}
.none{color:var(--muted);font-style:italic}
footer{margin-top:30px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
@media (max-width:800px){main{padding:18px}.cards{grid-template-columns:1fr 1fr}.fix{grid-template-columns:1fr}}
@media print{
  @page{size:A4;margin:14mm 12mm}
  body{background:#fff;font-size:11.5px}
  main{max-width:none;margin:0;padding:0;border:0}
  .toc{display:none}
  h2{break-after:avoid}
  table,figure,.finding,.card{break-inside:avoid}
  tr{break-inside:avoid}
  a{color:inherit;text-decoration:none}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;
