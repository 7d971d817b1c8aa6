import type { Command } from 'commander';
import { loadSnapshotFromInputs } from '../gateway/load-snapshot.js';
import { InputError } from '../model/errors.js';
import type { NftRuleset } from '../model/nftables.js';
import type { Ruleset, TableName } from '../model/ruleset.js';
import { TABLE_NAMES } from '../model/ruleset.js';
import { renderRulesText } from '../present/rules-text.js';
import { EXIT, action } from './run-action.js';

interface RulesOptions {
  readonly format?: string;
  readonly table?: string;
}

/** `natlens rules BUNDLE_OR_FILE… [--format text|json] [--table T]`: the ruleset as a tree, with counters and lines. */
export function registerRules(program: Command): void {
  program
    .command('rules')
    .description('show the netfilter ruleset a snapshot holds: per table and chain, with policies, counters and file:line, and the ipset sets its rules look up; forms that disagree are reported')
    .argument('<inputs...>', 'a bundle directory, or snapshot files (iptables-save, iptables -L -n -v, iptables -S, nft list ruleset, ipset save)')
    .option('--format <format>', 'text or json', 'text')
    .option('--table <table>', `only this table (${TABLE_NAMES.join(', ')})`)
    .action(action((inputs: string[], opts: RulesOptions) => runRules(inputs, opts)));
}

function onlyTable(rs: Ruleset | null, t: TableName | undefined): Ruleset | null {
  if (rs === null || t === undefined) return rs;
  const table = rs.tables[t];
  return { ...rs, tables: table ? { [t]: table } : {} };
}

export function runRules(inputs: readonly string[], opts: RulesOptions): number {
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new InputError('usage', 'rules', `--format ${JSON.stringify(format)}: use text or json`);
  let table: TableName | undefined;
  if (opts.table !== undefined) {
    if (!(TABLE_NAMES as readonly string[]).includes(opts.table)) {
      throw new InputError('usage', 'rules', `--table ${JSON.stringify(opts.table)}: use one of ${TABLE_NAMES.join(', ')}`);
    }
    table = opts.table as TableName;
  }
  const snap = loadSnapshotFromInputs(inputs);
  if (snap.rules === null && snap.rules6 === null && !snap.nft?.baseChains.length) {
    throw new InputError('no-input', inputs[0] ?? 'rules', 'no rules found (iptables-save, iptables -L -n -v, iptables -S or nft list ruleset output)');
  }
  const rules = onlyTable(snap.rules, table);
  const rules6 = onlyTable(snap.rules6, table);
  if (table !== undefined && !rules?.tables[table] && !rules6?.tables[table]) {
    throw new InputError('no-input', inputs[0] ?? 'rules', `the snapshot has no ${table} table`);
  }
  const disagreements = snap.disagreements.filter((d) => table === undefined || d.table === table);
  if (format === 'json') {
    const ipsets = snap.host.ipsets ? [...snap.host.ipsets.values()] : null;
    process.stdout.write(`${JSON.stringify({ rules, rules6, nft: nftJson(snap.nft ?? null), ipsets, disagreements, files: snap.files, warnings: snap.warnings }, null, 2)}\n`);
  } else {
    process.stdout.write(renderRulesText({ rules, rules6, nft: table ? null : (snap.nft ?? null), ipsets: table ? null : (snap.host.ipsets ?? null), disagreements, files: snap.files, warnings: snap.warnings, ...(table ? { table } : {}) }));
  }
  return EXIT.OK;
}

/** The nftables base chains for JSON: each with its table's chains as a list (a Map does not serialise). */
function nftJson(nft: NftRuleset | null): unknown {
  if (!nft) return null;
  return {
    file: nft.file,
    baseChains: nft.baseChains.map((b) => ({ family: b.family, table: b.table, type: b.type, hook: b.hook, priority: b.priority, stage: b.stage, chain: b.chain.name })),
    chains: [...new Map(nft.baseChains.flatMap((b) => [...b.chains])).values()],
    skippedTables: nft.skippedTables,
  };
}
