/**
 * Flow detail: expected against observed translation, the packets on the two interfaces as two lanes
 * joined where a packet and its copy were matched, and the simulator's trace (Batfish-style: steps with
 * the rule that decided each, NAT rewrites as before/after).
 */
import type { Analysis, Flow, FlowPacket, FlowEndpoint } from '../../model/analysis.js';
import { seg, padEnd, padStart, truncate, wrapText, type Line, type Seg, type Tone } from './text-line.js';
import { fmtCounters, fmtEndpoint, fmtPercent, fmtRelative, fmtTuple, baseName } from './format.js';
import { dispositionTone, severityTone } from './tones.js';
import { staticBody, type ViewBody } from './view-body.js';
import { durationNs, isoToNs } from '../format-time.js';
import { chainLabel } from '../../simulate/rule-ref.js';
import { sysctlText } from '../sysctl-text.js';

export interface LaneRow {
  readonly left: FlowPacket | null;
  readonly right: FlowPacket | null;
  /** Frame number of a copy that is matched but not among the samples. */
  readonly leftFrame: number | null;
  readonly rightFrame: number | null;
  /** The side a matched packet crossed from (requests: left, the flow's ingress; replies: right); else the packet's own side. */
  readonly from: 'left' | 'right';
  readonly matched: boolean;
  /** No copy captured, but TCP's acknowledgment proves it was forwarded. */
  readonly copyNotCaptured: boolean;
  /** One of the segments a merged arrival was cut into (segmentation offload). */
  readonly piece: boolean;
  readonly latencyNs: number | null;
  readonly judged: boolean;
}

/** The two interfaces of a flow: where it came in (left), where it should leave (right). */
export function flowLanes(a: Analysis, f: Flow): { left: string; right: string } {
  const left = f.ingress;
  let right = f.egress;
  if (!right || right === left) {
    right =
      f.samples.find((p) => p.iface !== left)?.iface ??
      Object.keys(f.packets).find((k) => k !== left) ??
      (a.interfaces.inside === left ? a.interfaces.outside : a.interfaces.inside) ??
      '?';
  }
  return { left, right };
}

const key = (iface: string, frame: number) => `${iface}#${frame}`;

/** Pair each packet with its copy: one row per crossing, in time order. */
export function laneRows(f: Flow, left: string): LaneRow[] {
  const t = (p: FlowPacket) => isoToNs(p.time) ?? 0n;
  const sorted = [...f.samples].sort((x, y) => (t(x) < t(y) ? -1 : t(x) > t(y) ? 1 : 0));
  const byKey = new Map(sorted.map((p) => [key(p.iface, p.frame), p]));
  const used = new Set<string>();
  const rows: LaneRow[] = [];
  for (const p of sorted) {
    const k = key(p.iface, p.frame);
    if (used.has(k)) continue;
    used.add(k);
    const onLeft = p.iface === left;
    // The pieces of one merged arrival (segmentation offload) after the first: the arrival is shown once, by its frame after that.
    const shown = p.offload === 'piece' && p.match !== null && used.has(key(p.match.iface, p.match.frame));
    const copy = p.match && !shown ? byKey.get(key(p.match.iface, p.match.frame)) ?? null : null;
    if (copy) used.add(key(copy.iface, copy.frame));
    const copyFrame = p.match && !copy ? p.match.frame : null;
    rows.push({
      left: onLeft ? p : copy,
      right: onLeft ? copy : p,
      leftFrame: onLeft ? null : copyFrame,
      rightFrame: onLeft ? copyFrame : null,
      // A crossing goes the flow's way for requests (in on the left lane, out on the right) and back for replies;
      // a packet without a copy stays on its own side. (The sample may be the later of the two: its copy not kept.)
      from: p.match || p.offload === 'piece' ? (p.direction === 'request' ? 'left' : 'right') : onLeft ? 'left' : 'right',
      matched: p.match !== null,
      copyNotCaptured: p.copyNotCaptured === true,
      piece: p.offload === 'piece' || copy?.offload === 'piece',
      latencyNs: p.match ? Math.abs(p.match.latencyNs) : null,
      judged: p.judged,
    });
  }
  return rows;
}

/**
 * `fw`: the width of the frame column, the longest `#frame` of the flow's rows (at least 6): a capture of a million
 * packets numbers them in seven digits, and the frame is what a reader looks up in Wireshark.
 */
function laneCell(p: FlowPacket | null, frame: number | null, base: bigint, width: number, wide: boolean, fw: number): Seg[] {
  if (!p) {
    if (frame !== null) return [seg(padEnd(`#${frame}`, width), { bold: true })];
    return [seg(' '.repeat(width))];
  }
  const rel = fmtRelative(isoToNs(p.time) - base);
  // Below ~31 columns per lane (terminals under 80 wide) the direction goes: the arrow shows it.
  const dir = width >= 31 ? ` ${p.direction === 'request' ? 'req' : 'rep'}` : '';
  const core = `${padEnd('#' + p.frame, fw)} ${padStart(rel, 10)} ttl ${padEnd(String(p.ttl), 3)}${dir}`;
  const extra = wide ? `  id ${p.ipId} len ${p.length}  ${p.summary}` : '';
  const text = padEnd(core + extra, width);
  return [seg(text.slice(0, fw), { bold: true }), seg(text.slice(fw))];
}

function joiner(r: LaneRow, width: number): Seg {
  if (!r.matched && r.copyNotCaptured) {
    // Forwarded (the far end acknowledged it), its copy missed by the capture.
    const s = r.from === 'left' ? '─ unseen ▷'.padEnd(width) : '◁ unseen ─'.padStart(width);
    return seg(truncate(s, width), { color: 'yellow' });
  }
  if (!r.matched && r.piece) {
    // A piece of a merged arrival that was not sampled: forwarded, its arrival not among the packets shown.
    const s = r.from === 'left' ? '─ piece ▷'.padEnd(width) : '◁ piece ─'.padStart(width);
    return seg(truncate(s, width), { color: 'green' });
  }
  if (!r.matched) {
    const t = r.judged ? ' no copy ' : ' not judged ';
    const s = r.from === 'left' ? `─${t}✖`.padEnd(width) : `✖${t}─`.padStart(width);
    return seg(truncate(s, width), { color: r.judged ? 'red' : 'gray', bold: r.judged });
  }
  const lat = r.latencyNs === null ? '' : ` ${durationNs(r.latencyNs)} `;
  const inner = Math.max(0, width - 3 - lat.length);
  const a = Math.floor(inner / 2);
  const body = '─'.repeat(a) + lat + '─'.repeat(inner - a);
  return seg(r.from === 'left' ? ` ${body}▶ ` : ` ◀${body} `, { color: 'green' });
}

export function laneLines(a: Analysis, f: Flow, width: number): Line[] {
  const { left, right } = flowLanes(a, f);
  const role = (i: string) => (i === a.interfaces.inside ? ' (inside)' : i === a.interfaces.outside ? ' (outside)' : '');
  const J = 14;
  const lw = Math.max(12, Math.floor((width - 2 - J) / 2));
  const wide = lw >= 60;
  const base = isoToNs(f.first);
  const lines: Line[] = [];
  lines.push([seg('Packets', { bold: true }), seg(`  ${f.samples.length} shown, time relative to the flow's first packet`, { dim: true })]);
  lines.push([seg('  '), seg(padEnd(`${left}${role(left)}  in`, lw), { underline: true }), seg(' '.repeat(J)), seg(padEnd(`${right}${role(right)}  out`, lw), { underline: true })]);
  const rows = laneRows(f, left);
  if (rows.length === 0) lines.push([seg('  no packets kept for this flow', { dim: true })]);
  let fw = 6;
  for (const r of rows) for (const p of [r.left, r.right]) if (p) fw = Math.max(fw, String(p.frame).length + 1);
  for (const r of rows) {
    lines.push([seg('  '), ...laneCell(r.left, r.leftFrame, base, lw, wide, fw), joiner(r, J), ...laneCell(r.right, r.rightFrame, base, lw, wide, fw)]);
  }
  const total = Object.values(f.packets).reduce((s, c) => s + c.request + c.reply, 0);
  if (total > f.samples.length) lines.push([seg(`  … ${total - f.samples.length} more packets not kept in the analysis`, { dim: true })]);
  return lines;
}

type Field = 'src' | 'sport' | 'dst' | 'dport';

function fieldText(e: FlowEndpoint | null, k: Field): string {
  if (!e) return '—';
  const v = e[k];
  if (v === null) return '—';
  return String(v);
}

export function translationLines(f: Flow, width: number, otherIface: string): Line[] {
  const lines: Line[] = [];
  const exp = f.expected;
  const obs = f.observed;
  const rule = exp?.rule ?? null;
  lines.push([seg('Translation', { bold: true }), seg('  expected from the snapshot, observed on the wire', { dim: true })]);
  const ruleLine = (label: string, text: string, tone: Tone | undefined) =>
    wrapText(text, width - 13).forEach((t, i) => lines.push([seg(i === 0 ? padEnd(`  ${label}`, 13) : ' '.repeat(13), { dim: true }), seg(t, { color: tone })]));
  const rewrites = f.trace?.rewrites ?? [];
  if (rule) ruleLine('NAT rule', `${baseName(rule.file)}:${rule.line} ${chainLabel(rule.table, rule.chain)}  ${rule.text}`, 'cyan');
  else if (rewrites.length > 0) {
    // The analysis did not name an expected translation, but the simulator's walk did rewrite: show those rules.
    for (const r of rewrites) ruleLine(`${r.kind} rule`, `${baseName(r.rule.file)}:${r.rule.line} ${chainLabel(r.rule.table, r.rule.chain)}  ${r.rule.text}`, 'cyan');
  } else if (exp) ruleLine('NAT rule', 'none: the rules leave this flow untranslated', undefined);
  else if (f.trace && /drop/i.test(f.trace.disposition)) ruleLine('NAT rule', 'not reached: the simulated packet is dropped before NAT completes (see the trace)', 'yellow');
  else ruleLine('NAT rule', 'unknown: the simulator could not tell', 'yellow');
  if (!exp && !obs) {
    // Nothing to compare: the original tuple and the fact that nothing left.
    lines.push([seg(padEnd('  original', 13), { dim: true }), seg(fmtEndpoint(f.original, f.proto))]);
    lines.push([seg(' '.repeat(13)), seg(`✖ nothing left by ${otherIface}`, { color: 'red', bold: true })]);
    return lines;
  }
  const cw = Math.max(10, Math.min(24, Math.floor((width - 12) / 3)));
  const icmp = f.proto === 'icmp' || f.proto === 'icmpv6';
  lines.push([seg('  ' + padEnd('', 10), { dim: true }), seg(padEnd('original', cw), { underline: true }), seg(' '), seg(padEnd('expected', cw), { underline: true }), seg(' '), seg(padEnd('observed', cw), { underline: true })]);
  const fields: [Field, string][] = [
    ['src', 'src'],
    ['sport', icmp ? 'echo id' : 'sport'],
    ['dst', 'dst'],
    ['dport', 'dport'],
  ];
  for (const [k, label] of fields) {
    if (icmp && k === 'dport') continue;
    const o = fieldText(f.original, k);
    const e = fieldText(exp, k);
    const ob = obs ? fieldText(obs, k) : '—';
    let obStyle: { color?: Tone; bold?: boolean; dim?: boolean } = {};
    let note = '';
    if (obs && exp && ob !== e) {
      const remapOk = (k === 'sport' || k === 'dport') && exp.portsMayChange;
      obStyle = remapOk ? { color: 'yellow' } : { color: 'red', bold: true };
      note = remapOk ? ' remapped (allowed)' : ' ≠ expected';
    } else if (obs && exp) obStyle = { color: 'green' };
    const eStyle = exp && e !== o ? { color: 'magenta' as Tone, bold: true } : {};
    lines.push([
      seg('  ' + padEnd(label, 10), { dim: true }),
      seg(padEnd(o, cw)),
      seg(' '),
      seg(padEnd(e + (exp && e !== o && (k === 'sport' || k === 'dport') && exp.portsMayChange ? '~' : ''), cw), eStyle),
      seg(' '),
      seg(ob, obStyle),
      seg(note, { color: obStyle.color, dim: !obStyle.bold }),
    ]);
  }
  if (!obs) lines.push([seg('  ' + padEnd('', 10)), seg(`✖ nothing left by ${otherIface}`, { color: 'red', bold: true })]);
  else if (exp && exp.portsMayChange) lines.push([seg('  ' + padEnd('', 10)), seg('~ ports / echo ids may be remapped by this rule (--random-fully or a port range)', { dim: true })]);
  return lines;
}

function verdictTone(v: string): Tone | undefined {
  if (/DROP|REJECT/.test(v)) return 'red';
  if (/DNAT|SNAT|MASQUERADE|REDIRECT/.test(v)) return 'magenta';
  if (/ACCEPT/.test(v)) return 'green';
  return undefined;
}

export function traceLines(f: Flow, width: number): Line[] {
  const lines: Line[] = [];
  const tr = f.trace;
  if (!tr) {
    lines.push([seg('Simulator trace', { bold: true }), seg('  none for this flow', { dim: true })]);
    return lines;
  }
  lines.push([seg('Simulator trace', { bold: true }), seg('  first packet → ', { dim: true }), seg(tr.disposition, { color: /drop/i.test(tr.disposition) ? 'red' : undefined, bold: true })]);
  const W1 = width >= 120 ? 26 : 20;
  const W2 = width >= 120 ? 16 : 13;
  for (const s of tr.steps) {
    const where = `${s.table && s.table !== s.stage ? s.table + ' ' : ''}${s.stage}${s.chain ? ' ' + s.chain : ''}`;
    const head: Seg[] = [seg('  '), seg(padEnd(where, W1)), seg(padEnd((s.unsure ? '? ' : '') + s.verdict, W2 - 1) + ' ', { color: s.unsure ? 'yellow' : verdictTone(s.verdict), bold: true })];
    // A short note (`→ DNAT_FILTER`) rides on the rule's line; a long one gets lines of its own.
    const shortNote = s.rule !== null && s.note.length > 0 && s.note.length <= 24;
    const detail = s.rule
      ? `${baseName(s.rule.file)}:${s.rule.line} ${fmtCounters(s.rule.counters)} ${s.rule.text}${shortNote ? `  ${s.note}` : ''}`
      : `${s.note}${s.source ? ` (${baseName(s.source.file)}:${s.source.line})` : ''}`;
    const rest = Math.max(12, width - 2 - W1 - W2);
    const wrapped = wrapText(detail, rest);
    wrapped.forEach((t, i) => lines.push(i === 0 ? [...head, seg(t, { color: s.rule ? 'cyan' : undefined })] : [seg(' '.repeat(2 + W1 + W2)), seg(t, { color: s.rule ? 'cyan' : undefined })]));
    if (s.rule && s.note && !shortNote) for (const t of wrapText(s.note, rest)) lines.push([seg(' '.repeat(2 + W1 + W2)), seg(t, { dim: true })]);
  }
  if (tr.rewrites.length > 0) {
    lines.push([seg('  NAT rewrites', { bold: true })]);
    for (const r of tr.rewrites) {
      lines.push([
        seg('  '),
        seg(padEnd(r.kind, 11), { color: 'magenta', bold: true }),
        seg(`${baseName(r.rule.file)}:${r.rule.line} `, { color: 'cyan' }),
        seg(fmtTuple(r.before, f.proto)),
        seg(' ⇒ ', { bold: true }),
        seg(fmtTuple(r.after, f.proto), { color: 'magenta' }),
        seg(r.portsMayChange ? '  (ports may change)' : '', { dim: true }),
      ]);
    }
  }
  for (const as of tr.assumptions) for (const [i, t] of wrapText(as, width - 14).entries()) lines.push([seg(i === 0 ? '  assumed     ' : '              ', { dim: true }), seg(t, { color: 'yellow' })]);
  return lines;
}

export function detailHeader(a: Analysis, f: Flow): Line[] {
  const explainedBy = a.findings.filter((x) => x.flows.includes(f.id));
  const { left, right } = flowLanes(a, f);
  const n = (c: { request: number; reply: number } | undefined) => (c ? `${c.request}+${c.reply}` : '0+0');
  const l1: Line = [seg(f.proto + ' ', { bold: true }), seg(fmtEndpoint(f.original, f.proto), { bold: true }), seg('  '), seg(f.disposition, { color: dispositionTone(f.disposition), bold: true })];
  const l2: Line = [
    seg(`${f.ingress} → ${f.egress ?? `(${right}: nothing left)`}`),
    seg(`  packets ${left} ${n(f.packets[left])}, ${right} ${n(f.packets[right])} (req+rep)`, { dim: true }),
    seg(`  loss ${fmtPercent(f.lossRate)}`, { color: (f.lossRate ?? 0) > 0 ? 'red' : undefined }),
    seg(`  latency ${f.latencyNs === null ? '—' : durationNs(f.latencyNs)}`, { dim: true }),
  ];
  const l3: Seg[] = [seg('explained by ', { dim: true })];
  if (explainedBy.length === 0) l3.push(seg('no finding', { dim: true }));
  explainedBy.forEach((x, i) => {
    if (i > 0) l3.push(seg(', '));
    l3.push(seg(x.check, { color: severityTone(x.severity), bold: true }));
  });
  l3.push(seg(`   flow ${f.id} · ${baseName(f.samples[0]?.file ?? '')}`, { dim: true }));
  return [l1, l2, l3];
}

export function buildFlowDetail(a: Analysis, f: Flow, width: number): ViewBody {
  const lines: Line[] = [...translationLines(f, width, f.egress ?? flowLanes(a, f).right), [], ...laneLines(a, f, width), [], ...traceLines(f, width)];
  if (f.evidence.length > 0) {
    lines.push([]);
    lines.push([seg('Evidence', { bold: true })]);
    for (const e of f.evidence) {
      if (e.kind === 'frame') lines.push([seg('  '), seg(`${e.file} #${e.frame}`, { color: 'cyan' }), seg(`  ${e.iface}  ${e.summary}`)]);
      else if (e.kind === 'note') lines.push([seg('  ' + e.text)]);
      else if (e.kind === 'sysctl') lines.push([seg('  '), seg(`${e.file}:${e.line}`, { color: 'cyan' }), seg(`  ${sysctlText(e)}`)]);
      else if (e.kind === 'rule') lines.push([seg('  '), seg(`${e.file}:${e.line}`, { color: 'cyan' }), seg(`  ${fmtCounters(e.counters)} ${e.text}`)]);
      else if (e.kind === 'policy') lines.push([seg('  '), seg(`${e.file}:${e.line}`, { color: 'cyan' }), seg(`  ${e.chain} policy ${e.policy}`)]);
      else lines.push([seg('  '), seg(`${e.file}:${e.line}`, { color: 'cyan' }), seg(`  ${e.text}`)]);
    }
  }
  return staticBody(detailHeader(a, f), lines);
}
