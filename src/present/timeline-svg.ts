/**
 * The report's timeline as inline SVG: one lane per interface, the capture window of each lane, the window
 * both captures share, every sampled packet as a tick coloured by its flow's disposition (requests above
 * the lane's centre line, replies below), a thin line from each packet to its copy on the other lane, a
 * hollow mark on the egress lane where a copy should have appeared and did not, and a red line where
 * forwarding was first seen to stop. Pure string building; every label is escaped.
 */
import type { Analysis, FlowDisposition } from '../model/analysis.js';
import { escapeHtml } from './escape-html.js';
import { clockNs, durationNs, isoToNs } from './format-time.js';
import { egressOf, isLost, samplePackets, type ReportFacts } from './report-facts.js';

export const DISPOSITION_COLOURS: Readonly<Record<FlowDisposition, string>> = {
  delivered: '#2e7d32',
  'stopped-at-gateway': '#c62828',
  'forwarded-untranslated': '#ef6c00',
  'translation-mismatch': '#8e24aa',
  'no-reply': '#b8860b',
  'reply-not-returned': '#d84315',
  partial: '#f57c00',
  local: '#546e7a',
  'outside-capture': '#9e9e9e',
};

const W = 1000;
const LEFT = 110;
const RIGHT = 20;
const TOP = 34;
const LANE = 78;
const AXIS = 34;

export function renderTimelineSvg(a: Analysis, facts: ReportFacts): string {
  const lanes = facts.ifaces;
  if (lanes.length === 0) return '';
  const pk = thin(samplePackets(a));
  const byFrame = new Map(pk.map((q) => [`${q.p.file}#${q.p.frame}`, q] as const));
  // The time axis spans every capture window (or the packets, when windows are unknown).
  let t0: bigint | null = null;
  let t1: bigint | null = null;
  const widen = (iso: string | null): void => {
    if (!iso) return;
    const ns = isoToNs(iso);
    if (t0 === null || ns < t0) t0 = ns;
    if (t1 === null || ns > t1) t1 = ns;
  };
  for (const w of a.capture.windows) {
    widen(w.first);
    widen(w.last);
  }
  for (const x of pk) widen(x.p.time);
  if (t0 === null || t1 === null) return '';
  const start: bigint = t0;
  const spanNs = Math.max(1, Number((t1 as bigint) - start));
  const x = (iso: string): number => LEFT + ((W - LEFT - RIGHT) * Number(isoToNs(iso) - start)) / spanNs;
  const laneY = (iface: string): number => TOP + lanes.indexOf(iface) * LANE + LANE / 2;
  const H = TOP + lanes.length * LANE + AXIS;
  const s: string[] = [];
  s.push(
    `<svg class="timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Timeline of packets per interface">`,
  );
  s.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  // Shared window.
  const ov = a.capture.overlap;
  if (ov) {
    const x0 = x(ov.first);
    const x1 = x(ov.last);
    s.push(`<rect x="${f(x0)}" y="${TOP - 14}" width="${f(Math.max(1, x1 - x0))}" height="${lanes.length * LANE + 14}" fill="#eef4fb"/>`);
    s.push(`<text x="${f(x0 + 4)}" y="${TOP - 4}" class="tl-note">window both captures share (${escapeHtml(durationNs(isoToNs(ov.last) - isoToNs(ov.first)))})</text>`);
  }
  for (const iface of lanes) {
    const y = laneY(iface);
    s.push(`<text x="${LEFT - 12}" y="${f(y + 4)}" text-anchor="end" class="tl-lane">${escapeHtml(iface)}</text>`);
    s.push(`<line x1="${LEFT}" y1="${f(y)}" x2="${W - RIGHT}" y2="${f(y)}" stroke="#cfd8dc" stroke-width="1"/>`);
    for (const w of a.capture.windows.filter((w) => w.iface === iface && w.first && w.last)) {
      const x0 = x(w.first!);
      const x1 = x(w.last!);
      s.push(`<rect x="${f(x0)}" y="${f(y - 26)}" width="${f(Math.max(1, x1 - x0))}" height="52" fill="none" stroke="#b0bec5" stroke-dasharray="3 3" rx="3"/>`);
    }
    const role = iface === a.interfaces.inside ? 'inside' : iface === a.interfaces.outside ? 'outside' : '';
    if (role) s.push(`<text x="${LEFT - 12}" y="${f(y + 18)}" text-anchor="end" class="tl-role">${role}</text>`);
  }
  // Matched copies first (underneath the ticks).
  for (const { p } of pk) {
    if (!p.match || !lanes.includes(p.match.iface) || p.iface === p.match.iface) continue;
    // Draw each pair once: from the earlier-listed lane.
    if (lanes.indexOf(p.iface) > lanes.indexOf(p.match.iface)) continue;
    const other = byFrame.get(`${p.match.file}#${p.match.frame}`);
    if (!other) continue;
    s.push(`<line x1="${f(x(p.time))}" y1="${f(laneY(p.iface))}" x2="${f(x(other.p.time))}" y2="${f(laneY(other.p.iface))}" stroke="#90a4ae" stroke-width="0.6"/>`);
  }
  for (const { flow, p } of pk) {
    if (!lanes.includes(p.iface)) continue;
    const colour = DISPOSITION_COLOURS[flow.disposition] ?? '#000';
    const px = x(p.time);
    const y = laneY(p.iface);
    const y0 = p.direction === 'request' ? y - 20 : y + 2;
    s.push(
      `<rect x="${f(px - 1)}" y="${f(y0)}" width="2.4" height="18" fill="${colour}"${p.judged ? '' : ' fill-opacity="0.45"'}><title>${escapeHtml(`${flow.id} ${flow.disposition} · ${p.iface} frame ${p.frame} · ${clockNs(p.time)} · ${p.summary}`)}</title></rect>`,
    );
    const egress = egressOf(flow, a);
    if (isLost(flow, p) && egress && lanes.includes(egress)) {
      const ey = laneY(egress);
      s.push(`<circle cx="${f(px)}" cy="${f(ey - 11)}" r="3.2" fill="#fff" stroke="${colour}" stroke-width="1.3"><title>${escapeHtml(`${flow.id}: no copy of ${p.iface} frame ${p.frame} on ${egress}`)}</title></circle>`);
    }
  }
  if (facts.stop) {
    const sx = x(facts.stop.time);
    s.push(`<line x1="${f(sx)}" y1="${TOP - 16}" x2="${f(sx)}" y2="${TOP + lanes.length * LANE}" stroke="#c62828" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    const anchorEnd = sx > W - 260;
    s.push(
      `<text x="${f(anchorEnd ? sx - 6 : sx + 6)}" y="${TOP + lanes.length * LANE - 6}" class="tl-stop"${anchorEnd ? ' text-anchor="end"' : ''}>forwarding stopped · ${escapeHtml(`${facts.stop.iface} frame ${facts.stop.frame}`)}</text>`,
    );
  }
  // Axis: about six ticks at round intervals, labelled as offsets from the first instant.
  const axisY = TOP + lanes.length * LANE + 6;
  s.push(`<line x1="${LEFT}" y1="${axisY}" x2="${W - RIGHT}" y2="${axisY}" stroke="#78909c"/>`);
  const step = niceStep(spanNs / 6);
  for (let t = 0; t <= spanNs; t += step) {
    const tx = LEFT + ((W - LEFT - RIGHT) * t) / spanNs;
    s.push(`<line x1="${f(tx)}" y1="${axisY}" x2="${f(tx)}" y2="${axisY + 5}" stroke="#78909c"/>`);
    s.push(`<text x="${f(tx)}" y="${axisY + 18}" text-anchor="middle" class="tl-axis">${t === 0 ? escapeHtml(clockNs(isoFrom(start)).slice(0, 12)) : `+${escapeHtml(durationNs(t))}`}</text>`);
  }
  s.push('</svg>');
  return s.join('\n');
}

/**
 * Keep the drawing light for big analyses: beyond MAX_TICKS packets, keep every lost packet and an even
 * share of the rest (the tick pattern, not each packet, is what the reader takes from the picture).
 */
const MAX_TICKS = 4000;
function thin<T extends { flow: Parameters<typeof isLost>[0]; p: Parameters<typeof isLost>[1] }>(pk: readonly T[]): readonly T[] {
  if (pk.length <= MAX_TICKS) return pk;
  const stride = Math.ceil(pk.length / MAX_TICKS);
  return pk.filter((q, i) => i % stride === 0 || isLost(q.flow, q.p));
}

function isoFrom(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

function niceStep(raw: number): number {
  const steps = [1e3, 1e4, 1e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8, 2e8, 5e8, 1e9, 2e9, 5e9, 1e10, 2e10, 3e10, 6e10, 12e10, 3e11, 6e11, 18e11, 36e11, 72e11, 216e11, 864e11];
  return steps.find((s) => s >= raw) ?? raw;
}

function f(n: number): string {
  return n.toFixed(1);
}
