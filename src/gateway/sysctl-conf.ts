/**
 * The sysctls set at boot (sysctl.d(5)): what the running values come back to after a reboot — the founding
 * incident's `net.ipv4.ip_forward = 0` was one a reboot brought back. Read from the listings that say where each
 * setting comes from, so that they cannot be taken for `sysctl -a`'s running values:
 *   - `systemd-analyze cat-config sysctl.d`: every file in the order systemd-sysctl applies them, each under `# /path`;
 *   - `sysctl --system` (procps): `* Applying /path ...` before each file's assignments;
 *   - `grep -r . /etc/sysctl.conf /etc/sysctl.d`: `/path.conf:line`;
 *   - a configuration file whose comments name it (`# /etc/sysctl.conf - Configuration file …`, as distributions ship it).
 * Later assignments win; a key may be a glob (`net.ipv4.conf.*.rp_filter`), which an explicit assignment of the same
 * key overrides wherever it stands, and `-key` (no value) keeps a key out of the globs.
 */
import type { InputWarning } from '../model/errors.js';
import type { BootSysctl, BootSysctls } from '../model/host.js';
import { slashKeyToDotted } from './sysctl.js';

const APPLYING_RE = /^\* Applying (\/\S+) \.\.\.\s*$/;
const HEADER_RE = /^#\s*(\/\S+\.conf)\s*$/;
const GREP_RE = /^(\/\S+\.conf):(.*)$/;
// The first component holds no separator (as sysctl.ts's DOTTED_RE): one place for the first `.` or `/`, so a long line
// that is no assignment fails in one pass instead of trying every split.
const ASSIGN_RE = /^(-?)([A-Za-z0-9_*?[\]][\w\-@:*?[\]!^]*[./][\w.\-/@:*?[\]!^]+)\s*(?:=\s?(.*))?$/;

/** Whether `text` is one of the listings above (not `sysctl -a`, whose lines read the same but hold running values). */
export function isSysctlConf(text: string): boolean {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '');
  if (!lines.length) return false;
  if (lines.some((l) => APPLYING_RE.test(l))) return true;
  if (lines.filter((l) => GREP_RE.test(l)).length >= lines.length * 0.6) return true;
  const comments = lines.filter((l) => l.startsWith('#') || l.startsWith(';'));
  const rest = lines.filter((l) => !l.startsWith('#') && !l.startsWith(';'));
  const assignments = rest.filter((l) => ASSIGN_RE.test(l));
  // Distributions ship /etc/sysctl.conf all comments: a boot configuration that sets nothing is one too.
  return assignments.length >= rest.length * 0.6 && comments.some((c) => /sysctl\.(?:conf|d)\b/.test(c));
}

/** The assignments of one listing, in order, with the configuration files they come from. */
export function parseSysctlConf(text: string, file: string): { boot: BootSysctls; warnings: InputWarning[] } {
  const settings: BootSysctl[] = [];
  const confFiles: string[] = [];
  const warnings: InputWarning[] = [];
  let current = file;
  const enter = (conf: string): void => {
    current = conf;
    if (!confFiles.includes(conf)) confFiles.push(conf);
  };
  text.split('\n').forEach((raw, k) => {
    let line = raw.replace(/\r$/, '').trim();
    const lineNo = k + 1;
    const grep = GREP_RE.exec(line);
    if (grep) {
      enter(grep[1]!);
      line = grep[2]!.trim();
    }
    const header = HEADER_RE.exec(line) ?? APPLYING_RE.exec(line);
    if (header) {
      enter(header[1]!);
      return;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('sysctl: ')) return;
    const m = ASSIGN_RE.exec(line);
    if (!m) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not a "key = value" line: ${line.slice(0, 80)}` });
      return;
    }
    const key = /^[a-z]+\//.test(m[2]!) ? slashKeyToDotted(m[2]!) : m[2]!;
    settings.push({
      key,
      value: m[3] === undefined ? null : m[3].trim().replace(/\s+/g, ' '),
      optional: m[1] === '-',
      source: { file, line: lineNo },
      confFile: current,
    });
  });
  // A copy of one configuration file: the file itself.
  if (!confFiles.length) confFiles.push(file);
  return { boot: { settings, confFiles }, warnings };
}

/** Several listings as one: in the order given, as their files would be applied. */
export function joinBootSysctls(parts: readonly BootSysctls[]): BootSysctls {
  const settings: BootSysctl[] = [];
  const confFiles: string[] = [];
  for (const p of parts) {
    for (const s of p.settings) settings.push(s);
    for (const f of p.confFiles) if (!confFiles.includes(f)) confFiles.push(f);
  }
  return { settings, confFiles };
}

/** Whether a boot configuration key is a glob (`net.ipv4.conf.*.rp_filter`). */
export const isGlob = (key: string): boolean => /[*?[]/.test(key);

type GlobToken = { readonly kind: 'star' } | { readonly kind: 'one' } | { readonly kind: 'char'; readonly c: string } | { readonly kind: 'class'; readonly test: (c: string) => boolean };

/** One dotted component of a glob: `*`, `?`, `[…]` (`!` or `^` negating, `a-z` ranges), else the character itself. */
function globTokens(p: string): GlobToken[] {
  const out: GlobToken[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (out[out.length - 1]?.kind !== 'star') out.push({ kind: 'star' });
    } else if (c === '?') out.push({ kind: 'one' });
    else if (c === '[' && p.indexOf(']', i + 2) > 0) {
      const close = p.indexOf(']', i + 2);
      let body = p.slice(i + 1, close);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-' && k + 2 < body.length) {
          ranges.push([body[k]!, body[k + 2]!]);
          k += 2;
        } else ranges.push([body[k]!, body[k]!]);
      }
      out.push({ kind: 'class', test: (x) => ranges.some(([a, b]) => x >= a && x <= b) !== negate });
      i = close;
    } else out.push({ kind: 'char', c });
  }
  return out;
}

/**
 * Whether glob `pattern` matches `key`, as sysctl.d(5)'s globs do (fnmatch(3)): a wildcard never crosses a dot.
 * Matched component by component without regular expressions: a pattern of many stars (`*a*a*a…`) costs at most
 * its length times the key's, where a backtracking regular expression took minutes.
 */
function globMatches(pattern: string, key: string): boolean {
  const ps = pattern.split('.');
  const ks = key.split('.');
  if (ps.length !== ks.length) return false;
  for (let i = 0; i < ps.length; i++) if (!componentMatches(globTokens(ps[i]!), ks[i]!)) return false;
  return true;
}

function componentMatches(p: readonly GlobToken[], s: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  const one = (t: GlobToken, c: string): boolean => t.kind === 'one' || (t.kind === 'char' ? t.c === c : t.kind === 'class' && t.test(c));
  while (j < s.length) {
    const t = p[i];
    if (t !== undefined && t.kind !== 'star' && one(t, s[j]!)) {
      i++;
      j++;
    } else if (t?.kind === 'star') {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (p[i]?.kind === 'star') i++;
  return i === p.length;
}

/** Every assignment of the boot configuration that writes `key` (dotted), in order: its own and the globs that match it. */
export function settingsFor(boot: BootSysctls, key: string): BootSysctl[] {
  return boot.settings.filter((s) => s.value !== null && (s.key === key || (isGlob(s.key) && globMatches(s.key, key))));
}

/**
 * What the boot configuration sets `key` (dotted) to: the last explicit assignment of it, else the last glob that
 * matches it — unless `-key` keeps it out of the globs. Null when nothing sets it.
 */
export function bootSetting(boot: BootSysctls, key: string): BootSysctl | null {
  let glob: BootSysctl | null = null;
  let excluded = false;
  for (let i = boot.settings.length - 1; i >= 0; i--) {
    const s = boot.settings[i]!;
    if (!isGlob(s.key)) {
      if (s.key !== key) continue;
      if (s.value !== null) return s;
      excluded = true;
    } else if (glob === null && s.value !== null && globMatches(s.key, key)) glob = s;
  }
  return excluded ? null : glob;
}
