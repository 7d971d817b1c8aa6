/**
 * The Rules view: tables → chains → rules as a tree, with each rule's counters from the snapshot and the
 * flows whose simulated path went through it. Enter on a rule lists those flows.
 */
import type { Analysis, Flow, RuleUsage } from '../../model/analysis.js';
import { TABLE_NAMES } from '../../model/ruleset.js';
import { seg, padStart, type Line } from './text-line.js';
import { fmtCounters, baseName } from './format.js';
import { flowLabel } from './overview-lines.js';
import { staticBody, type OpenTarget, type ViewBody } from './view-body.js';

interface ChainNode {
  readonly name: string;
  readonly rules: RuleUsage[];
}

/** Group by file (when rules come from more than one), table, chain, in file order. */
export function groupRules(rules: readonly RuleUsage[]): { file: string; tables: { table: string; chains: ChainNode[] }[] }[] {
  const files = new Map<string, Map<string, Map<string, ChainNode>>>();
  const sorted = [...rules].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  for (const r of sorted) {
    let tables = files.get(r.file);
    if (!tables) files.set(r.file, (tables = new Map()));
    let chains = tables.get(r.table);
    if (!chains) tables.set(r.table, (chains = new Map()));
    let chain = chains.get(r.chain);
    if (!chain) chains.set(r.chain, (chain = { name: r.chain, rules: [] }));
    chain.rules.push(r);
  }
  const rank = (t: string) => {
    const i = (TABLE_NAMES as readonly string[]).indexOf(t);
    return i < 0 ? 99 : i;
  };
  return [...files].map(([file, tables]) => ({
    file,
    tables: [...tables].sort((a, b) => rank(a[0]) - rank(b[0])).map(([table, chains]) => ({ table, chains: [...chains.values()] })),
  }));
}

/** `-A SHARED_SNAT -s …` under the SHARED_SNAT node reads better without the repeated chain. */
function ruleBody(r: RuleUsage): string {
  const prefix = `-A ${r.chain} `;
  return r.text.startsWith(prefix) ? r.text.slice(prefix.length) : r.text;
}

export function buildRuleTree(a: Analysis, width: number): ViewBody {
  const lines: Line[] = [];
  const selectable: number[] = [];
  const targets: (OpenTarget | null)[] = [];
  const byId = new Map(a.flows.map((f) => [f.id, f]));
  if (a.rules.length === 0) {
    lines.push([seg('No iptables or nftables rules in the snapshot.', { dim: true })]);
    return staticBody([], lines);
  }
  const groups = groupRules(a.rules);
  const FW = 9;
  for (const g of groups) {
    lines.push([seg(g.file, { bold: true, underline: true }), seg('  counters [packets:bytes] as the snapshot shows them', { dim: true })]);
    for (const t of g.tables) {
      lines.push([seg(t.table, { bold: true, color: 'blue' }), seg(' table', { dim: true })]);
      t.chains.forEach((c, ci) => {
        const lastChain = ci === t.chains.length - 1;
        const caught = new Set(c.rules.flatMap((r) => r.flows));
        lines.push([seg(lastChain ? '└─ ' : '├─ ', { dim: true }), seg(c.name, { bold: true }), seg(caught.size > 0 ? `  ${caught.size} flow${caught.size === 1 ? '' : 's'}` : '', { dim: true })]);
        const stem = lastChain ? '   ' : '│  ';
        c.rules.forEach((r, ri) => {
          const lastRule = ri === c.rules.length - 1;
          const branch = stem + (lastRule ? '└─ ' : '├─ ');
          const cont = stem + (lastRule ? '   ' : '│  ');
          // One ruleset file: its line numbers say enough (the file is named in the Inputs view).
          const where = groups.length > 1 ? `${baseName(r.file)}:${r.line}` : `:${r.line}`;
          const counters = fmtCounters(r.counters);
          const zero = r.counters !== null && r.counters.packets === 0;
          const flowsTxt = r.flows.length > 0 ? `${r.flows.length} flow${r.flows.length === 1 ? '' : 's'}` : '';
          const fixed = branch.length + where.length + 1 + counters.length + 1 + FW + 1;
          const body = ruleBody(r);
          const room = Math.max(10, width - fixed);
          const line: Line = [
            seg(branch, { dim: true }),
            seg(where, { color: 'cyan' }),
            seg(' '),
            seg(counters, { color: zero ? 'gray' : 'yellow' }),
            seg(' '),
            seg(body.length > room ? body.slice(0, room - 1) + '…' : body.padEnd(room)),
            seg(' '),
            seg(padStart(flowsTxt, FW), { bold: r.flows.length > 0 }),
          ];
          if (r.flows.length > 0) {
            selectable.push(lines.length);
            targets.push({ kind: 'flows', label: `rule ${baseName(r.file)}:${r.line}`, ids: r.flows });
          }
          lines.push(line);
          if (r.flows.length > 0) {
            const names = r.flows
              .slice(0, 2)
              .map((id) => byId.get(id))
              .filter((f): f is Flow => f !== undefined)
              .map((f) => flowLabel(f).replace(/\s+/g, ' '));
            const more = r.flows.length > names.length ? ` +${r.flows.length - names.length}` : '';
            lines.push([seg(cont + '  ↳ ', { dim: true }), seg(names.join(', ') + more, { dim: true })]);
          }
        });
      });
    }
  }
  return staticBody([], lines, selectable, targets);
}
