/**
 * `tc -s qdisc show` (every device, or `dev X`) → each queueing discipline with what it dropped. Drops by tc are
 * outside netfilter and invisible to iptables counters: a shaper's queue (tbf, htb, fq_codel…) drops on egress,
 * after tcpdump would have seen the packet leave (tcpdump sees egress after the qdisc, so the packet never shows
 * leaving); an ingress or clsact qdisc counts what its filters' policers shot, before netfilter, after tcpdump saw
 * the packet arrive.
 *
 *   qdisc tbf 8001: dev lan1 root refcnt 3 rate 2Mbit burst 16Kb lat 0us
 *    Sent 2095070 bytes 1431 pkt (dropped 78, overlimits 453 requeues 0)
 *    backlog 0b 0p requeues 0
 *   qdisc ingress ffff: dev net1 parent ffff:fff1 ----------------
 *    Sent 5200 bytes 60 pkt (dropped 12, overlimits 0 requeues 0)
 */
import type { InputWarning } from '../model/errors.js';
import type { Qdisc } from '../model/host.js';

const HEADER_RE = /^qdisc (\S+) ([0-9a-f]*:[0-9a-f]*)(?: dev (\S+))?(?: (root|ingress|parent \S+))?/;
const STATS_RE = /^Sent (\d+) bytes (\d+) pkts? \(dropped (\d+), overlimits (\d+)/;

/** A qdisc header line (for the sniffer). */
export function isQdiscHeader(line: string): boolean {
  return HEADER_RE.test(line);
}

/** A line of a qdisc's statistics or options block, under its header: indented in tc's output. */
export function isQdiscDetail(raw: string): boolean {
  return /^\s+\S/.test(raw);
}

export function parseTcQdisc(text: string, file: string): { qdiscs: Qdisc[]; warnings: InputWarning[] } {
  const qdiscs: Qdisc[] = [];
  const warnings: InputWarning[] = [];
  let cur: { kind: string; handle: string; dev: string | null; parent: string; text: string; line: number } | null = null;
  const close = (stats: { sent: number; dropped: number; overlimits: number; line: number } | null): void => {
    if (cur) qdiscs.push({ dev: cur.dev, kind: cur.kind, handle: cur.handle, parent: cur.parent, text: cur.text, sentPackets: stats?.sent ?? null, dropped: stats?.dropped ?? null, overlimits: stats?.overlimits ?? null, source: { file, line: cur.line }, statsLine: stats?.line ?? null });
    cur = null;
  };
  text.split('\n').forEach((raw, k) => {
    const line = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#')) return;
    const h = HEADER_RE.exec(t);
    if (h) {
      close(null);
      cur = { kind: h[1]!, handle: h[2]!, dev: h[3] ?? null, parent: h[4] ?? '', text: withoutTrailingDashes(t), line };
      return;
    }
    const s = STATS_RE.exec(t);
    if (s && cur) {
      close({ sent: Number(s[2]), dropped: Number(s[3]), overlimits: Number(s[4]), line });
      return;
    }
    // Options and further statistics (backlog, fq_codel's counters): part of the block above; nothing else is expected.
    if (!cur && !isQdiscDetail(raw) && !/^(?:backlog|maxpacket|new_flows_len|rate|lended|tokens)\b/.test(t)) {
      warnings.push({ code: 'parse', file, line, message: `not a tc qdisc line: ${t.slice(0, 80)}` });
    }
  });
  close(null);
  return { qdiscs, warnings };
}

/**
 * The header line without the dashes some tc versions end it with (and the blanks before them). A loop rather than
 * `/\s*-+$/`, which tries every start in a run of blanks and dashes: quadratic on a hostile line.
 */
function withoutTrailingDashes(t: string): string {
  let end = t.length;
  while (end > 0 && t[end - 1] === '-') end--;
  if (end === t.length) return t;
  while (end > 0 && /\s/.test(t[end - 1]!)) end--;
  return t.slice(0, end);
}
