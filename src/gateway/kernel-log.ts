/**
 * The gateway's kernel log (`dmesg`, `dmesg -T`, `dmesg --time-format iso`, `journalctl -k`, /var/log/kern.log) →
 * the messages that name why the kernel dropped packets. Only those are kept; the rest of the log is read past.
 *
 *   [ 8123.456789] nf_conntrack: nf_conntrack: table full, dropping packet
 *   [Sun Dec  6 17:12:05 2026] nf_conntrack: table full, dropping packet
 *   Dec 06 17:12:05 gw-node kernel: nf_conntrack: nf_conntrack: table full, dropping packet
 */
import type { KernelMessage, KernelMessageKind } from '../model/host.js';

const PREFIXES = [
  /^\[\s*\d+\.\d+\]\s?/, // dmesg
  /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]\s?/, // dmesg -T
  // dmesg --time-format iso, rsyslog's ISO dates: a T and a zone, unlike tcpdump -tttt's "2026-12-06 17:12:05.123456 IP …".
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[,.]\d+)?(?:Z|[+-]\d\d:?\d\d)\s+(?:\S+\s+\S+?:\s)?/,
  /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+?:\s/, // journalctl, syslog: "Dec 06 17:12:05 host kernel: "
  /^(?:kern|user|daemon|syslog)\s*:\s*[a-z]+\s*:\s*/, // dmesg -x: "kern  :warn  : "
];

/** What each kind of message looks like, wherever its prefix ends. */
const MESSAGES: readonly { kind: KernelMessageKind; re: RegExp }[] = [{ kind: 'conntrack-table-full', re: /nf_conntrack: table full, dropping packet/ }];

/** Kept per kind: the first few and the last, with how many there were in all. */
const KEEP = 6;

/** Whether a line carries a kernel log prefix (for the sniffer). */
export function isKernelLogLine(line: string): boolean {
  return PREFIXES.some((re) => re.test(line));
}

export function parseKernelLog(text: string, file: string): KernelMessage[] {
  const found = new Map<KernelMessageKind, KernelMessage>();
  text.split('\n').forEach((raw, k) => {
    const t = raw.replace(/\r$/, '').trim();
    if (t === '') return;
    for (const { kind, re } of MESSAGES) {
      if (!re.test(t)) continue;
      const at = { file, line: k + 1, text: t };
      const m = found.get(kind);
      if (!m) found.set(kind, { kind, count: 1, lines: [at] });
      else {
        const lines = m.lines.length < KEEP ? [...m.lines, at] : [...m.lines.slice(0, KEEP - 1), at];
        found.set(kind, { kind, count: m.count + 1, lines });
      }
    }
  });
  return [...found.values()];
}
