import type { Evidence, Finding } from '../../model/analysis.js';
import type { ConntrackEntry, Sysctl } from '../../model/host.js';
import { ipv4ToString } from '../../model/address.js';
import { Proto } from '../../model/packet.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { pct, plural, stoppedFrameEvidence } from '../flow-facts.js';

/** Share of the limit from which a table that counted drops is taken for one that was full when they happened. */
const NEARLY_FULL = 0.9;

/** What the snapshot says of the conntrack table: how full it is, and whether conntrack counted or logged drops. */
interface TableFacts {
  readonly count: Sysctl | null;
  readonly max: Sysctl | null;
  /** Entries in the table: the count sysctl's, else the listing's (IPv4 entries only: a lower bound). */
  readonly entries: number | null;
  readonly limit: number | null;
  readonly full: boolean;
  readonly nearlyFull: boolean;
}

function sysctlNumber(ctx: CheckContext, ...keys: string[]): Sysctl | null {
  for (const k of keys) {
    const s = ctx.snapshot?.host.sysctls.get(k);
    if (s && /^\d+$/.test(s.value)) return s;
  }
  return null;
}

function tableFacts(ctx: CheckContext): TableFacts {
  const count = sysctlNumber(ctx, 'net.netfilter.nf_conntrack_count');
  // net.nf_conntrack_max is the same limit under its older name (still there in the initial namespace).
  const max = sysctlNumber(ctx, 'net.netfilter.nf_conntrack_max', 'net.nf_conntrack_max');
  const listed = ctx.snapshot?.host.conntrack?.length ?? null;
  const entries = count ? Number(count.value) : listed;
  const limit = max ? Number(max.value) : null;
  const full = entries !== null && limit !== null && limit > 0 && entries >= limit;
  const nearlyFull = entries !== null && limit !== null && limit > 0 && entries >= NEARLY_FULL * limit;
  return { count, max, entries, limit, full, nearlyFull };
}

/** What fills the table, from a `conntrack -L` listing: the commonest kinds of entry and the busiest source. */
function composition(entries: readonly ConntrackEntry[]): string | null {
  if (!entries.length) return null;
  const kinds = new Map<string, number>();
  const sources = new Map<number, number>();
  for (const e of entries) {
    const kind = `${e.proto}${e.state ? ` ${e.state}` : ''}${e.flags.includes('UNREPLIED') ? ' unreplied' : ''}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    sources.set(e.original.src, (sources.get(e.original.src) ?? 0) + 1);
  }
  const top = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const [src, n] = [...sources].sort((a, b) => b[1] - a[1])[0]!;
  const file = entries[0]!.source.file;
  return `${file} lists ${plural(entries.length, 'entry', 'entries')}: ${top.map(([k, c]) => `${c} ${k} (${pct(c / entries.length)})`).join(', ')}; ${n} of them from ${ipv4ToString(src)}`;
}

/**
 * Flows that stopped at the gateway although its rules and sysctls would forward them, while its conntrack table
 * is full: each new connection's first packet needs an entry, gets none (nothing to evict: early drop takes only
 * entries not yet assured) and is dropped in PREROUTING before the nat table sees it — "nf_conntrack: table full,
 * dropping packet" — while connections that have an entry pass. Confirmed by the snapshot's count at its limit;
 * likely when the kernel log says so, or when conntrack counted drops and the table is nearly full or of unknown
 * size. Drops counted by a table with room now say only that it was full at some time since boot: forward-chain-drop's
 * unexplained stop says so.
 */
function tableFullFinding(ctx: CheckContext, flows: readonly AssembledFlow[]): Finding[] {
  const stopped = flows.filter((f) => f.disposition === 'stopped-at-gateway');
  if (!stopped.length || !ctx.snapshot) return [];
  const t = tableFacts(ctx);
  const logged = ctx.snapshot.host.kernelMessages.find((m) => m.kind === 'conntrack-table-full') ?? null;
  const stats = ctx.snapshot.host.conntrackStats;
  const counted = stats !== null && (stats.drop > 0 || stats.earlyDrop > 0);
  // Drops counted (since boot) by a table nearly full now, or of unknown size: most likely it was full.
  const confidence = t.full ? 'confirmed' : logged || (counted && (t.nearlyFull || t.limit === null)) ? 'likely' : null;
  if (!confidence) return [];

  const evidence: Evidence[] = [];
  if (t.count) evidence.push(sysctlEvidence(t.count));
  if (t.max) evidence.push(sysctlEvidence(t.max));
  for (const l of logged?.lines.slice(0, 3) ?? []) evidence.push({ kind: 'log', file: l.file, line: l.line, text: l.text });
  if (stats && counted) {
    for (const l of stats.dropLines.slice(0, 2)) evidence.push({ kind: 'conntrack', file: stats.source.file, line: l.line, text: l.text });
    if (!stats.dropLines.length) evidence.push({ kind: 'conntrack', file: stats.source.file, line: stats.source.line, text: `early_drop=${stats.earlyDrop} over ${plural(stats.cpus, 'CPU')}` });
  }
  const listing = composition(ctx.snapshot.host.conntrack ?? []);
  if (listing) evidence.push({ kind: 'note', text: listing });

  // Flows that passed on entries they already had: begun before the captures (no SYN seen), or not TCP.
  const passed = ctx.flows.filter((f) => f.forwarded > 0 && f.disposition !== 'local');
  const older = passed.filter((f) => f.proto === Proto.TCP && !f.sawSyn);
  const opened = stopped.filter((f) => f.proto !== Proto.TCP || f.sawSyn).length;

  const state =
    t.entries !== null && t.limit !== null
      ? `its conntrack table holds ${t.entries.toLocaleString('en')} entries of the ${t.limit.toLocaleString('en')} it may (net.netfilter.nf_conntrack_count, nf_conntrack_max)`
      : t.entries !== null
        ? `its conntrack table holds ${t.entries.toLocaleString('en')} entries (the snapshot does not give nf_conntrack_max)`
        : 'its conntrack table was full';
  const how = t.full
    ? `${state}: each new connection's first packet finds no room for its entry and is dropped in PREROUTING, before the nat table sees it ("nf_conntrack: table full, dropping packet"), with no ICMP error back.`
    : `${state}${logged ? `, and the kernel logged "table full, dropping packet" ${plural(logged.count, 'time')}` : ''}${counted ? `; conntrack counted ${stats!.drop.toLocaleString('en')} dropped packet${stats!.drop === 1 ? '' : 's'}${stats!.earlyDrop ? ` and ${stats!.earlyDrop.toLocaleString('en')} entries evicted for room` : ''}` : ''}: new connections' first packets were dropped before the nat table saw them while it was full.`;
  const detail =
    `${plural(stopped.length, 'flow')} reached the gateway and ${stopped.length === 1 ? 'was' : 'were'} dropped although its rules and sysctls would forward ${stopped.length === 1 ? 'it' : 'them'}` +
    `${opened === stopped.length ? ` (${stopped.length === 1 ? 'a new connection' : 'all new connections'})` : ''}: ${how}` +
    (passed.length
      ? ` Connections that already had an entry pass: ${plural(passed.length, 'flow')} ${passed.length === 1 ? 'was' : 'were'} forwarded${older.length ? `, ${older.length === passed.length ? 'all' : older.length} begun before the captures` : ''}.`
      : '') +
    ' Unlike when forwarding is off, the DNAT rules do not count these packets: conntrack drops them first.';

  const limit = t.limit ?? null;
  const fixes = [
    limit
      ? `sysctl -w net.netfilter.nf_conntrack_max=${limit * 2}  # room for twice as many entries (a few hundred bytes of kernel memory each)`
      : 'sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max  # how full the table is now',
    ...(limit ? [`printf 'net.netfilter.nf_conntrack_max = ${limit * 2}\\n' > /etc/sysctl.d/99-conntrack-max.conf  # survives a reboot`] : []),
    "conntrack -L 2>/dev/null | awk '{print $1, $4}' | sort | uniq -c | sort -rn | head  # what fills it: shorten that kind's timeout (nf_conntrack_tcp_timeout_established is 5 days by default) or stop the client that opens so many",
    '# Kube-OVN: nf_conntrack_max is one limit for every namespace on the node: set it on the node that runs the gateway pod (/etc/sysctl.d/)',
    "conntrack -S; dmesg | grep -c 'table full'  # afterwards: drop= stops growing",
  ];
  return [
    finding(
      'conntrack-table-full',
      'error',
      confidence,
      'The conntrack table is full: new connections are dropped',
      detail,
      uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, stopped)], 16),
      fixes,
      stopped,
    ),
  ];
}

export const conntrackTableFull: Check = {
  id: 'conntrack-table-full',
  description:
    'New connections stop at the gateway with no rule to blame while connections it already tracks pass: its conntrack table is at nf_conntrack_max (the count in the snapshot, "table full, dropping packet" in the kernel log, drops in conntrack -S).',
  rank: 1,
  run: () => [],
  unexplained: tableFullFinding,
};
