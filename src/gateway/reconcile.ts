/**
 * One ruleset from every form a bundle holds. A bundle often has `iptables-save -c` and the `-t nat -L -n -v` /
 * `-t filter -L -n -v` listings: the most complete form gives each table (save > -S > -L; iptables-save of the nft
 * backend printing the legacy-tables warning ranks below any other, since the kernel uses the legacy rules), the
 * others fill tables it lacks, and every place where two forms of the same table differ is reported.
 */
import type { Chain, Rule, Ruleset, RulesetDisagreement, RulesetFormat, Table, TableName } from '../model/ruleset.js';
import { TABLE_NAMES } from '../model/ruleset.js';
import type { Counters } from '../model/source.js';
import { ruleSignature } from './rule-text.js';

export interface RulesetInput {
  readonly ruleset: Ruleset;
  /** False when a listing printed rounded K/M/G counters. */
  readonly exactCounters: boolean;
}

const FORMAT_RANK: Readonly<Record<RulesetFormat, number>> = { 'iptables-save': 3, 'iptables-S': 2, 'iptables-list': 1 };

function rank(r: Ruleset): number {
  const base = Math.max(...r.sources.map((s) => FORMAT_RANK[s.format]));
  return r.legacyTablesPresent !== null ? base - 3 : base;
}

/** iptables' own rounding for `-L` without `-x` (xtables_print_num, FMT_KILOMEGAGIGA). */
export function iptablesRounded(n: number): string {
  if (n <= 99999) return String(n);
  let v = Math.floor((n + 500) / 1000);
  for (const unit of ['K', 'M', 'G']) {
    if (v <= 9999) return `${v}${unit}`;
    v = Math.floor((v + 500) / 1000);
  }
  return `${v}T`;
}

function countersEqual(a: Counters | null, b: Counters | null, exact: boolean): boolean {
  if (a === null || b === null) return true; // a form without counters cannot disagree on them
  if (exact) return a.packets === b.packets && a.bytes === b.bytes;
  return iptablesRounded(a.packets) === iptablesRounded(b.packets) && iptablesRounded(a.bytes) === iptablesRounded(b.bytes);
}

const fmtCounters = (c: Counters | null): string => (c === null ? 'none' : `${c.packets} pkts/${c.bytes} B`);

export function reconcileRulesets(inputs: readonly RulesetInput[]): { rules: Ruleset | null; disagreements: RulesetDisagreement[] } {
  if (inputs.length === 0) return { rules: null, disagreements: [] };
  const ordered = inputs.map((x, k) => ({ ...x, k })).sort((a, b) => rank(b.ruleset) - rank(a.ruleset) || a.k - b.k);
  const disagreements: RulesetDisagreement[] = [];
  const tables: Partial<Record<TableName, Table>> = {};
  const chosenFrom = new Map<TableName, Ruleset>();
  for (const name of TABLE_NAMES) {
    const holders = ordered.filter((x) => x.ruleset.tables[name] !== undefined);
    const first = holders[0];
    if (!first) continue;
    const chosen = first.ruleset.tables[name]!;
    tables[name] = chosen;
    chosenFrom.set(name, first.ruleset);
    for (const other of holders.slice(1)) {
      compareTables(chosen, other.ruleset.tables[name]!, first.exactCounters && other.exactCounters, disagreements);
    }
  }
  const primary = ordered[0]!.ruleset;
  const used = [...new Set(chosenFrom.values())];
  const withBackend = used.find((r) => r.backend !== 'unknown');
  const legacy = ordered.map((x) => x.ruleset.legacyTablesPresent).find((x) => x !== null) ?? null;
  return {
    rules: {
      family: primary.family,
      backend: legacy !== null && used.every((r) => r.legacyTablesPresent !== null) ? 'nft' : (withBackend?.backend ?? 'unknown'),
      iptablesVersion: used.map((r) => r.iptablesVersion).find((v) => v !== null) ?? null,
      tables,
      legacyTablesPresent: legacy,
      // Every file read, with the tables it held (whether used or only compared).
      sources: inputs.flatMap((x) => x.ruleset.sources),
    },
    disagreements,
  };
}

/** Report every difference between two forms of one table. `a` is the form in use. */
export function compareTables(a: Table, b: Table, exactCounters: boolean, out: RulesetDisagreement[]): void {
  const bChains = new Map(b.chains.map((c) => [c.name, c]));
  const aNames = new Set(a.chains.map((c) => c.name));
  const aFile = a.chains[0]?.source.file ?? '?';
  const bFile = b.chains[0]?.source.file ?? '?';
  for (const ca of a.chains) {
    const cb = bChains.get(ca.name);
    if (!cb) {
      out.push({ table: a.name, chain: ca.name, message: `chain ${ca.name} is in ${aFile} but not in ${bFile}`, a: ca.source, b: null });
      continue;
    }
    compareChains(a.name, ca, cb, exactCounters, out);
  }
  for (const cb of b.chains) {
    if (aNames.has(cb.name)) continue;
    out.push({ table: a.name, chain: cb.name, message: `chain ${cb.name} is in ${bFile} but not in ${aFile}`, a: cb.source, b: null });
  }
}

function compareChains(table: TableName, ca: Chain, cb: Chain, exact: boolean, out: RulesetDisagreement[]): void {
  const push = (message: string, a = ca.source, b: typeof a | null = cb.source): void => {
    out.push({ table, chain: ca.name, message, a, b });
  };
  if (ca.policy !== cb.policy) push(`policy of ${ca.name}: ${ca.policy ?? 'none'} vs ${cb.policy ?? 'none'}`);
  else if (!countersEqual(ca.policyCounters, cb.policyCounters, exact)) {
    push(`policy counters of ${ca.name}: ${fmtCounters(ca.policyCounters)} vs ${fmtCounters(cb.policyCounters)}`);
  }
  if (ca.rules.length !== cb.rules.length) {
    push(`${ca.name} has ${ca.rules.length} rule${ca.rules.length === 1 ? '' : 's'} in one form and ${cb.rules.length} in the other`);
  }
  const n = Math.min(ca.rules.length, cb.rules.length);
  for (let k = 0; k < n; k++) {
    const ra: Rule = ca.rules[k]!;
    const rb: Rule = cb.rules[k]!;
    if (ruleSignature(ra.matches, ra.target) !== ruleSignature(rb.matches, rb.target)) {
      push(`rule ${k + 1} of ${ca.name} differs: "${ra.text}" vs "${rb.text}"`, ra.source, rb.source);
    } else if (!countersEqual(ra.counters, rb.counters, exact)) {
      push(`counters of rule ${k + 1} of ${ca.name}: ${fmtCounters(ra.counters)} vs ${fmtCounters(rb.counters)}`, ra.source, rb.source);
    }
  }
}
