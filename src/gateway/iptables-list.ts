/**
 * `iptables -L -n -v` (also `-x`, `--line-numbers`, `-t TABLE`, and without `-v`) → Ruleset.
 *
 *   Chain PREROUTING (policy ACCEPT 9 packets, 496 bytes)
 *    pkts bytes target     prot opt in     out     source               destination
 *      13   760 DNAT_FILTER  0    --  *      *       0.0.0.0/0            0.0.0.0/0
 *       3   180 DNAT       6    --  *      *       0.0.0.0/0            203.0.113.72         tcp dpt:8080 to:10.0.4.11:80
 *
 * Without `-x`, counters above 99999 are rounded to K/M/G/T (xtables_print_num divides by 1000 with rounding).
 * The `prot` column is a name (`all`, `tcp`) in most versions and a number (`0`, `6`) in iptables 1.8.9–1.8.10.
 * The target column is empty for a rule without `-j`. The trailing text is each match's and the target's own
 * print() output; we read the ones natlens models and keep the rest as "may match".
 *
 * Several tables may follow each other in one file (`iptables -t nat -L …; iptables -t filter -L …`): a new
 * section starts at a hint line (`# Table: nat`, a pasted `iptables -t nat -L -n -v` command) or when a built-in
 * chain comes again. Without a hint the table is inferred from the built-in chains and targets.
 */
import type { InputWarning } from '../model/errors.js';
import type { Match, Ruleset, TableName, Target } from '../model/ruleset.js';
import { isRateLimit } from '../model/ruleset.js';
import type { Counters, SourceRef } from '../model/source.js';
import { LEGACY_WARNING_RE, clip } from './iptables-save.js';
import { icmpType, protoNumber } from './protocols.js';
import { parseAddr, parseMark, parsePortList, parsePortRange, parseTarget } from './rule-options.js';
import { ruleText } from './rule-text.js';
import { ALL_BUILTINS, newChain, tableHint, tablesFromSections, type ChainDraft } from './ruleset-builder.js';
import { tokenize } from './tokenize.js';

interface Section {
  hint: TableName | null;
  readonly chains: ChainDraft[];
  readonly start: SourceRef;
}

export interface IptablesListResult {
  readonly ruleset: Ruleset;
  readonly warnings: InputWarning[];
  /** False when some counter was printed rounded (K/M/G, no `-x`): reconciliation then compares loosely. */
  readonly exactCounters: boolean;
}

const CHAIN_RE = /^Chain (\S+) \((?:policy (\S+)(?: (\d+[KMGT]?) packets, (\d+[KMGT]?) bytes)?|(\d+) references?)\)\s*$/;
const UNIT: Readonly<Record<string, number>> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export function parseCount(s: string): { value: number; exact: boolean } | null {
  const m = /^(\d+)([KMGT]?)$/.exec(s);
  if (!m) return null;
  return { value: Number(m[1]) * UNIT[m[2]!]!, exact: m[2] === '' };
}

const isOpt = (s: string | undefined): boolean => s === '--' || s === '-f' || s === '!f';

export function parseIptablesList(text: string, file: string): IptablesListResult {
  const warnings: InputWarning[] = [];
  const warn = (line: number, code: string, message: string): void => {
    warnings.push({ code, file, line, message });
  };
  const sections: Section[] = [];
  let sec: Section | null = null;
  let chain: ChainDraft | null = null;
  let pendingHint: TableName | null = null;
  let columns: { num: boolean; verbose: boolean } | null = null;
  let exact = true;
  let legacyTablesPresent: SourceRef | null = null;
  let family: 4 | 6 = 4;
  /** Rule numbers `--line-numbers` printed, to check against our positions. */
  const printedNum = new Map<ChainDraft, number[]>();

  text.split('\n').forEach((raw, k) => {
    const lineNo = k + 1;
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (LEGACY_WARNING_RE.test(trimmed)) {
      legacyTablesPresent ??= { file, line: lineNo };
      return;
    }
    const cm = CHAIN_RE.exec(trimmed);
    if (cm) {
      const name = cm[1]!;
      const isBuiltin = cm[2] !== undefined;
      if (sec === null || (isBuiltin && (sec.chains.some((c) => c.name === name) || sec.chains.some((c) => !ALL_BUILTINS.has(c.name))))) {
        sec = { hint: pendingHint, chains: [], start: { file, line: lineNo } };
        pendingHint = null;
        sections.push(sec);
      }
      const c = newChain(name, { file, line: lineNo });
      if (isBuiltin) {
        const pol = cm[2]!;
        if (pol === 'ACCEPT' || pol === 'DROP') c.policy = pol;
        else warn(lineNo, 'parse', `unknown policy "${pol}" of chain ${name}`);
        if (cm[3] !== undefined && cm[4] !== undefined) {
          const p = parseCount(cm[3])!;
          const b = parseCount(cm[4])!;
          if (!p.exact || !b.exact) exact = false;
          c.policyCounters = { packets: p.value, bytes: b.value };
        }
      }
      sec.chains.push(c);
      chain = c;
      columns = null;
      return;
    }
    if (!trimmed.startsWith('Chain ')) {
      const hint = tableHint(trimmed);
      if (hint !== null) {
        pendingHint = hint;
        sec = null;
        chain = null;
        return;
      }
    }
    if (/^(?:num\s+)?(?:pkts\s+bytes\s+)?target\s+prot\s+opt\b/.test(trimmed)) {
      columns = { num: trimmed.startsWith('num'), verbose: /\bpkts\b/.test(trimmed) };
      return;
    }
    if (trimmed.startsWith('#')) return;
    if (chain === null || columns === null) {
      warn(lineNo, 'parse', `not part of an "iptables -L" listing: ${clip(trimmed)}`);
      return;
    }
    const r = parseRuleLine(line, columns);
    if (typeof r === 'string') {
      warn(lineNo, 'parse', `${r}: ${clip(trimmed)}`);
      return;
    }
    if (!r.exact) exact = false;
    if (r.v6) family = 6;
    for (const p of r.problems) warn(lineNo, 'rule-option', p);
    if (r.num !== null) {
      const arr = printedNum.get(chain) ?? [];
      arr.push(r.num);
      printedNum.set(chain, arr);
      if (r.num !== chain.rules.length + 1) warn(lineNo, 'parse', `rule number ${r.num} where ${chain.rules.length + 1} was expected`);
    }
    chain.rules.push({
      matches: r.matches,
      target: r.target,
      counters: r.counters,
      source: { file, line: lineNo },
      text: ruleText(chain.name, r.matches, r.target),
      unsure: r.unsure,
    });
  });

  const { tables, names } = tablesFromSections(sections, 'listing', warn, warnings);
  return {
    ruleset: {
      family,
      // The listing does not say which backend printed it; only the nft variant's legacy-tables warning does.
      backend: legacyTablesPresent !== null ? 'nft' : 'unknown',
      iptablesVersion: null,
      tables,
      legacyTablesPresent,
      sources: [{ file, format: 'iptables-list', tables: names }],
    },
    warnings,
    exactCounters: exact,
  };
}

interface ParsedLine {
  readonly num: number | null;
  readonly counters: Counters | null;
  readonly exact: boolean;
  readonly matches: Match[];
  readonly target: Target;
  readonly unsure: string[];
  readonly problems: string[];
  readonly v6: boolean;
}

function parseRuleLine(line: string, columns: { num: boolean; verbose: boolean }): ParsedLine | string {
  let rest = line;
  const field = (): string | undefined => {
    const m = /^\s*(\S+)/.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
    return m[1];
  };
  const peek = (n: number): (string | undefined)[] => rest.trim().split(/\s+/).slice(0, n);
  let num: number | null = null;
  if (columns.num) {
    const f = field();
    if (f === undefined || !/^\d+$/.test(f)) return 'expected a rule number';
    num = Number(f);
  }
  let counters: Counters | null = null;
  let exact = true;
  if (columns.verbose) {
    const p = parseCount(field() ?? '');
    const b = parseCount(field() ?? '');
    if (!p || !b) return 'cannot read the packet and byte counters';
    counters = { packets: p.value, bytes: b.value };
    exact = p.exact && b.exact;
  }
  // target prot opt: the target is blank for a rule without -j; older ip6tables print no opt column.
  const [a, b, c] = peek(3);
  let targetName = '';
  let prot: string;
  let opt = '--';
  if (isOpt(c)) {
    targetName = field()!;
    prot = field()!;
    opt = field()!;
  } else if (isOpt(b)) {
    prot = field()!;
    opt = field()!;
  } else if (a !== undefined && b !== undefined && protoNumber(b.replace(/^!/, '')) >= 0) {
    targetName = field()!;
    prot = field()!;
  } else return 'cannot find the target, prot and opt columns';
  const problems: string[] = [];
  const unsure: string[] = [];
  const matches: Match[] = [];
  let inIf = '*';
  let outIf = '*';
  if (columns.verbose) {
    inIf = field() ?? '';
    outIf = field() ?? '';
  }
  const srcF = field();
  const dstF = field();
  if (srcF === undefined || dstF === undefined) return 'missing source or destination column';
  const v6 = srcF.includes(':') || dstF.includes(':');
  const family = v6 ? 6 : 4;
  for (const [kind, f] of [
    ['src', srcF],
    ['dst', dstF],
  ] as const) {
    const negate = f.startsWith('!');
    const v = negate ? f.slice(1) : f;
    if (v === '0.0.0.0/0' || v === '::/0') continue;
    const addr = parseAddr(v, negate, family);
    if (!addr) return `cannot read address "${f}"`;
    matches.push({ kind, addr });
  }
  for (const [kind, f] of [
    ['in', inIf],
    ['out', outIf],
  ] as const) {
    if (f === '*') continue;
    const negate = f.startsWith('!');
    matches.push({ kind, name: negate ? f.slice(1) : f, negate });
  }
  // The opt column: "-f" for -f (second and later fragments), "!f" for ! -f.
  if (opt !== '--') matches.push({ kind: 'fragment', negate: opt === '!f' });
  const pNeg = prot.startsWith('!');
  const pNum = protoNumber(pNeg ? prot.slice(1) : prot);
  if (pNum < 0) {
    problems.push(`unknown protocol "${prot}"`);
    matches.push({ kind: 'unknown', module: 'proto', args: [prot] });
    unsure.push(`-p ${prot}`);
  } else if (pNum !== 0 || pNeg) matches.push({ kind: 'proto', proto: pNum, negate: pNeg });
  const extras = parseExtras(rest.trim(), targetName, family);
  problems.push(...extras.problems);
  unsure.push(...extras.unsure);
  matches.push(...extras.matches);
  return { num, counters, exact, matches, target: extras.target, unsure, problems, v6 };
}

/** Negation printed either as its own word (`! ctstate`) or glued (`!LOCAL`, `dpt:!80`). */
function unbang(s: string): { v: string; neg: boolean } {
  return s.startsWith('!') ? { v: s.slice(1), neg: true } : { v: s, neg: false };
}

/**
 * The trailing text: every match's and then the target's print() output (iptables -L). We read the ones natlens
 * models and keep everything else as an unknown match ("may match").
 */
export function parseExtras(
  text: string,
  targetName: string,
  family: 4 | 6,
): { matches: Match[]; target: Target; unsure: string[]; problems: string[] } {
  const matches: Match[] = [];
  const unsure: string[] = [];
  const problems: string[] = [];
  // Comments first: their text may hold anything (libxt_comment prints "/* text */").
  const comments: string[] = [];
  let s = text.replace(/\/\* (.*?) \*\//g, (_all, c: string) => {
    comments.push(c);
    return ' ';
  });
  let isGoto = false;
  s = s.replace(/(^|\s)\[goto\](?=\s|$)/, () => {
    isGoto = true;
    return ' ';
  });
  const toks = tokenize(s).tokens;
  const targetArgs: string[] = [];
  let unknownRun: string[] = [];
  const flushUnknown = (): void => {
    if (unknownRun.length === 0) return;
    matches.push({ kind: 'unknown', module: unknownRun[0]!, args: unknownRun.slice(1) });
    if (isRateLimit(unknownRun[0]!)) problems.push(`"${unknownRun.join(' ')}" is a rate limit: the rule matches only some packets, which cannot be told from the snapshot`);
    else {
      unsure.push(unknownRun.join(' '));
      problems.push(`"${unknownRun.join(' ')}" is not modelled: the rule may match`);
    }
    unknownRun = [];
  };
  let i = 0;
  let neg = false;
  const take = (): string => toks[i++] ?? '';
  while (i < toks.length) {
    const t = toks[i++]!;
    if (t === '!') {
      neg = true;
      continue;
    }
    const n = neg;
    neg = false;
    // tcp/udp ports (libxt_tcp/udp print): "tcp dpt:8080", "udp spts:1000:2000", "tcp dpt:!80".
    if (/^(tcp|udp|sctp|udplite|dccp)$/.test(t) && /^(s|d)pts?:/.test(toks[i] ?? '')) {
      flushUnknown();
      while (/^(s|d)pts?:/.test(toks[i] ?? '')) {
        const w = take();
        const m = /^(s|d)pts?:(!?)(.*)$/.exec(w)!;
        const r = parsePortRange(m[3]!);
        if (!r) {
          problems.push(`cannot read port "${w}"`);
          continue;
        }
        matches.push({ kind: m[1] === 's' ? 'sport' : 'dport', ranges: [r], negate: m[2] === '!' });
      }
      continue;
    }
    if (t === 'multiport' && /^(dports|sports|ports)$/.test(toks[i] ?? '')) {
      flushUnknown();
      const which = take();
      let w = take();
      let ng = false;
      if (w === '!') {
        ng = true;
        w = take();
      } else if (w.startsWith('!')) {
        ng = true;
        w = w.slice(1);
      }
      const r = parsePortList(w.replace(/-/g, ':'));
      if (which === 'ports' || !r) {
        unknownRun = ['multiport', which, ...(ng ? ['!'] : []), w];
        flushUnknown();
      } else matches.push({ kind: which === 'dports' ? 'dport' : 'sport', ranges: r, negate: ng });
      continue;
    }
    // libxt_icmp print: "icmptype 8", "icmptype 3 code 4", "icmp !type 0" (inverted), "icmp any".
    if (/^!?icmptype$/.test(t) || (t === 'icmp' && /^(any|!?type)$/.test(toks[i] ?? ''))) {
      flushUnknown();
      let ng = unbang(t).neg;
      if (t === 'icmp' && toks[i] !== 'any') ng = unbang(take()).neg;
      const w = take();
      if (w === 'any') continue;
      let code = -1;
      if (toks[i] === 'code') {
        i++;
        code = Number(take());
      }
      const ty = icmpType(w);
      if (!ty) problems.push(`unknown ICMP type "${w}"`);
      else matches.push({ kind: 'icmp-type', type: ty[0], code: code >= 0 ? code : ty[1], negate: ng || n });
      continue;
    }
    if (t === 'ctstate' || t === 'state') {
      flushUnknown();
      matches.push({ kind: 'ctstate', states: take().split(',').map((x) => x.toUpperCase()), negate: n });
      continue;
    }
    // libxt_set print: "match-set NAME src,dst", "! match-set NAME dst", then " return-nomatch", " ! update-counters".
    if (t === 'match-set' && toks[i] !== undefined && /^(src|dst)(,(src|dst))*$/.test(toks[i + 1] ?? '')) {
      flushUnknown();
      const name = take();
      const flags = take().split(',') as ('src' | 'dst')[];
      let returnNomatch = false;
      for (;;) {
        if (toks[i] === 'return-nomatch') {
          returnNomatch = true;
          i++;
        } else if (toks[i] === '!' && (toks[i + 1] === 'update-counters' || toks[i + 1] === 'update-subcounters')) i += 2;
        else break;
      }
      matches.push({ kind: 'set', name, flags, negate: n, returnNomatch });
      continue;
    }
    if (t === 'ctorigsrc' || t === 'ctorigdst' || t === 'ctreplsrc' || t === 'ctrepldst') {
      flushUnknown();
      const w = take();
      const addr = parseAddr(w, n, family);
      if (addr) matches.push({ kind: t, addr });
      else problems.push(`cannot read address "${w}" of ${t}`);
      continue;
    }
    if ((t === 'mark' || t === 'connmark') && toks[i] === 'match') {
      flushUnknown();
      i++;
      let w = take();
      let ng = false;
      if (w === '!') {
        ng = true;
        w = take();
      }
      const mk = parseMark(w);
      if (mk) matches.push({ kind: t, value: mk.value, mask: mk.mask, negate: ng });
      else problems.push(`cannot read mark "${w}"`);
      continue;
    }
    if (t === 'ADDRTYPE' && toks[i] === 'match') {
      flushUnknown();
      i++;
      let m: Extract<Match, { kind: 'addrtype' }> = { kind: 'addrtype', negateSrc: false, negateDst: false, limitIfaceIn: false, limitIfaceOut: false };
      for (;;) {
        const w = toks[i];
        if (w === 'src-type' || w === 'dst-type') {
          i++;
          const { v, neg: ng } = unbang(take());
          const types = v.split(',').map((x) => x.toUpperCase());
          m = w === 'src-type' ? { ...m, srcType: types, negateSrc: ng } : { ...m, dstType: types, negateDst: ng };
        } else if (w === 'limit-in') {
          i++;
          m = { ...m, limitIfaceIn: true };
        } else if (w === 'limit-out') {
          i++;
          m = { ...m, limitIfaceOut: true };
        } else break;
      }
      matches.push(m);
      continue;
    }
    if (t === 'statistic' && toks[i] === 'mode') {
      flushUnknown();
      i++;
      const mode = take();
      let m: Extract<Match, { kind: 'statistic' }> = { kind: 'statistic', mode: mode === 'nth' ? 'nth' : 'random', negate: false };
      for (;;) {
        let w = toks[i];
        let ng = false;
        if (w === '!') {
          ng = true;
          w = toks[i + 1];
          if (w !== 'probability' && w !== 'every') break;
          i++;
        }
        if (w === 'probability') {
          i++;
          m = { ...m, probability: Number(take()), negate: m.negate || ng };
        } else if (w === 'every') {
          i++;
          m = { ...m, every: Number(take()), negate: m.negate || ng };
        } else if (w === 'packet') {
          i++;
          m = { ...m, packet: Number(take()) };
        } else break;
      }
      matches.push(m);
      continue;
    }
    // Target words.
    if ((targetName === 'DNAT' || targetName === 'SNAT') && t.startsWith('to:')) {
      flushUnknown();
      targetArgs.push(targetName === 'DNAT' ? '--to-destination' : '--to-source', t.slice(3));
      continue;
    }
    if ((targetName === 'DNAT' || targetName === 'SNAT' || targetName === 'MASQUERADE' || targetName === 'REDIRECT') &&
      (t === 'random' || t === 'random-fully' || t === 'persistent')) {
      flushUnknown();
      targetArgs.push(`--${t}`);
      continue;
    }
    if ((targetName === 'MASQUERADE' && t === 'masq' && toks[i] === 'ports:') || (targetName === 'REDIRECT' && t === 'redir' && toks[i] === 'ports')) {
      flushUnknown();
      i++;
      targetArgs.push('--to-ports', take());
      continue;
    }
    if (targetName === 'REJECT' && t === 'reject-with') {
      flushUnknown();
      targetArgs.push('--reject-with', take());
      continue;
    }
    if (targetName === 'CT' && t === 'CT') {
      flushUnknown();
      if (toks[i] === 'notrack') {
        i++;
        targetArgs.push('--notrack');
      }
      while (i < toks.length) targetArgs.push(take());
      continue;
    }
    if (targetName !== '' && t === targetName) {
      // Targets such as LOG, MARK, TCPMSS print their own name first, then their options, last on the line.
      flushUnknown();
      const words: string[] = [];
      while (i < toks.length) words.push(take());
      targetArgs.push(...targetWordsToOptions(targetName, words));
      continue;
    }
    if (n) unknownRun.push('!');
    unknownRun.push(t);
  }
  // What a non-modelled target prints without its name first (e.g. NFLOG's "nflog-prefix x") belongs to it.
  const knownTarget = parseTarget(targetName, [], isGoto).target.kind;
  if (unknownRun.length > 0 && (knownTarget === 'unknown' || targetName === 'NFLOG')) {
    targetArgs.push(...unknownRun);
    unknownRun = [];
  }
  flushUnknown();
  for (const c of comments) matches.push({ kind: 'comment', text: c });
  let target: Target;
  if (targetName === '') target = { kind: 'none' };
  else {
    const r = parseTarget(targetName, targetArgs, isGoto);
    target = r.target;
    problems.push(...r.problems.filter((p) => !p.startsWith('unexpected options')));
  }
  return { matches, target, unsure, problems };
}

/** LOG and MARK listing words → the save options (so the rule text reads the same in every form). */
function targetWordsToOptions(target: string, words: readonly string[]): string[] {
  if (target === 'LOG') {
    const out: string[] = [];
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      if (w === 'level' && words[k + 1] !== undefined) {
        if (words[k + 1] !== '4') out.push('--log-level', words[k + 1]!);
        k++;
      } else if (w === 'prefix' && words[k + 1] !== undefined) {
        out.push('--log-prefix', words[k + 1]!);
        k++;
      } else if (w === 'flags' && words[k + 1] !== undefined) {
        k++;
      } else if (w === 'uid') out.push('--log-uid');
      else out.push(w);
    }
    return out;
  }
  if (target === 'MARK' && words.length === 2 && (words[0] === 'set' || words[0] === 'xset')) {
    const v = words[1]!;
    return ['--set-xmark', v.includes('/') ? v : `${v}/0xffffffff`];
  }
  return [...words];
}

