/**
 * `sysctl -a` / `sysctl net.ipv4` (`key = value`), `key=value`, and `grep . /proc/sys/net/ipv4/…` (`/proc/sys/…:value`).
 * Keys are stored dotted (`net.ipv4.conf.eth0.rp_filter`). In the slash form a dot inside a component (an interface
 * called `eth0.100`) stays a dot in the path but sysctl(8) prints it as a slash; we convert the same way.
 */
import type { InputWarning } from '../model/errors.js';
import type { Sysctl } from '../model/host.js';

const DOTTED_RE = /^([A-Za-z0-9_][\w\-@:]*[./][\w.\-/@:]+)\s*=\s?(.*)$/;
const PROC_RE = /^\/proc\/sys\/(\S+?):(.*)$/;

/** `net/ipv4/conf/eth0.100/forwarding` → `net.ipv4.conf.eth0/100.forwarding` (sysctl(8) convention). */
export function slashKeyToDotted(k: string): string {
  return k
    .split('/')
    .map((c) => c.replace(/\./g, '/'))
    .join('.');
}

/**
 * The `net.ipv4.conf.<iface>.<leaf>` key as sysctl(8) reads it: a dot inside the interface name (a VLAN device
 * `eth0.100`) is written as a slash (`net.ipv4.conf.eth0/100.rp_filter`), as slashKeyToDotted reads it back.
 */
export function confKey(iface: string, leaf: string): string {
  return `net.ipv4.conf.${iface.replace(/\./g, '/')}.${leaf}`;
}

export function sysctlLineMatches(line: string): boolean {
  return DOTTED_RE.test(line) || PROC_RE.test(line);
}

export function parseSysctl(text: string, file: string): { sysctls: Map<string, Sysctl>; warnings: InputWarning[] } {
  const sysctls = new Map<string, Sysctl>();
  const warnings: InputWarning[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = raw.replace(/\r$/, '').trim();
    const lineNo = k + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    // sysctl -a prints errors such as "sysctl: permission denied on key …" into the same stream with 2>&1.
    if (line.startsWith('sysctl: ')) return;
    let key: string;
    let value: string;
    const p = PROC_RE.exec(line);
    const d = p ? null : DOTTED_RE.exec(line);
    if (p) {
      key = slashKeyToDotted(p[1]!);
      value = p[2]!;
    } else if (d) {
      // `net/ipv4/ip_forward = 1` (slash form, as sysctl.conf also accepts) vs `net.ipv4.conf.eth0/100.rp_filter`.
      key = /^[a-z]+\//.test(d[1]!) ? slashKeyToDotted(d[1]!) : d[1]!;
      value = d[2]!;
    } else {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not a "key = value" line: ${line.slice(0, 80)}` });
      return;
    }
    // Multi-valued sysctls (ip_local_port_range) print tab-separated values; keep them single-spaced.
    value = value.trim().replace(/\s+/g, ' ');
    if (sysctls.has(key)) {
      warnings.push({ code: 'duplicate-sysctl', file, line: lineNo, message: `${key} given again; the last value is kept` });
    }
    sysctls.set(key, { key, value, source: { file, line: lineNo } });
  });
  return { sysctls, warnings };
}

/**
 * Leaf names that stand for one sysctl only (`cat /proc/sys/net/ipv4/ip_forward > ip_forward.txt`); per-interface
 * ones (`rp_filter`, `forwarding`) need the path that names the interface.
 */
const UNAMBIGUOUS_LEAVES: Readonly<Record<string, string>> = { ip_forward: 'net.ipv4.ip_forward' };

/**
 * The sysctl a file holding one value stands for, by its path — the one case where a snapshot file is told by
 * its name, since a lone `0` says nothing itself: a copy of /proc/sys keeps the key in its path (sosreport copies
 * the whole tree: `sosreport-…/proc/sys/net/ipv4/ip_forward`), a file named by the dotted key in its name
 * (`net.ipv4.ip_forward`, `.txt` allowed), and `ip_forward` alone can mean one key only. Null otherwise.
 */
export function sysctlKeyOfPath(path: string): string | null {
  const p = path.replace(/\\/g, '/');
  const tree = /(?:^|\/)proc\/sys\/((?:net|kernel|vm|fs)\/[^:]+)$/.exec(p);
  if (tree) return slashKeyToDotted(tree[1]!);
  const name = p.slice(p.lastIndexOf('/') + 1).replace(/\.txt$/i, '');
  if (/^(?:net|kernel|vm|fs)\.[\w\-@:/.]+\.[\w\-]+$/.test(name)) return name;
  return UNAMBIGUOUS_LEAVES[name] ?? null;
}

/** The value of a file holding one value (a /proc/sys file: one line, no key), or null. */
export function singleValue(text: string): string | null {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '');
  if (lines.length !== 1 || /[=:]/.test(lines[0]!) || lines[0]!.length > 256) return null;
  return lines[0]!.replace(/\s+/g, ' ');
}
