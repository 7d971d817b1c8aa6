/**
 * Times and durations as the reports show them. Packet times keep their nanoseconds (they come as
 * ISO-8601 strings with 9 fraction digits and are never turned into floats); wall-clock times of the
 * report itself are human-friendly, via date-fns. Everything is UTC so that a report reads the same
 * wherever it is opened and golden files do not depend on the machine's time zone.
 */
import { format, formatDistanceStrict } from 'date-fns';

/** `2026-11-26T09:58:42.116213000Z` → `09:58:42.116213000`. */
export function clockNs(iso: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`;
}

/** `2026-11-26`. */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** `2026-11-26 09:58:42.116213000 UTC`. */
export function dateTimeNs(iso: string): string {
  return `${dayOf(iso)} ${clockNs(iso)} UTC`;
}

/** Nanoseconds since the epoch of an ISO time with up to 9 fraction digits (exact, BigInt). */
export function isoToNs(iso: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/.exec(iso);
  if (!m) return BigInt(Date.parse(iso)) * 1_000_000n;
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Milliseconds since the epoch (for layout maths, where float precision is enough). */
export function isoToMs(iso: string): number {
  return Number(isoToNs(iso)) / 1e6;
}

/** A duration in nanoseconds, in the unit that reads best: `41 µs`, `1.2 ms`, `14.560 s`, `3 min 12 s`. */
export function durationNs(ns: number | bigint): string {
  const v = typeof ns === 'bigint' ? Number(ns) : ns;
  const sign = v < 0 ? '−' : '';
  const a = Math.abs(v);
  if (a < 1_000) return `${sign}${a} ns`;
  if (a < 1_000_000) return `${sign}${trim(a / 1_000)} µs`;
  if (a < 1_000_000_000) return `${sign}${trim(a / 1_000_000)} ms`;
  if (a < 60e9) return `${sign}${(a / 1e9).toFixed(3)} s`;
  const s = Math.round(a / 1e9);
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min ${s % 60} s`;
  return `${sign}${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function trim(x: number): string {
  // Up to three significant digits, no trailing zeros: 41 µs, 1.2 ms, 312 ms, 4.56 ms.
  const t = x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  return t.includes('.') ? t.replace(/\.?0+$/, '') : t;
}

/** The report's own time: `2026-11-26 12:04 UTC`. */
export function reportTime(d: Date): string {
  return `${format(shiftToUtc(d), 'yyyy-MM-dd HH:mm')} UTC`;
}

/** How long before `now` something happened, in words: `2 hours`, `3 days`. */
export function ago(iso: string, now: Date): string {
  return formatDistanceStrict(new Date(isoToMs(iso)), now);
}

/**
 * date-fns formats in the local time zone; shift the instant so that local fields show UTC.
 * (date-fns 4 has time-zone support only through the separate @date-fns/tz package.)
 */
function shiftToUtc(d: Date): Date {
  return new Date(d.getTime() + d.getTimezoneOffset() * 60_000);
}
