/**
 * `conntrack -S` and /proc/net/stat/nf_conntrack → conntrack's own counters, summed over the CPUs. Of them, `drop`
 * counts the packets conntrack itself dropped — a full table's among them, when no entry could be evicted for a new
 * connection — and `early_drop` the entries evicted to make room for one: both say the table was full at some time;
 * `invalid` the packets it could not place in a connection (in mid-stream with no entry, out of window), which
 * `--ctstate INVALID` matches.
 *
 *   conntrack -S:  cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=14 early_drop=0 error=0 search_restart=0
 *   /proc:         entries  clashres  found  new  invalid  ignore  delete  chainlength  insert  insert_failed  drop  early_drop …
 *                  00000008  00000000  00000000 …   (hexadecimal, a row per CPU)
 */
import type { InputWarning } from '../model/errors.js';
import type { ConntrackStats } from '../model/host.js';

const CPU_LINE_RE = /^cpu=\d+\s+(?:[a-z_]+=\d+\s*)+$/;
const PROC_HEADER_RE = /^entries(?:\s+[a-z_]+)+$/;
const PROC_ROW_RE = /^[0-9a-f]{8}(?:\s+[0-9a-f]{8})+$/i;

/** A line of either form (for the sniffer): a CPU's counters or the /proc header. */
export function isConntrackStatsLine(line: string): boolean {
  return CPU_LINE_RE.test(line) || PROC_HEADER_RE.test(line) || PROC_ROW_RE.test(line);
}

export function parseConntrackStats(text: string, file: string): { stats: ConntrackStats | null; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  let header: string[] | null = null;
  let cpus = 0;
  let drop = 0;
  let earlyDrop = 0;
  let insertFailed = 0;
  let invalid = 0;
  let firstLine = 0;
  const dropLines: { line: number; text: string }[] = [];
  const invalidLines: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#')) return;
    let fields: Map<string, number>;
    if (CPU_LINE_RE.test(t)) {
      fields = new Map();
      for (const m of t.matchAll(/([a-z_]+)=(\d+)/g)) fields.set(m[1]!, Number(m[2]));
    } else if (PROC_HEADER_RE.test(t)) {
      header = t.split(/\s+/);
      return;
    } else if (PROC_ROW_RE.test(t) && header) {
      const h: string[] = header;
      fields = new Map(t.split(/\s+/).map((v, i) => [h[i] ?? `field${i}`, parseInt(v, 16)] as const));
    } else {
      warnings.push({ code: 'parse', file, line, message: `not a conntrack statistics line: ${t.slice(0, 80)}` });
      return;
    }
    cpus++;
    if (!firstLine) firstLine = line;
    const d = fields.get('drop') ?? 0;
    drop += d;
    earlyDrop += fields.get('early_drop') ?? 0;
    insertFailed += fields.get('insert_failed') ?? 0;
    if (d > 0 && dropLines.length < 4) dropLines.push({ line, text: t.replace(/\s+/g, ' ') });
    const inv = fields.get('invalid') ?? 0;
    invalid += inv;
    if (inv > 0 && invalidLines.length < 4) invalidLines.push({ line, text: t.replace(/\s+/g, ' ') });
  });
  if (!cpus) return { stats: null, warnings };
  return { stats: { cpus, drop, earlyDrop, insertFailed, invalid, dropLines, invalidLines, source: { file, line: firstLine } }, warnings };
}
