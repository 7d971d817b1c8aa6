/**
 * Every form of the lab rule set (test/fixtures/gateway/make-fixtures.sh: iptables-legacy and iptables-nft, save with
 * and without -c, -L -n -v, -L -n -v -x --line-numbers, -L -n, -S -v) must parse to the same rules: reconciliation
 * finds no disagreement between any of them and the `iptables-save -c` reference.
 */
import { describe, expect, it } from 'vitest';
import { parseIptablesList } from '../../src/gateway/iptables-list.js';
import { parseIptablesSave } from '../../src/gateway/iptables-save.js';
import { parseIptablesRulesSpec } from '../../src/gateway/iptables-spec.js';
import { compareTables } from '../../src/gateway/reconcile.js';
import type { Ruleset, RulesetDisagreement, TableName } from '../../src/model/ruleset.js';
import { lab } from './helpers.js';

const TABLES: TableName[] = ['raw', 'mangle', 'nat', 'filter'];

function disagreements(ref: Ruleset, other: Ruleset, exact: boolean): RulesetDisagreement[] {
  const out: RulesetDisagreement[] = [];
  for (const t of TABLES) {
    const b = other.tables[t];
    if (b) compareTables(ref.tables[t]!, b, exact, out);
  }
  return out;
}

describe.each(['legacy', 'nft'])('lab rule set, iptables-%s', (be) => {
  const ref = parseIptablesSave(lab(`${be}-save-c.txt`), `${be}-save-c.txt`);

  it('iptables-save -c parses with only the expected "not modelled" warnings', () => {
    expect(ref.ruleset.backend).toBe(be);
    expect(ref.ruleset.iptablesVersion).toBe('1.8.9');
    expect(ref.ruleset.family).toBe(4);
    expect(Object.keys(ref.ruleset.tables).sort()).toEqual(['filter', 'mangle', 'nat', 'raw']);
    const codes = [...new Set(ref.warnings.map((w) => w.code))];
    expect(codes).toEqual(['rule-option']);
    // -m limit (filter), --tcp-flags and TCPMSS (mangle): the three things the lab set holds that are not modelled.
    expect(ref.warnings.map((w) => w.line).length).toBe(3);
    const filter = ref.ruleset.tables.filter!;
    expect(filter.chains.map((c) => [c.name, c.policy, c.rules.length])).toEqual([
      ['INPUT', 'ACCEPT', 8],
      ['FORWARD', 'DROP', 11],
      ['OUTPUT', 'ACCEPT', 0],
      ['LOGDROP', null, 2],
    ]);
    expect(filter.chains[1]!.policyCounters).toEqual({ packets: 30, bytes: 2088 });
    const snat = ref.ruleset.tables.nat!.chains.find((c) => c.name === 'SNAT_RULES')!.rules[0]!;
    expect(snat.counters).toEqual({ packets: 123456789, bytes: 98765432100 });
    expect(snat.text).toBe('-A SNAT_RULES -s 192.168.77.0/24 -o wan0 -j SNAT --to-source 198.18.5.10-198.18.5.12 --random-fully');
    const comment = filter.chains[1]!.rules.find((r) => r.target.kind === 'jump')!;
    expect(comment.matches).toContainEqual({ kind: 'comment', text: "it's a 'log' with spaces" });
    expect(comment.source.line).toBeGreaterThan(1);
  });

  it('iptables-save without -c agrees (no counters to compare)', () => {
    const r = parseIptablesSave(lab(`${be}-save.txt`), 'x');
    expect(r.ruleset.tables.nat!.chains[0]!.rules[0]!.counters).toBeNull();
    expect(disagreements(ref.ruleset, r.ruleset, true)).toEqual([]);
  });

  it.each(TABLES)('-L -n -v, -L -n -v -x --line-numbers and -S -v of %s agree', (t) => {
    const l = parseIptablesList(lab(`${be}-L-${t}.txt`), `${be}-L-${t}.txt`);
    expect(Object.keys(l.ruleset.tables)).toEqual([t]);
    expect(disagreements(ref.ruleset, l.ruleset, l.exactCounters)).toEqual([]);
    const lx = parseIptablesList(lab(`${be}-Lx-${t}.txt`), 'x');
    expect(lx.exactCounters).toBe(true);
    expect(lx.warnings.filter((w) => w.code === 'parse')).toEqual([]);
    expect(disagreements(ref.ruleset, lx.ruleset, true)).toEqual([]);
    const s = parseIptablesRulesSpec(lab(`${be}-S-${t}.txt`), 'x');
    expect(Object.keys(s.ruleset.tables)).toEqual([t]);
    expect(disagreements(ref.ruleset, s.ruleset, true)).toEqual([]);
  });

  it('the -L listing rebuilds the canonical rule text of modelled rules', () => {
    const l = parseIptablesList(lab(`${be}-Lx-nat.txt`), 'x');
    const texts = (rs: Ruleset) => rs.tables.nat!.chains.flatMap((c) => c.rules.map((r) => r.text));
    const a = texts(l.ruleset);
    const b = texts(ref.ruleset);
    // Rule order within a line differs only where iptables-save prints -m modules in load order.
    expect(a).toContain('-A SNAT_RULES -s 192.168.77.0/24 -o wan0 -j SNAT --to-source 198.18.5.10-198.18.5.12 --random-fully');
    expect(a.filter((x) => b.includes(x)).length).toBeGreaterThanOrEqual(7);
  });

  it('rounded K/M/G counters of -L are read and compared loosely', () => {
    const l = parseIptablesList(lab(`${be}-L-nat.txt`), 'x');
    expect(l.exactCounters).toBe(false);
    const r = l.ruleset.tables.nat!.chains.find((c) => c.name === 'SNAT_RULES')!.rules[0]!;
    expect(r.counters).toEqual({ packets: 123_000_000, bytes: 99_000_000_000 });
  });

  it('nat and filter listings concatenated without a table name are told apart', () => {
    const l = parseIptablesList(lab(`${be}-L-nat-filter.txt`), 'x');
    expect(Object.keys(l.ruleset.tables)).toEqual(['nat', 'filter']);
    expect(l.warnings.filter((w) => w.code === 'table-guessed')).toEqual([]);
    expect(disagreements(ref.ruleset, l.ruleset, false)).toEqual([]);
  });

  it('-S -v of all tables in one file, each after its command line', () => {
    const s = parseIptablesRulesSpec(lab(`${be}-S-all.txt`), 'x');
    expect(Object.keys(s.ruleset.tables)).toEqual(['raw', 'mangle', 'nat', 'filter']);
    expect(disagreements(ref.ruleset, s.ruleset, true)).toEqual([]);
  });

  it('-L -n (no counters, no interfaces) agrees on what it shows', () => {
    const l = parseIptablesList(lab(`${be}-Ln-filter.txt`), 'x');
    const d = disagreements(ref.ruleset, l.ruleset, true);
    // Without -v the interface columns are missing: only the rules with -i/-o can differ.
    for (const x of d) expect(x.message).toMatch(/differs/);
    expect(d.map((x) => x.message.match(/rule (\d+) of (\w+)/)?.slice(1).join(' '))).toEqual(['6 INPUT', '3 FORWARD', '6 FORWARD']);
  });
});

describe('nft backend while the rules live in legacy tables', () => {
  it('iptables-nft-save keeps the warning as a fact, with its line', () => {
    const r = parseIptablesSave(lab('nft-save-with-legacy-warning.txt'), 'w.txt');
    expect(r.ruleset.legacyTablesPresent).toEqual({ file: 'w.txt', line: 1 });
    expect(r.ruleset.backend).toBe('nft');
    expect(r.ruleset.tables.nat!.chains.map((c) => c.rules.length)).toEqual([0, 0, 0, 0, 0]);
  });

  it('iptables-nft -L keeps it too', () => {
    const r = parseIptablesList(lab('nft-L-with-legacy-warning.txt'), 'w.txt');
    expect(r.ruleset.legacyTablesPresent?.line).toBe(1);
    expect(r.ruleset.backend).toBe('nft');
  });
});

describe('ip6tables-save', () => {
  it('is family 6 and keeps addresses as text', () => {
    const r = parseIptablesSave(lab('legacy-ip6-save-c.txt'), 'x');
    expect(r.ruleset.family).toBe(6);
    expect(r.ruleset.tables.filter!.chains[0]!.rules[0]!.matches).toEqual([
      { kind: 'src', addr: { cidr: null, v6: '2001:db8::/32', negate: false } },
      { kind: 'proto', proto: 58, negate: false },
    ]);
  });
});
