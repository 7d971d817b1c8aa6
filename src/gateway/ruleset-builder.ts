/**
 * Shared assembly of parsed chains into the model's tables, for all three rule forms. Drafts are local to one
 * parse; `finishTable` resolves `-j NAME` against the chains the table really has.
 */
import type { InputWarning } from '../model/errors.js';
import type { Chain, Match, Rule, Table, TableName, Target } from '../model/ruleset.js';
import type { Counters, SourceRef } from '../model/source.js';

/** The built-in chains of each table (net/ipv4/netfilter/iptable_*.c hook masks). */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export const ALL_BUILTINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

export interface RuleDraft {
  readonly matches: readonly Match[];
  target: Target;
  readonly counters: Counters | null;
  readonly source: SourceRef;
  readonly text: string;
  readonly unsure: readonly string[];
}

export interface ChainDraft {
  readonly name: string;
  builtin: boolean;
  policy: 'ACCEPT' | 'DROP' | null;
  policyCounters: Counters | null;
  source: SourceRef;
  readonly rules: RuleDraft[];
}

export interface TableDraft {
  name: TableName;
  readonly chains: ChainDraft[];
  readonly source: SourceRef;
}

export function newChain(name: string, source: SourceRef): ChainDraft {
  return { name, builtin: ALL_BUILTINS.has(name), policy: null, policyCounters: null, source, rules: [] };
}

export function getChain(t: TableDraft, name: string, source: SourceRef): ChainDraft {
  let c = t.chains.find((x) => x.name === name);
  if (!c) {
    c = newChain(name, source);
    t.chains.push(c);
  }
  return c;
}

/** Resolve jumps, number rules, and freeze into the model's `Table`. */
export function finishTable(t: TableDraft, warnings: InputWarning[]): Table {
  const names = new Set(t.chains.map((c) => c.name));
  const builtins = new Set(BUILTIN_CHAINS[t.name]);
  const chains: Chain[] = t.chains.map((c) => {
    const builtin = builtins.has(c.name);
    const rules: Rule[] = c.rules.map((r, k) => {
      let target = r.target;
      if ((target.kind === 'jump' || target.kind === 'goto') && !names.has(target.chain)) {
        warnings.push({
          code: 'unknown-target',
          file: r.source.file,
          line: r.source.line,
          message: `target ${target.chain} is neither a chain of table ${t.name} nor a target natlens models: the rule is kept, its verdict is unknown`,
        });
        target = { kind: 'unknown', name: target.chain, args: [] };
      }
      return {
        table: t.name,
        chain: c.name,
        index: k + 1,
        matches: r.matches,
        target,
        counters: r.counters,
        source: r.source,
        text: r.text,
        unsure: target.kind === 'unknown' ? [...r.unsure, `target ${target.name}`] : r.unsure,
      };
    });
    return {
      name: c.name,
      builtin,
      policy: builtin ? (c.policy ?? null) : null,
      policyCounters: builtin ? c.policyCounters : null,
      rules,
      source: c.source,
    };
  });
  return { name: t.name, chains };
}

export function isTableName(s: string): s is TableName {
  return s === 'raw' || s === 'mangle' || s === 'nat' || s === 'filter' || s === 'security';
}

/**
 * Which table a listing section (`-L` or `-S` output, which do not name it) belongs to, from its built-in chains and
 * targets. Returns the table and whether it was a guess.
 */
export function inferTable(builtinChains: ReadonlySet<string>, targets: ReadonlySet<string>): { table: TableName; sure: boolean } {
  const has = (n: string): boolean => builtinChains.has(n);
  if (targets.has('DNAT') || targets.has('SNAT') || targets.has('MASQUERADE') || targets.has('REDIRECT') || targets.has('NETMAP')) {
    return { table: 'nat', sure: true };
  }
  if (targets.has('CT') || targets.has('NOTRACK')) return { table: 'raw', sure: true };
  if (targets.has('SECMARK') || targets.has('CONNSECMARK')) return { table: 'security', sure: builtinChains.size > 0 };
  if (has('FORWARD') && (has('PREROUTING') || has('POSTROUTING'))) return { table: 'mangle', sure: true };
  if (targets.has('TPROXY') || targets.has('TOS') || targets.has('TTL') || targets.has('DSCP') || targets.has('TCPMSS')) {
    return { table: 'mangle', sure: true };
  }
  if (has('POSTROUTING')) return { table: 'nat', sure: has('PREROUTING') && has('OUTPUT') && !has('FORWARD') };
  if (has('PREROUTING')) {
    // raw has only PREROUTING and OUTPUT; nat always has POSTROUTING too.
    if (has('OUTPUT') && !has('INPUT')) return { table: 'raw', sure: true };
    return { table: 'nat', sure: false };
  }
  return { table: 'filter', sure: has('INPUT') && has('FORWARD') && has('OUTPUT') };
}

/** A user's hint naming the table: `# Table: nat`, `iptables -t nat -L -n -v`, `$ iptables -L` (filter). */
export function tableHint(line: string): TableName | null {
  const m = /^\s*#\s*table\s*[:=]?\s*(\w+)\s*$/i.exec(line);
  if (m && isTableName(m[1]!.toLowerCase())) return m[1]!.toLowerCase() as TableName;
  if (/\bip6?tables(?:-legacy|-nft)?\b/.test(line) && /\s-(?:[a-zA-Z]*[LS][a-zA-Z]*|-list|-list-rules)\b/.test(line)) {
    const t = /(?:-t|--table)[\s=]+(\w+)/.exec(line);
    if (t) return isTableName(t[1]!) ? t[1] : null;
    return 'filter';
  }
  return null;
}

/** One table's worth of a listing (`iptables -L` or `-S` output), before its table is known for sure. */
export interface SectionDraft {
  readonly hint: TableName | null;
  readonly chains: ChainDraft[];
  readonly start: SourceRef;
}

/**
 * Name each section's table (from a `-t`/`# Table:` hint, else inferred from its built-in chains and
 * targets, with a warning when that is a guess) and finish it; a second section of the same table is
 * dropped with a warning. `what` names the input in the wording ('listing', 'output').
 */
export function tablesFromSections(
  sections: readonly SectionDraft[],
  what: string,
  warn: (line: number, code: string, message: string) => void,
  warnings: InputWarning[],
): { tables: Partial<Record<TableName, Table>>; names: TableName[] } {
  const tables: Partial<Record<TableName, Table>> = {};
  const names: TableName[] = [];
  for (const s of sections) {
    const builtins = new Set(s.chains.filter((c) => c.policy !== null && ALL_BUILTINS.has(c.name)).map((c) => c.name));
    const targets = new Set<string>();
    for (const c of s.chains) for (const r of c.rules) targets.add(r.target.kind === 'unknown' ? r.target.name : r.target.kind);
    let name: TableName;
    if (s.hint !== null) name = s.hint;
    else {
      const inf = inferTable(builtins, targets);
      name = inf.table;
      if (!inf.sure) {
        warn(s.start.line, 'table-guessed', `the ${what} does not name its table; taken as "${name}" from its chains (add a "# Table: NAME" line to say)`);
      }
    }
    if (tables[name]) {
      warn(s.start.line, 'duplicate-table', `a second ${what === 'listing' ? 'listing of' : 'section for'} table ${name}; the first one is kept`);
      continue;
    }
    tables[name] = finishTable({ name, chains: s.chains, source: s.start }, warnings);
    names.push(name);
  }
  return { tables, names };
}
