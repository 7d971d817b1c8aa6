/** Formatting of times, sizes and addresses for the terminal UI. */
import type { Counters } from '../../model/source.js';
import type { FlowEndpoint, Flow } from '../../model/analysis.js';
import type { Tuple } from '../../model/trace.js';
import { ipv4ToString } from '../../model/address.js';

/** Seconds with microsecond precision, signed: `+0.203068`. */
export function fmtRelative(ns: bigint): string {
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const sec = a / 1_000_000_000n;
  const us = (a % 1_000_000_000n) / 1000n;
  return `${neg ? '-' : '+'}${sec}.${String(us).padStart(6, '0')}`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** iptables-save's own counter notation. */
export function fmtCounters(c: Counters | null): string {
  return c ? `[${c.packets}:${c.bytes}]` : '';
}

export function fmtPercent(r: number | null): string {
  if (r === null) return '—';
  if (r > 0 && r < 0.01) return '<1%';
  return `${Math.round(r * 100)}%`;
}

/** `10.0.4.10:33118`; ICMP echo shows its id as `10.0.4.10 id 20718`; IPv6 gets brackets. */
export function fmtAddrPort(addr: string, port: number | null, proto: Flow['proto']): string {
  if (port === null) return addr;
  if (proto === 'icmp' || proto === 'icmpv6') return `${addr} id ${port}`;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function fmtEndpoint(e: FlowEndpoint, proto: Flow['proto']): string {
  return `${fmtAddrPort(e.src, e.sport, proto)} → ${fmtAddrPort(e.dst, e.dport, proto)}`;
}

/** A simulator tuple (u32 addresses); for ICMP echo `sport` is the echo id. */
export function fmtTuple(t: Tuple, proto: Flow['proto']): string {
  const icmp = proto === 'icmp' || proto === 'icmpv6';
  const port = (p: number) => (!p ? '' : icmp ? ` id ${p}` : `:${p}`);
  return `${ipv4ToString(t.src)}${port(t.sport)} → ${ipv4ToString(t.dst)}${icmp ? '' : port(t.dport)}`;
}

/** Show just the last path component: views are narrow, the Inputs view has the full path. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
