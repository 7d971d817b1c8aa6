import { ipv4ToString } from '../model/address.js';
import type { Counters } from '../model/source.js';
import type { SimPacket, Trace, TraceStep, Tuple } from '../model/trace.js';
import { chainLabel } from '../simulate/rule-ref.js';

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

function protoName(n: number): string {
  return PROTO[n] ?? `proto ${n}`;
}

function counters(c: Counters | null): string {
  return c ? `[${c.packets} pkts, ${c.bytes} bytes]` : '';
}

function tupleText(t: Tuple, proto: number): string {
  if (proto === 6 || proto === 17) return `${ipv4ToString(t.src)}:${t.sport} → ${ipv4ToString(t.dst)}:${t.dport}`;
  if (proto === 1 && t.sport !== 0) return `${ipv4ToString(t.src)} → ${ipv4ToString(t.dst)} (echo id ${t.sport})`;
  return `${ipv4ToString(t.src)} → ${ipv4ToString(t.dst)}`;
}

function packetText(p: SimPacket): string {
  let l4 = '';
  if (p.proto === 6 || p.proto === 17) l4 = ` ${p.sport} → ${p.dport}`;
  else if (p.proto === 1) l4 = ` type ${p.icmpType}/${p.icmpCode}${p.icmpId >= 0 ? ` id ${p.icmpId}` : ''}`;
  return `${protoName(p.proto)} ${ipv4ToString(p.src)} → ${ipv4ToString(p.dst)}${l4}, ${p.size} bytes${p.df ? ' DF' : ''}, ${p.state}${p.mark ? `, mark 0x${p.mark.toString(16)}` : ''}, in ${p.ingress}`;
}

function where(s: TraceStep): string {
  if (s.table && s.chain) return chainLabel(s.table, s.chain);
  return s.stage;
}

/**
 * A trace as a firewall packet tracer prints it: every step with the rule's file:line, text and counters, the
 * NAT before → after, what was assumed, and the disposition last.
 */
export function renderTraceText(trace: Trace): string {
  const out: string[] = [];
  out.push(`packet    ${packetText(trace.packet)}`);
  out.push('');
  const w = Math.max(12, ...trace.steps.map((s) => where(s).length));
  const v = Math.max(8, ...trace.steps.map((s) => s.verdict.length));
  trace.steps.forEach((s, i) => {
    const n = String(i + 1).padStart(3);
    const flag = s.unsure ? '?' : ' ';
    out.push(`${n}${flag} ${where(s).padEnd(w)}  ${s.verdict.padEnd(v)}  ${s.note}`);
    const pad = ' '.repeat(5 + w + 2 + v + 2);
    if (s.rule) {
      out.push(`${pad}${s.rule.file}:${s.rule.line}  ${s.rule.text}  ${counters(s.rule.counters)}`.trimEnd());
    } else if (s.source) {
      out.push(`${pad}${s.source.file}:${s.source.line}`);
    }
  });
  if (trace.rewrites.length > 0) {
    out.push('');
    for (const r of trace.rewrites) {
      out.push(`nat       ${r.kind.padEnd(10)} ${tupleText(r.before, trace.packet.proto)}  ⇒  ${tupleText(r.after, trace.packet.proto)}${r.portsMayChange ? '  (ports/ids may be remapped)' : ''}`);
      out.push(`          ${''.padEnd(10)} ${r.rule.file}:${r.rule.line}  ${r.rule.text}`);
    }
  }
  if (trace.mayMatch.length > 0) {
    out.push('');
    for (const mm of trace.mayMatch) {
      const p = mm.probability === null ? 'unknown chance' : `${Math.round(mm.probability * 10000) / 100}% chance`;
      out.push(`may match ${mm.target} (${p}) ${mm.rule.file}:${mm.rule.line}  ${mm.rule.text}  — ${mm.why}`);
    }
  }
  if (trace.assumptions.length > 0) {
    out.push('');
    for (const a of trace.assumptions) out.push(`assumed   ${a}`);
  }
  out.push('');
  const d = trace.disposition;
  const guess = trace.unsure ? ' (best guess: a step above is unsure)' : '';
  switch (d.kind) {
    case 'forwarded':
      out.push(
        `result    FORWARDED out ${d.egress}${d.nextHop !== null ? ` to next hop ${ipv4ToString(d.nextHop)}` : ''}: ${tupleText(d.out, trace.packet.proto)}${d.portsMayChange ? ' (source port/ICMP id may be remapped)' : ''}${guess}`,
      );
      break;
    case 'local':
      out.push(`result    LOCAL: ${tupleText(d.out, trace.packet.proto)} — ${d.note}${guess}`);
      break;
    case 'dropped': {
      const at = d.rule ? ` by ${d.rule.file}:${d.rule.line} ${d.rule.text}` : d.source ? ` (${d.source.file}:${d.source.line})` : '';
      const back = d.icmpBack ? `; ICMP type ${d.icmpBack.type} code ${d.icmpBack.code}${d.icmpBack.mtu ? ` mtu ${d.icmpBack.mtu}` : ''} goes back out ${trace.packet.ingress}` : '; nothing is sent back';
      out.push(`result    DROPPED at ${d.stage} (${d.reason})${at}: ${d.note}${back}${guess}`);
      break;
    }
    case 'unknown':
      out.push(`result    UNKNOWN: ${d.why}`);
      break;
  }
  return out.join('\n') + '\n';
}
