/**
 * `conntrack -L` and /proc/net/nf_conntrack → conntrack entries.
 *
 *   tcp      6 117 TIME_WAIT src=10.0.4.10 dst=198.51.100.29 sport=54828 dport=80 src=198.51.100.29 dst=203.0.113.71 sport=80 dport=54828 [ASSURED] mark=0 use=1
 *   ipv4     2 icmp     1 27 src=… dst=… type=8 code=0 id=20507 src=… dst=… type=0 code=0 id=20507 mark=0 zone=0 use=2
 * The first src=/dst= group is the original direction, the second the reply (its dst is the SNAT address, its src
 * the DNAT target). "[UNREPLIED]" sits between the tuples, "[ASSURED]" after them (conntrack-tools, nf_conntrack).
 * IPv6 entries are counted and skipped: the simulator models IPv4 only.
 */
import { parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { ConntrackEntry, CtTuple } from '../model/host.js';
import { protoNumber } from './protocols.js';

export const CONNTRACK_LINE_RE = /^(?:\[[A-Z]+\]\s+)?(?:ipv[46]\s+\d+\s+)?[a-z0-9-]+\s+\d+\s+(?:\d+\s+)?(?:[A-Z_]+\s+)?src=\S+\s+dst=\S+/;
const FOOTER_RE = /^conntrack v[\d.]+ \(conntrack-tools\):/;

interface TupleDraft {
  src: number;
  dst: number;
  sport: number | null;
  dport: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  icmpId: number | null;
  v6: boolean;
}

const emptyTuple = (): TupleDraft => ({ src: -1, dst: -1, sport: null, dport: null, icmpType: null, icmpCode: null, icmpId: null, v6: false });

export function parseConntrack(text: string, file: string): { entries: ConntrackEntry[]; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const entries: ConntrackEntry[] = [];
  let v6Skipped = 0;
  let firstV6Line = 0;
  text.split('\n').forEach((raw, k) => {
    const lineNo = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#') || FOOTER_RE.test(t)) return;
    const w = t.split(/\s+/);
    let i = 0;
    if (/^\[[A-Z]+\]$/.test(w[0]!)) i++; // conntrack -E event prefix
    if (w[i] === 'ipv4' || w[i] === 'ipv6') i += 2;
    const proto = w[i] ?? '';
    const protoNum = Number(w[i + 1]);
    if (!/^[a-z0-9-]+$/.test(proto) || !Number.isInteger(protoNum)) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not a conntrack entry: ${t.slice(0, 80)}` });
      return;
    }
    i += 2;
    let timeout: number | null = null;
    if (/^\d+$/.test(w[i] ?? '')) timeout = Number(w[i++]);
    let state: string | null = null;
    if (/^[A-Z_]+$/.test(w[i] ?? '')) state = w[i++]!;
    const tuples: TupleDraft[] = [];
    const flags: string[] = [];
    let mark: number | null = null;
    let bad = false;
    for (; i < w.length; i++) {
      const tok = w[i]!;
      const f = /^\[([A-Z_]+)\]$/.exec(tok);
      if (f) {
        flags.push(f[1]!);
        continue;
      }
      const eq = tok.indexOf('=');
      if (eq <= 0) continue;
      const key = tok.slice(0, eq);
      const val = tok.slice(eq + 1);
      if (key === 'src') tuples.push(emptyTuple());
      const cur = tuples[tuples.length - 1];
      if (key === 'mark') {
        mark = Number(val);
        continue;
      }
      if (cur === undefined || tuples.length > 2) continue;
      switch (key) {
        case 'src':
        case 'dst': {
          if (val.includes(':')) {
            cur.v6 = true;
            break;
          }
          const a = parseIpv4(val);
          if (a < 0) bad = true;
          cur[key] = a;
          break;
        }
        case 'sport':
        case 'dport':
        case 'type':
        case 'code':
        case 'id': {
          const n = Number(val);
          if (!Number.isInteger(n)) {
            bad = true;
            break;
          }
          if (key === 'sport') cur.sport = n;
          else if (key === 'dport') cur.dport = n;
          else if (key === 'type') cur.icmpType = n;
          else if (key === 'code') cur.icmpCode = n;
          else cur.icmpId = n;
          break;
        }
      }
    }
    if (tuples.some((x) => x.v6)) {
      v6Skipped++;
      firstV6Line ||= lineNo;
      return;
    }
    if (bad || tuples.length < 2 || tuples.some((x) => x.src < 0 || x.dst < 0)) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `cannot read the original and reply tuples: ${t.slice(0, 80)}` });
      return;
    }
    const freeze = (x: TupleDraft): CtTuple => ({
      src: x.src,
      dst: x.dst,
      sport: x.sport,
      dport: x.dport,
      icmpType: x.icmpType,
      icmpCode: x.icmpCode,
      icmpId: x.icmpId,
    });
    entries.push({
      proto,
      protoNum: Number.isInteger(protoNum) ? protoNum : protoNumber(proto),
      timeout,
      state,
      original: freeze(tuples[0]!),
      reply: freeze(tuples[1]!),
      flags,
      mark: mark !== null && Number.isFinite(mark) ? mark : null,
      text: t,
      source: { file, line: lineNo },
    });
  });
  if (v6Skipped > 0) {
    warnings.push({ code: 'ipv6-skipped', file, line: firstV6Line, message: `${v6Skipped} IPv6 conntrack entr${v6Skipped === 1 ? 'y' : 'ies'} skipped (IPv4 only)` });
  }
  return { entries, warnings };
}
