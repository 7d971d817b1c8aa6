/**
 * `natlens rules` text: the ruleset as a tree per table, each built-in chain with its policy and counters, rules
 * numbered with counters, what they do, what they match and where they were read (file:line). A chain reached by a
 * jump is shown nested under the first rule that jumps to it; later jumps refer back to it ("shown above"), so loops
 * and shared chains print once. Lines stay within 80 columns, wrapping the match text.
 */
import { basename } from 'node:path';
import { ipv4ToString } from '../model/address.js';
import { matchText, natRangeText } from '../gateway/rule-text.js';
import { quoteToken } from '../gateway/tokenize.js';
import type { Chain, Rule, Ruleset, RulesetDisagreement, Table, TableName, Target } from '../model/ruleset.js';
import { isRateLimit, TABLE_NAMES } from '../model/ruleset.js';
import type { InputWarning } from '../model/errors.js';
import type { NftRuleset } from '../model/nftables.js';
import type { IpSet } from '../model/ipset.js';
import type { SnapshotFile } from '../model/snapshot.js';
import type { Counters, SourceRef } from '../model/source.js';

const WIDTH = 80;
const MAX_DEPTH = 8;

/** iptables' own short form (K/M/G above 99999), so large counters stay narrow. */
function short(n: number): string {
  if (n <= 99999) return String(n);
  let v = Math.floor((n + 500) / 1000);
  for (const unit of ['K', 'M', 'G']) {
    if (v <= 9999) return `${v}${unit}`;
    v = Math.floor((v + 500) / 1000);
  }
  return `${v}T`;
}

function counters(c: Counters | null): string {
  return c === null ? '' : `${short(c.packets)} pkt ${short(c.bytes)} B`;
}

function action(t: Target): string {
  switch (t.kind) {
    case 'none':
      return '(no target: counts only)';
    case 'jump':
      return `→ ${t.chain}`;
    case 'goto':
      return `⇒ ${t.chain} (goto)`;
    case 'REJECT':
      return `REJECT ${t.rejectWith}`;
    case 'DNAT':
      return `DNAT to ${t.to.map(natRangeText).join(', ')}${t.random ? ' random' : ''}${t.persistent ? ' persistent' : ''}`;
    case 'SNAT':
      return `SNAT to ${t.to.map(natRangeText).join(', ')}${t.randomFully ? ' random-fully' : t.random ? ' random' : ''}${t.persistent ? ' persistent' : ''}`;
    case 'MASQUERADE':
      return `MASQUERADE${t.ports ? ` ports ${t.ports.lo}-${t.ports.hi}` : ''}${t.randomFully ? ' random-fully' : t.random ? ' random' : ''}`;
    case 'SET':
      return `SET ${t.field} ${t.field.endsWith('addr') ? ipv4ToString(t.value) : t.value} (stateless)`;
    case 'REDIRECT':
      return `REDIRECT${t.ports ? ` to port ${t.ports.lo === t.ports.hi ? t.ports.lo : `${t.ports.lo}-${t.ports.hi}`}` : ''}`;
    case 'MARK':
    case 'CONNMARK':
    case 'LOG':
    case 'NFLOG':
    case 'TRACE':
      return [t.kind, ...t.args.map(quoteToken)].join(' ');
    case 'CT':
      return t.notrack ? 'CT notrack' : ['CT', ...t.args.map(quoteToken)].join(' ');
    case 'unknown':
      return `${t.name} (not modelled)${t.args.length ? ` ${t.args.join(' ')}` : ''}`;
    default:
      return t.kind;
  }
}

/** Word-wrap `text` to WIDTH with every line starting at `indent`. */
function wrap(text: string, indent: string): string[] {
  const out: string[] = [];
  let line = indent;
  for (const w of text.split(' ')) {
    if (line.length > indent.length && line.length + 1 + w.length > WIDTH) {
      out.push(line);
      line = `${indent}  ${w}`;
    } else line += line.length > indent.length ? ` ${w}` : w;
  }
  if (line.trim() !== '') out.push(line);
  return out;
}

/** `left … right` on one line when it fits, else right on its own line, right-aligned. */
function withRight(left: string, right: string): string[] {
  if (left.length + 2 + right.length <= WIDTH) return [left + ' '.repeat(WIDTH - left.length - right.length) + right];
  return [left, ' '.repeat(Math.max(0, WIDTH - right.length)) + right];
}

export interface RulesTextInput {
  readonly rules: Ruleset | null;
  readonly rules6: Ruleset | null;
  readonly disagreements: readonly RulesetDisagreement[];
  readonly files: readonly SnapshotFile[];
  readonly warnings: readonly InputWarning[];
  readonly table?: TableName;
  /** nftables base chains (`nft list ruleset`). */
  readonly nft?: NftRuleset | null;
  /** The ipset sets `-m set` rules look packets up in (`ipset save`, `ipset list`); absent without a listing. */
  readonly ipsets?: ReadonlyMap<string, IpSet> | null;
}

/** Members shown per set: enough to see what it holds, not a blocklist of thousands. */
const SET_MEMBERS_SHOWN = 12;

/** Each set: its type, how many members, where it is listed, and its first members. */
function renderIpsets(sets: ReadonlyMap<string, IpSet>, loc: (s: SourceRef) => string): string[] {
  const out = [`ipset sets (${[...new Set([...sets.values()].map((s) => s.source.file))].join(', ')})`];
  for (const s of sets.values()) {
    const n = s.members.length;
    const count = s.complete ? `${n} member${n === 1 ? '' : 's'}` : n ? `${n} members read, others not` : 'members not listed';
    for (const x of withRight(`  ${s.name}  ${s.type}${s.family === 'inet6' ? ' (IPv6)' : ''}  ${count}`, loc(s.source))) out.push(x);
    if (n) out.push(...wrap(`${s.members.slice(0, SET_MEMBERS_SHOWN).map((m) => m.text).join(', ')}${n > SET_MEMBERS_SHOWN ? `, … and ${n - SET_MEMBERS_SHOWN} more` : ''}`, '    '));
  }
  return out;
}

export function renderRulesText(input: RulesTextInput): string {
  const out: string[] = [];
  const allFiles = [input.rules, input.rules6].flatMap((r) => r?.sources.map((s) => s.file) ?? []);
  const bases = new Set(allFiles.map((f) => basename(f)));
  // Short locations when the file names are unambiguous.
  const loc = (s: SourceRef): string => `${bases.size === new Set(allFiles).size ? basename(s.file) : s.file}:${s.line}`;

  for (const rs of [input.rules, input.rules6]) {
    if (rs === null) continue;
    const backend = rs.backend === 'unknown' ? 'backend unknown' : rs.backend === 'nft' ? 'nf_tables backend' : 'legacy backend';
    out.push(`IPv${rs.family} rules — ${backend}${rs.iptablesVersion ? `, iptables v${rs.iptablesVersion}` : ''}`);
    for (const s of rs.sources) out.push(...wrap(`read ${s.file} (${s.format}${s.tables.length ? `: ${s.tables.join(', ')}` : ''})`, '  '));
    if (rs.legacyTablesPresent) {
      for (const x of wrap(`! ${loc(rs.legacyTablesPresent)} says iptables-legacy tables are present: the kernel uses rules this nft snapshot does not show. Take the snapshot with iptables-legacy-save -c.`, '  ')) out.push(x);
    }
    for (const name of TABLE_NAMES) {
      if (input.table !== undefined && name !== input.table) continue;
      const t = rs.tables[name];
      if (!t) continue;
      out.push('');
      for (const x of renderTable(t, loc)) out.push(x);
    }
    out.push('');
  }
  const nft = input.nft;
  if (nft && nft.baseChains.length > 0 && input.table === undefined) {
    // Each nftables table once, its base chains headed by where they hook in.
    const tables = new Map<string, { chains: Chain[]; hooks: Map<string, string> }>();
    for (const b of nft.baseChains) {
      const key = `${b.family} ${b.table}`;
      let t = tables.get(key);
      if (!t) tables.set(key, (t = { chains: [...b.chains.values()], hooks: new Map() }));
      t.hooks.set(b.chain.name, `type ${b.type} hook ${b.hook.toLowerCase()} priority ${b.priority}`);
    }
    out.push(`nftables rules (${[...new Set(nft.baseChains.map((b) => b.chain.source.file))].join(', ')})`);
    for (const [name, t] of tables) {
      out.push('');
      for (const x of renderTable({ name: `nft ${name}` as TableName, chains: t.chains }, loc, (c) => t.hooks.get(c.name) ?? '')) out.push(x);
    }
    for (const x of nft.skippedTables) out.push(...wrap(`- not walked: ${x.name} (${loc(x.source)}): ${x.why}`, '  '));
    out.push('');
  }
  if (input.ipsets?.size) {
    for (const x of renderIpsets(input.ipsets, loc)) out.push(x);
    out.push('');
  }
  const dis = input.disagreements.filter((d) => input.table === undefined || d.table === input.table);
  if (dis.length > 0) {
    out.push(`Forms disagree (${dis.length}):`);
    for (const d of dis) out.push(...wrap(`- ${d.table}/${d.chain}: ${d.message} (${loc(d.a)}${d.b ? ` vs ${loc(d.b)}` : ''})`, '  '));
    out.push('');
  }
  if (input.warnings.length > 0) {
    out.push(`Notes (${input.warnings.length}):`);
    for (const w of input.warnings) out.push(...wrap(`- ${basename(w.file)}${w.line !== undefined ? `:${w.line}` : ''}: ${w.message} [${w.code}]`, '  '));
    out.push('');
  }
  const ignored = input.files.filter((f) => f.kind === 'ignored');
  if (ignored.length > 0) {
    out.push('Ignored files:');
    for (const f of ignored) out.push(...wrap(`- ${f.path}: ${f.reason ?? ''}`, '  '));
    out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function renderTable(t: Table, loc: (s: SourceRef) => string, hookOf: (c: Chain) => string = () => ''): string[] {
  const out: string[] = [];
  const byName = new Map(t.chains.map((c) => [c.name, c]));
  const shown = new Set<string>();
  const ruleCount = t.chains.reduce((n, c) => n + c.rules.length, 0);
  out.push(`table ${t.name} (${t.chains.length} chains, ${ruleCount} rules)`);

  const chain = (c: Chain, indent: string, depth: number): void => {
    shown.add(c.name);
    const head = c.builtin
      ? `${indent}${c.name}  ${hookOf(c) ? `${hookOf(c)}, ` : ''}policy ${c.policy ?? '?'}${c.policyCounters ? `  ${counters(c.policyCounters)}` : ''}`
      : `${indent}${c.name}`;
    for (const x of withRight(head, loc(c.source))) out.push(x);
    if (c.rules.length === 0) out.push(`${indent}  (no rules)`);
    for (const r of c.rules) rule(r, `${indent}  `, depth);
  };

  const rule = (r: Rule, indent: string, depth: number): void => {
    const num = `${r.index}.`.padEnd(4);
    const cnt = counters(r.counters);
    for (const x of withRight(`${indent}${num}${cnt ? `${cnt}  ` : ''}${action(r.target)}`, loc(r.source))) out.push(x);
    const proto = r.matches.find((m) => m.kind === 'proto');
    const p = proto?.kind === 'proto' ? proto.proto : 0;
    const ms = r.matches.map((m) => matchText(m, p)).join(' ');
    const inner = `${indent}    `;
    if (ms !== '') out.push(...wrap(`if ${ms}`, inner));
    if (r.unsure.length > 0) out.push(...wrap(`? may match: not modelled: ${r.unsure.join('; ')}`, inner));
    for (const m of r.matches) {
      if (m.kind === 'unknown' && isRateLimit(m.module)) out.push(...wrap(`? matches only some packets: a rate limit (${m.module.replace(/:$/, '')} ${m.args.join(' ')})`, inner));
    }
    if (r.target.kind === 'jump' || r.target.kind === 'goto') {
      const next = byName.get(r.target.chain);
      if (!next) return;
      if (shown.has(next.name)) out.push(`${inner}(${next.name} is shown above)`);
      else if (depth >= MAX_DEPTH) out.push(`${inner}(${next.name}: nested too deep, listed below)`);
      else chain(next, inner, depth + 1);
    }
  };

  for (const c of t.chains.filter((x) => x.builtin)) {
    out.push('');
    chain(c, '', 0);
  }
  const rest = t.chains.filter((c) => !shown.has(c.name));
  if (rest.length > 0) {
    out.push('');
    out.push('chains no built-in chain reaches:');
    for (const c of rest) if (!shown.has(c.name)) chain(c, '  ', 0);
  }
  return out;
}
