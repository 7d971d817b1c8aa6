import type { Analysis, Evidence, Flow, FlowEndpoint } from '../model/analysis.js';
import { chainLabel } from '../simulate/rule-ref.js';
import { sysctlText } from './sysctl-text.js';

/** `10.0.4.10:54824` / `10.0.4.10 id 20507` / `10.0.4.10`. */
export function endpointText(e: FlowEndpoint, side: 'src' | 'dst', proto: Flow['proto']): string {
  const addr = side === 'src' ? e.src : e.dst;
  const port = side === 'src' ? e.sport : e.dport;
  if (proto === 'icmp') return side === 'src' && port !== null ? `${addr} id ${port}` : addr;
  return port !== null ? `${addr}:${port}` : addr;
}

export function tupleText(e: FlowEndpoint | null, proto: Flow['proto']): string {
  if (!e) return '—';
  return `${endpointText(e, 'src', proto)} → ${endpointText(e, 'dst', proto)}`;
}

/** One evidence item in one line: where it is, then what it says. */
export function evidenceText(e: Evidence): string {
  switch (e.kind) {
    case 'frame':
      return `${e.file} frame ${e.frame} (${e.iface}, ${e.time.slice(11, 29)}): ${e.summary}`;
    case 'rule':
      return `${e.file}:${e.line} ${chainLabel(e.table, e.chain, '/')}${e.counters ? ` [${e.counters.packets} pkts, ${e.counters.bytes} bytes]` : ''}: ${e.text}`;
    case 'policy':
      return `${e.file}:${e.line} ${chainLabel(e.table, e.chain, '/')} policy ${e.policy}${e.counters ? ` [${e.counters.packets} pkts, ${e.counters.bytes} bytes]` : ''}`;
    case 'sysctl':
      return `${e.file}:${e.line} ${sysctlText(e)}`;
    case 'note':
      return e.text;
    default:
      return `${e.file}:${e.line} ${e.text}`;
  }
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width - indent.length) {
      lines.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function latencyText(ns: number | null): string {
  if (ns === null) return '—';
  if (ns < 1000) return `${ns} ns`;
  if (ns < 1e6) return `${Math.round(ns / 100) / 10} µs`;
  return `${Math.round(ns / 1e5) / 10} ms`;
}

/** Warnings of one kind (code) about one file, shown before the rest are counted. */
const WARNINGS_SHOWN = 20;

/** A finding's flows, the first FLOW_IDS of them: a cause that explains 97,000 flows does not print a line of 700 KB. */
const FLOW_IDS = 40;

function flowIds(ids: readonly string[]): string {
  if (ids.length <= FLOW_IDS) return ids.join(' ');
  return `${ids.slice(0, FLOW_IDS).join(' ')} … and ${(ids.length - FLOW_IDS).toLocaleString('en')} more (--format json lists them all)`;
}

/** The default CLI output: verdict, findings with evidence and fix, the flow table, inputs. */
export function renderText(a: Analysis, width = 100): string {
  const out: string[] = [];
  out.push(`natlens ${a.tool.version}`);
  out.push('');
  out.push(wrap(`VERDICT: ${a.summary.sentence}`, width, ''));
  out.push('');
  if (a.findings.length) {
    out.push('FINDINGS');
    a.findings.forEach((f, i) => {
      out.push(`${i + 1}. [${f.severity}, ${f.confidence}] ${f.check} — ${f.title}`);
      out.push(wrap(f.detail, width, '   '));
      if (f.evidence.length) {
        out.push('   Evidence:');
        for (const e of f.evidence) out.push(`     - ${evidenceText(e)}`);
      }
      if (f.fix.length) {
        out.push('   Fix:');
        for (const x of f.fix) out.push(`     $ ${x}`);
      }
      if (f.flows.length) out.push(`   Flows: ${flowIds(f.flows)}`);
      out.push('');
    });
  } else {
    out.push('FINDINGS: none');
    out.push('');
  }
  out.push(`FLOWS (${a.flows.length})`);
  if (a.flows.length) {
    const rows = a.flows.map((f) => {
      const translated = f.observed ? tupleText(f.observed, f.proto) : f.expected ? `(expected ${tupleText(f.expected, f.proto)})` : '—';
      const counts = Object.entries(f.packets)
        .map(([i, c]) => `${i} ${c.request}/${c.reply}`)
        .join(', ');
      return [
        f.id,
        f.proto,
        tupleText(f.original, f.proto),
        translated,
        `${f.ingress}→${f.egress ?? '?'}`,
        f.disposition,
        counts,
        f.lossRate === null ? '—' : `${Math.round(f.lossRate * 1000) / 10}%`,
        latencyText(f.latencyNs),
      ];
    });
    const head = ['id', 'proto', 'original', 'translated (observed)', 'in→out', 'disposition', 'packets req/rep', 'loss', 'latency'];
    // A loop, not Math.max(...column): a hundred thousand rows are more arguments than a call takes.
    const widths = head.map((h) => h.length);
    for (const r of rows) r.forEach((x, c) => (widths[c] = Math.max(widths[c]!, x.length)));
    out.push(head.map((h, c) => pad(h, widths[c]!)).join('  ').trimEnd());
    for (const r of rows) out.push(r.map((x, c) => pad(x, widths[c]!)).join('  ').trimEnd());
  }
  out.push('');
  out.push('INPUTS');
  for (const i of a.inputs) {
    if (i.kind === 'capture') out.push(`  ${i.path}  ${i.format}, ${i.packets} packets, ${i.interfaces.join('+') || '-'}, ${i.first ?? '-'} … ${i.last ?? '-'}`);
    else out.push(`  ${i.path}  ${i.kind === 'ignored' ? 'ignored' : i.format}`);
  }
  out.push(`  interfaces: inside ${a.interfaces.inside ?? '?'}, outside ${a.interfaces.outside ?? '?'} (${a.interfaces.how})`);
  out.push(
    `  both captures ran: ${a.capture.overlap ? `${a.capture.overlap.first} … ${a.capture.overlap.last}` : 'never at the same time'}` +
      (a.capture.clockOffsetNs !== null ? `; clock offset ${latencyText(Math.abs(a.capture.clockOffsetNs))}` : ''),
  );
  if (a.warnings.length) {
    out.push('WARNINGS');
    // A file of 300,000 lines the parser cannot read says so 300,000 times: the first few of each kind per file,
    // then how many more (all of them are in --format json).
    const shown = new Map<string, number>();
    for (const w of a.warnings) {
      const k = `${w.file}\n${w.code}`;
      const n = (shown.get(k) ?? 0) + 1;
      shown.set(k, n);
      if (n <= WARNINGS_SHOWN) out.push(`  ${w.file}${w.line !== undefined ? `:${w.line}` : w.offset !== undefined ? ` @${w.offset}` : ''}: ${w.message} [${w.code}]`);
    }
    for (const [k, n] of shown) {
      const [file, code] = k.split('\n');
      if (n > WARNINGS_SHOWN) out.push(`  ${file}: … and ${(n - WARNINGS_SHOWN).toLocaleString('en')} more [${code}] (--format json lists them all)`);
    }
  }
  return out.join('\n') + '\n';
}
