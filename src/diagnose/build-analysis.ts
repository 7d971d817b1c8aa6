import type { Analysis, FlowDisposition, Finding, InputFile, RuleUsage } from '../model/analysis.js';
import type { InputWarning } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import { isoNs } from '../model/time.js';
import type { Correlation } from '../correlate/correlate.js';
import { toPublicFlow } from './public-flow.js';
import { VERSION } from '../version.js';
import { TABLE_NAMES } from '../model/ruleset.js';
import { independentCauses } from '../model/causes.js';
import { READ_AS_THEY_COME } from '../correlate/capture-merge.js';

export interface BuildInput {
  readonly correlation: Correlation;
  readonly snapshot: Snapshot | null;
  readonly findings: readonly Finding[];
  readonly inputs: readonly InputFile[];
  readonly captureFiles: readonly string[];
  readonly warnings: readonly InputWarning[];
}

const WORDS: Record<FlowDisposition, string> = {
  delivered: 'delivered',
  'stopped-at-gateway': 'stopped at the gateway',
  'forwarded-untranslated': 'forwarded untranslated',
  'translation-mismatch': 'translated unlike the rules',
  'no-reply': 'without a reply',
  'reply-not-returned': 'with replies not returned',
  partial: 'partly lost',
  local: 'local to the gateway',
  'outside-capture': 'outside the captures',
};

function sentence(findings: readonly Finding[], byDisposition: Partial<Record<FlowDisposition, number>>, flows: number, warnings: readonly InputWarning[]): string {
  // A capture read out of time order (it could not be read again per interface: standard input, one interface): first.
  const disorder = warnings.find((w) => w.code === 'out-of-time-order' && w.message.endsWith(READ_AS_THEY_COME));
  const s = judged(findings, byDisposition, flows, warnings);
  if (!disorder) return s;
  return `${disorder.file === '-' ? 'standard input' : disorder.file} is not in time order (captures joined one after the other), so copies across it were not matched: not to be trusted — ${s}`;
}

function judged(findings: readonly Finding[], byDisposition: Partial<Record<FlowDisposition, number>>, flows: number, warnings: readonly InputWarning[]): string {
  const [top, ...more] = independentCauses(findings);
  const counts = Object.entries(byDisposition)
    .filter(([, n]) => n)
    .sort((a, b) => b[1] - a[1])
    .map(([d, n]) => `${n} ${WORDS[d as FlowDisposition]}`)
    .join(', ');
  if (top) {
    const also = more.length ? `; also: ${more[0]!.title}${more.length > 1 ? ` (and ${more.length - 1} more)` : ''}` : '';
    return `Packets stop: ${top.title}${top.confidence === 'confirmed' ? '' : ` (${top.confidence})`}${also} — ${flows} flows: ${counts}.`;
  }
  if (!flows) return 'No IPv4 flows to judge in the captures.';
  if ((byDisposition['outside-capture'] ?? 0) + (byDisposition.local ?? 0) === flows) {
    const why = warnings.find((w) => w.code === 'no-overlap') ?? warnings.find((w) => w.code === 'egress-not-captured') ?? warnings.find((w) => w.code === 'answered-not-captured');
    return `No flow could be followed through the gateway — ${flows} flows: ${counts}${why ? `; ${why.message}` : ''}.`;
  }
  const warn = findings.find((f) => f.severity === 'warning');
  return `No packets stop at the gateway — ${flows} flows: ${counts}${warn ? `; note: ${warn.title}` : ''}.`;
}

/** Assemble the public Analysis (the JSON contract) from the correlation and the findings. */
export function buildAnalysis(b: BuildInput): Analysis {
  const c = b.correlation;
  const flows = c.flows.map((f) => toPublicFlow(f, c, b.captureFiles, b.snapshot));
  const byDisposition: Partial<Record<FlowDisposition, number>> = {};
  for (const f of flows) byDisposition[f.disposition] = (byDisposition[f.disposition] ?? 0) + 1;
  const verdict = b.findings.some((f) => f.severity === 'error') ? 'packets-stop' : 'ok';

  const usage = new Map<string, Set<string>>();
  for (const f of c.flows) {
    for (const s of f.trace?.steps ?? []) {
      if (!s.rule) continue;
      const k = `${s.rule.file}:${s.rule.line}`;
      const set = usage.get(k) ?? new Set<string>();
      set.add(f.id);
      usage.set(k, set);
    }
  }
  const rules: RuleUsage[] = [];
  for (const t of TABLE_NAMES) {
    for (const chain of b.snapshot?.rules?.tables[t]?.chains ?? []) {
      for (const r of chain.rules) {
        rules.push({
          file: r.source.file,
          line: r.source.line,
          table: t,
          chain: r.chain,
          text: r.text,
          counters: r.counters,
          flows: [...(usage.get(`${r.source.file}:${r.source.line}`) ?? [])].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))),
        });
      }
    }
  }
  // nftables' chains, each once (a rule a set expanded into several is one line of the listing).
  const nftChains = new Set((b.snapshot?.nft?.baseChains ?? []).flatMap((x) => [...x.chains.values()]));
  const listed = new Set<string>();
  for (const chain of nftChains) {
    for (const r of chain.rules) {
      const k = `${r.source.file}:${r.source.line}`;
      if (listed.has(k)) continue;
      listed.add(k);
      rules.push({ file: r.source.file, line: r.source.line, table: r.table, chain: r.chain, text: r.text, counters: r.counters, flows: [...(usage.get(k) ?? [])].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))) });
    }
  }
  const windows = c.windows.flatMap((w) =>
    (w.interfaces.length ? w.interfaces : ['']).map((iface) => {
      // An interface of a merged capture: its own frames' span.
      const span = w.spans?.find((sp) => sp.iface === iface);
      const first = span?.first ?? w.first;
      const last = span?.last ?? w.last;
      return {
        iface,
        file: w.file,
        first: first ? isoNs(first.sec, first.nsec) : null,
        last: last ? isoNs(last.sec, last.nsec) : null,
        packets: span?.packets ?? w.packets,
      };
    }),
  );
  return {
    tool: { name: 'natlens', version: VERSION },
    inputs: b.inputs,
    summary: { verdict, sentence: sentence(b.findings, byDisposition, flows.length, b.warnings), flows: flows.length, byDisposition },
    findings: b.findings,
    flows,
    warnings: b.warnings,
    interfaces: { inside: c.roles.inside, outside: c.roles.outside, how: c.roles.how },
    capture: {
      windows,
      overlap: c.overlap ? { first: isoNs(c.overlap.from.sec, c.overlap.from.nsec), last: isoNs(c.overlap.to.sec, c.overlap.to.nsec) } : null,
      clockOffsetNs: c.clockOffsetNs,
    },
    rules,
  };
}
