/**
 * `iptables -S` / `iptables -S -v` (rule specifications) → Ruleset.
 *
 *   -P INPUT ACCEPT -c 0 0        (policy; "-c PKTS BYTES" only with -v)
 *   -N MYCHAIN
 *   -A INPUT -p udp -m udp --sport 1000:2000 -c 0 0 -g MYCH
 *
 * The output does not name its table (`iptables -t nat -S` looks like any other), so a file may hold several
 * tables one after the other: a new section starts at a `# Table: T` / `iptables -t T -S` hint line, or when a
 * policy line comes again after rules or repeats a built-in chain. Each section's table is the hint, else it is
 * inferred from its built-in chains and targets (see inferTable).
 */
import type { InputWarning } from '../model/errors.js';
import type { Ruleset, TableName } from '../model/ruleset.js';
import type { SourceRef } from '../model/source.js';
import { detectFamily, LEGACY_WARNING_RE, clip } from './iptables-save.js';
import { parseRuleOptions } from './rule-options.js';
import { getChain, tableHint, tablesFromSections, type ChainDraft } from './ruleset-builder.js';
import { tokenize } from './tokenize.js';
import { withoutCounters } from './rule-text.js';

interface Section {
  hint: TableName | null;
  readonly chains: ChainDraft[];
  readonly start: SourceRef;
  sawRule: boolean;
}

export function parseIptablesRulesSpec(text: string, file: string): { ruleset: Ruleset; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const family = detectFamily(text);
  const warn = (line: number, code: string, message: string): void => {
    warnings.push({ code, file, line, message });
  };
  const sections: Section[] = [];
  let cur: Section | null = null;
  let pendingHint: TableName | null = null;
  let legacyTablesPresent: SourceRef | null = null;
  const open = (lineNo: number): Section => {
    cur = { hint: pendingHint, chains: [], start: { file, line: lineNo }, sawRule: false };
    pendingHint = null;
    sections.push(cur);
    return cur;
  };

  text.split('\n').forEach((raw, k) => {
    const lineNo = k + 1;
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') return;
    if (LEGACY_WARNING_RE.test(line)) {
      legacyTablesPresent ??= { file, line: lineNo };
      return;
    }
    const hint = line.startsWith('-') ? null : tableHint(line);
    if (hint !== null) {
      pendingHint = hint;
      cur = null;
      return;
    }
    if (line.startsWith('#')) return;
    const { tokens, unterminatedQuote } = tokenize(line);
    if (unterminatedQuote) warn(lineNo, 'truncated', 'a quoted argument is not closed (the line may be cut)');
    const op = tokens[0];
    const chainName = tokens[1];
    if ((op !== '-P' && op !== '-N' && op !== '-A') || chainName === undefined) {
      warn(lineNo, 'parse', `not an "iptables -S" line: ${clip(line)}`);
      return;
    }
    let sec: Section = cur ?? open(lineNo);
    if (op === '-P' && (sec.sawRule || sec.chains.some((c) => c.name === chainName))) sec = open(lineNo);
    const src = { file, line: lineNo };
    if (op === '-P') {
      const c = getChain({ name: 'filter', chains: sec.chains, source: sec.start }, chainName, src);
      c.source = src;
      const pol = tokens[2];
      if (pol === 'ACCEPT' || pol === 'DROP') c.policy = pol;
      else warn(lineNo, 'parse', `unknown policy "${pol ?? ''}" of chain ${chainName}`);
      const ci = tokens.indexOf('-c');
      if (ci >= 0 && /^\d+$/.test(tokens[ci + 1] ?? '') && /^\d+$/.test(tokens[ci + 2] ?? '')) {
        c.policyCounters = { packets: Number(tokens[ci + 1]), bytes: Number(tokens[ci + 2]) };
      }
      return;
    }
    if (op === '-N') {
      const c = getChain({ name: 'filter', chains: sec.chains, source: sec.start }, chainName, src);
      c.source = src;
      return;
    }
    sec.sawRule = true;
    const chain = getChain({ name: 'filter', chains: sec.chains, source: sec.start }, chainName, src);
    const opts = parseRuleOptions(tokens.slice(2), family);
    for (const p of opts.problems) warn(lineNo, 'rule-option', p);
    chain.rules.push({
      matches: opts.matches,
      target: opts.target,
      counters: opts.counters,
      source: src,
      text: withoutCounters(line),
      unsure: opts.unsure,
    });
  });

  const { tables, names } = tablesFromSections(sections, 'output', warn, warnings);
  return {
    ruleset: {
      family,
      // `iptables -S` does not say which backend printed it, except through the legacy-tables warning of the nft one.
      backend: legacyTablesPresent !== null ? 'nft' : 'unknown',
      iptablesVersion: null,
      tables,
      legacyTablesPresent,
      sources: [{ file, format: 'iptables-S', tables: names }],
    },
    warnings,
  };
}
