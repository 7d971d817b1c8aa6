/**
 * The Flows table: sort keys, the `/` filter and the column layout that fits 80 columns and grows with
 * the terminal. Pure functions over the analysis; FlowsView only draws what they return.
 */
import type { Flow, FlowDisposition } from '../../model/analysis.js';
import { seg, padEnd, padStart, elideMiddle, type Line, type Seg } from './text-line.js';
import { fmtAddrPort, fmtPercent } from './format.js';
import { dispositionTone } from './tones.js';
import type { OpenTarget, ViewBody } from './view-body.js';
import { durationNs } from '../format-time.js';

export const SORT_KEYS = ['disposition', 'first', 'proto', 'source', 'destination', 'packets', 'loss', 'latency'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export function nextSortKey(k: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(k) + 1) % SORT_KEYS.length]!;
}

/** Worst first: where packets stop matters more than where they pass. */
const DISPOSITION_RANK: Record<FlowDisposition, number> = {
  'stopped-at-gateway': 0,
  'forwarded-untranslated': 1,
  'translation-mismatch': 2,
  'reply-not-returned': 3,
  'no-reply': 4,
  partial: 5,
  'outside-capture': 6,
  local: 7,
  delivered: 8,
};

function ipKey(addr: string): string {
  // Dotted quads sort numerically; anything else (IPv6) sorts after, as text.
  const p = addr.split('.');
  if (p.length === 4 && p.every((x) => /^\d+$/.test(x))) return '4' + p.map((x) => x.padStart(3, '0')).join('.');
  return '6' + addr;
}

export function totalPackets(f: Flow): number {
  let n = 0;
  for (const c of Object.values(f.packets)) n += c.request + c.reply;
  return n;
}

function cmp(a: Flow, b: Flow, key: SortKey): number {
  switch (key) {
    case 'disposition':
      return (DISPOSITION_RANK[a.disposition] ?? 99) - (DISPOSITION_RANK[b.disposition] ?? 99);
    case 'first':
      return a.first < b.first ? -1 : a.first > b.first ? 1 : 0;
    case 'proto':
      return a.proto.localeCompare(b.proto);
    case 'source':
      return ipKey(a.original.src).localeCompare(ipKey(b.original.src)) || (a.original.sport ?? -1) - (b.original.sport ?? -1);
    case 'destination':
      return ipKey(a.original.dst).localeCompare(ipKey(b.original.dst)) || (a.original.dport ?? -1) - (b.original.dport ?? -1);
    case 'packets':
      return totalPackets(b) - totalPackets(a);
    case 'loss':
      return (b.lossRate ?? -1) - (a.lossRate ?? -1);
    case 'latency':
      return (b.latencyNs ?? -1) - (a.latencyNs ?? -1);
  }
}

/** Stable: ties keep the analysis' order, then first-seen time. */
export function sortFlows(flows: readonly Flow[], key: SortKey): Flow[] {
  const idx = new Map(flows.map((f, i) => [f, i]));
  return [...flows].sort((a, b) => cmp(a, b, key) || (key !== 'first' ? cmp(a, b, 'first') : 0) || idx.get(a)! - idx.get(b)!);
}

/**
 * The `/` filter: space-separated terms, all must match. A term matches a flow when it is its protocol,
 * a port (exact number, any side, original or translated), part of an address, part of the disposition,
 * or an interface name. `!term` negates.
 */
export function matchesFilter(f: Flow, query: string): boolean {
  const terms = query.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
  return terms.every((t) => {
    const neg = t.startsWith('!') && t.length > 1;
    const term = neg ? t.slice(1) : t;
    return termMatches(f, term) !== neg;
  });
}

function termMatches(f: Flow, t: string): boolean {
  if (f.proto === t) return true;
  const eps = [f.original, f.observed, f.expected].filter((e) => e !== null);
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (eps.some((e) => e!.sport === n || e!.dport === n)) return true;
  }
  if (eps.some((e) => e!.src.toLowerCase().includes(t) || e!.dst.toLowerCase().includes(t))) return true;
  if (f.disposition.includes(t)) return true;
  if (f.ingress.toLowerCase() === t || (f.egress ?? '').toLowerCase() === t) return true;
  return false;
}

export interface FlowQuery {
  readonly sort: SortKey;
  readonly filter: string;
  /** Narrowed to a finding's or a rule's flows. */
  readonly scope: { readonly label: string; readonly ids: readonly string[] } | null;
}

export function selectFlows(flows: readonly Flow[], q: FlowQuery): Flow[] {
  const ids = q.scope ? new Set(q.scope.ids) : null;
  const kept = flows.filter((f) => (!ids || ids.has(f.id)) && (q.filter === '' || matchesFilter(f, q.filter)));
  return sortFlows(kept, q.sort);
}

const isIcmp = (f: Flow) => f.proto === 'icmp' || f.proto === 'icmpv6';

/** The original tuple, longest form first; the table uses the first that fits its column. */
function originalVariants(f: Flow): string[] {
  const o = f.original;
  const src = fmtAddrPort(o.src, o.sport, f.proto);
  const dst = fmtAddrPort(o.dst, o.dport, f.proto);
  return [`${src} → ${dst}`, `${src}→${dst}`, `${o.src}→${dst}`];
}

/**
 * What left the gateway: the observed translation, else what the rules expected (marked `*`). When the
 * whole tuple does not fit, only what NAT changed: `SNAT 203.0.113.72`, `DNAT 10.0.4.11:80`.
 */
function translatedVariants(f: Flow): { texts: string[]; expectedOnly: boolean } {
  const e = f.observed ?? f.expected;
  if (!e) return { texts: ['—'], expectedOnly: false };
  const star = f.observed === null ? '*' : '';
  const full = `${fmtAddrPort(e.src, e.sport, f.proto)} → ${fmtAddrPort(e.dst, e.dport, f.proto)}${star}`;
  const o = f.original;
  const parts: string[] = [];
  const portPart = (p: number | null, changed: boolean) => (changed && p !== null ? (isIcmp(f) ? ` id ${p}` : `:${p}`) : '');
  if (e.src !== o.src || e.sport !== o.sport) parts.push(`SNAT ${e.src}${portPart(e.sport, e.sport !== o.sport)}`);
  if (e.dst !== o.dst || e.dport !== o.dport) parts.push(`DNAT ${e.dst}${portPart(e.dport, e.dport !== o.dport)}`);
  const compact = (parts.length ? parts.join(' ') : 'untranslated') + star;
  // Narrower still: the addresses NAT changed, without ports or echo ids.
  const addrs: string[] = [];
  if (e.src !== o.src) addrs.push(`SNAT ${e.src}`);
  if (e.dst !== o.dst) addrs.push(`DNAT ${e.dst}`);
  const texts = [full, compact];
  if (addrs.length) texts.push(addrs.join(' ') + star);
  return { texts, expectedOnly: f.observed === null };
}

interface Column {
  readonly id: string;
  readonly title: string;
  readonly min: number;
  readonly ideal: number;
  /** Lower goes first when the terminal is narrow. */
  readonly keep: number;
  /** Lower grows first when there is room. */
  readonly grow: number;
  readonly right?: boolean;
  /** Text variants, longest first, in one style. */
  cell(f: Flow): { readonly texts: readonly string[]; readonly style?: Omit<Seg, 'text'> };
}

const DISPOSITION_SHORT: Record<string, string> = {
  'stopped-at-gateway': 'stopped',
  'forwarded-untranslated': 'untranslated',
  'translation-mismatch': 'mismatch',
  'reply-not-returned': 'reply-lost',
  'outside-capture': 'outside',
};

function sidesText(f: Flow): string {
  const inC = f.packets[f.ingress];
  const outC = f.egress ? f.packets[f.egress] : undefined;
  const n = (c: { request: number; reply: number } | undefined) => (c ? c.request + c.reply : 0);
  return `${n(inC)}/${n(outC)}`;
}

const COLUMNS: readonly Column[] = [
  { id: 'proto', title: 'proto', min: 5, ideal: 5, keep: 9, grow: 5, cell: (f) => ({ texts: [f.proto] }) },
  { id: 'original', title: 'original', min: 26, ideal: 44, keep: 10, grow: 0, cell: (f) => ({ texts: originalVariants(f) }) },
  {
    id: 'translated',
    title: 'translated',
    min: 18,
    ideal: 46,
    keep: 6,
    grow: 1,
    cell: (f) => {
      const t = translatedVariants(f);
      return { texts: t.texts, style: t.expectedOnly ? { dim: true } : {} };
    },
  },
  { id: 'ifaces', title: 'in→out', min: 9, ideal: 13, keep: 5, grow: 3, cell: (f) => ({ texts: [`${f.ingress}→${f.egress ?? '—'}`] }) },
  { id: 'disposition', title: 'disposition', min: 12, ideal: 22, keep: 10, grow: 2, cell: (f) => ({ texts: [f.disposition, DISPOSITION_SHORT[f.disposition] ?? f.disposition], style: { color: dispositionTone(f.disposition) } }) },
  { id: 'sides', title: 'in/out', min: 7, ideal: 11, keep: 4, grow: 6, right: true, cell: (f) => ({ texts: [sidesText(f)] }) },
  { id: 'loss', title: 'loss', min: 4, ideal: 5, keep: 7, grow: 7, right: true, cell: (f) => ({ texts: [fmtPercent(f.lossRate)], style: { color: (f.lossRate ?? 0) > 0 ? 'red' : undefined } }) },
  { id: 'latency', title: 'latency', min: 7, ideal: 8, keep: 3, grow: 8, right: true, cell: (f) => ({ texts: [f.latencyNs === null ? '—' : durationNs(f.latencyNs)] }) },
];

export interface ColumnLayout {
  readonly columns: readonly (Column & { width: number })[];
}

/** Drop the least needed columns until the minimums fit, then share the rest up to each ideal. */
export function layoutColumns(width: number): ColumnLayout {
  const GAP = 1;
  let cols = [...COLUMNS];
  const need = (cs: readonly Column[]) => cs.reduce((s, c) => s + c.min, 0) + GAP * (cs.length - 1) + GUTTER;
  while (cols.length > 2 && need(cols) > width) {
    const drop = cols.reduce((lo, c) => (c.keep < lo.keep ? c : lo));
    cols = cols.filter((c) => c !== drop);
  }
  const widths = cols.map((c) => c.min);
  let spare = width - need(cols);
  // Grow the address columns first (they are what people read), then the rest.
  const order = [...cols.keys()].sort((x, y) => cols[x]!.grow - cols[y]!.grow);
  for (const i of order) {
    const add = Math.min(spare, cols[i]!.ideal - widths[i]!);
    if (add > 0) {
      widths[i]! += add;
      spare -= add;
    }
  }
  return { columns: cols.map((c, i) => ({ ...c, width: widths[i]! })) };
}

/** Room for the selection pointer. */
const GUTTER = 1;

function cellText(c: Column & { width: number }, f: Flow): Seg {
  const { texts, style } = c.cell(f);
  const text = texts.find((t) => t.length <= c.width) ?? elideMiddle(texts[texts.length - 1]!, c.width);
  return { ...style, text: c.right ? padStart(text, c.width) : padEnd(text, c.width) };
}

export function buildFlowTable(flows: readonly Flow[], q: FlowQuery, width: number): ViewBody & { readonly rows: readonly Flow[] } {
  const rows = selectFlows(flows, q);
  const layout = layoutColumns(width);
  const head: Seg[] = [seg(' '.repeat(GUTTER))];
  layout.columns.forEach((c, i) => {
    if (i > 0) head.push(seg(' '));
    const sorted = sortColumn(q.sort) === c.id;
    // The sort mark only where it fits; the underline says it anyway.
    const title = sorted && c.title.length + 2 <= c.width ? `${c.title} ▾` : c.title;
    head.push(seg(c.right ? padStart(title, c.width) : padEnd(title, c.width), { bold: true, underline: sorted }));
  });
  const header: Line[] = [head];
  const selectable = rows.map((_, i) => i);
  return {
    rows,
    header,
    size: rows.length,
    selectable,
    line(i: number): Line {
      const f = rows[i];
      if (!f) return [];
      const out: Seg[] = [seg(' '.repeat(GUTTER))];
      layout.columns.forEach((c, k) => {
        if (k > 0) out.push(seg(' '));
        out.push(cellText(c, f));
      });
      return out;
    },
    open(k: number): OpenTarget | null {
      const f = rows[k];
      return f ? { kind: 'flow', id: f.id } : null;
    },
  };
}

/** Which column shows the sort key (source/destination sort within the original column). */
function sortColumn(k: SortKey): string {
  switch (k) {
    case 'source':
    case 'destination':
      return 'original';
    case 'packets':
      return 'sides';
    case 'first':
      return '';
    default:
      return k;
  }
}

/** The line above the table: how many flows are shown, the sort, the narrowing and the filter. */
export function flowsChrome(shown: number, total: number, q: FlowQuery, editing: boolean): Line[] {
  const l: Seg[] = [seg(`${shown} of ${total} flows`, { bold: true }), seg(` · sort ${q.sort}`, { dim: true })];
  if (q.scope) l.push(seg(' · '), seg(q.scope.label, { color: 'magenta' }));
  if (q.filter || editing) l.push(seg(' · filter '), seg(q.filter || '…', { color: 'yellow', bold: true }));
  if (shown === 0 && total > 0) l.push(seg('  (nothing matches — c clears)', { color: 'yellow' }));
  else l.push(seg('   * expected by the rules, nothing seen leaving', { dim: true }));
  return [l];
}
