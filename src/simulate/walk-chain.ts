import { ipv4ToString } from '../model/address.js';
import type { Chain, Rule, TableName, Target } from '../model/ruleset.js';
import type { NatRewrite, RuleRef, StepStage, TraceStep, Tuple } from '../model/trace.js';
import { matchRule } from './match-rule.js';
import { setHitsText } from './ipset-match.js';
import { applyConnmark, applyMark } from './mark-target.js';
import { applyDnat, applyMasquerade, applyRedirect, applySnat, type NatEffect } from './nat-target.js';
import { hasPorts, tupleOf } from './packet-state.js';
import { chainLabel, ruleRef } from './rule-ref.js';
import { assume, MAX_MAY_MATCH, WALK_BUDGET, type Walk } from './walk.js';
import { memoOf } from './host-view.js';

/** How one table's hook chain ended for the packet. */
export type HookOutcome =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop'; readonly rule: Rule | null; readonly chain: Chain; readonly rejectWith: string | null; readonly note: string }
  /** The walk cannot predict what happens (a NAT target without the data it needs, a looping ruleset). */
  | { readonly kind: 'unknown'; readonly why: string };

const ACCEPT: HookOutcome = { kind: 'accept' };

/** A chain entered more often than this for one packet means a loop (real rulesets enter a chain a few times). */
const MAX_ENTRIES = 256;

/** Targets that change nothing the packet's fate depends on. */
function harmless(t: Target): boolean {
  return t.kind === 'LOG' || t.kind === 'NFLOG' || t.kind === 'TRACE' || t.kind === 'none';
}

export function targetName(t: Target): string {
  switch (t.kind) {
    case 'jump':
    case 'goto':
      return `${t.kind} ${t.chain}`;
    case 'unknown':
      return t.name;
    case 'none':
      return 'no target';
    default:
      return t.kind;
  }
}

/** `a:sport → b:dport` for port protocols, `a → b (id N)` for ICMP queries. */
export function tupleText(t: Tuple, proto: number): string {
  if (hasPorts(proto)) return `${ipv4ToString(t.src)}:${t.sport} → ${ipv4ToString(t.dst)}:${t.dport}`;
  return `${ipv4ToString(t.src)} → ${ipv4ToString(t.dst)}${t.sport ? ` (id ${t.sport})` : ''}`;
}

function pct(p: number): string {
  return `${Math.round(p * 10000) / 100}%`;
}

/**
 * What a target after which the packet goes on does to it (MARK, CONNMARK, a stateless rewrite, NOTRACK, CT,
 * logging, no target, one not modelled): the trace step it makes. Null for the targets that end the rule's walk.
 */
function goOn(w: Walk, t: Target, ref: RuleRef): { verdict: string; note: string; unsure: boolean } | null {
  const s = w.s;
  switch (t.kind) {
    case 'SET':
      return { verdict: 'SET', note: applySet(w, t, ref), unsure: false };
    case 'MARK':
      return { verdict: 'MARK', ...applyMark(t.args, s) };
    case 'CONNMARK':
      return { verdict: 'CONNMARK', ...applyConnmark(t.args, s) };
    case 'LOG':
    case 'NFLOG':
    case 'TRACE':
      return { verdict: t.kind, note: 'logged; the walk continues', unsure: false };
    case 'CT':
      if (!t.notrack) return { verdict: 'CT', note: `${t.args.join(' ')}: the walk continues`, unsure: false };
      s.ct = 'untracked';
      return { verdict: 'CT --notrack', note: 'not tracked: no conntrack entry, so no NAT', unsure: false };
    case 'NOTRACK':
      s.ct = 'untracked';
      return { verdict: 'NOTRACK', note: 'not tracked: no conntrack entry, so no NAT', unsure: false };
    case 'none':
      return { verdict: 'continue', note: 'a rule without a target only counts', unsure: false };
    case 'unknown':
      return { verdict: t.name, note: `target ${t.name} is not modelled; assumed it lets the packet continue`, unsure: true };
    default:
      return null;
  }
}

/** A stateless rewrite (nftables `ip daddr set A`): the field changes here, no conntrack mapping remembers it. The step's note. */
function applySet(w: Walk, t: Extract<Target, { kind: 'SET' }>, ref: RuleRef): string {
  const s = w.s;
  if ((t.field === 'sport' || t.field === 'dport') && !hasPorts(s.proto)) return `${t.field} set ${t.value}: the packet has no ports; unchanged`;
  const before = tupleOf(s);
  if (t.field === 'saddr') s.src = t.value;
  else if (t.field === 'daddr') s.dst = t.value;
  else if (t.field === 'sport') s.sport = t.value;
  else s.dport = t.value;
  const after = tupleOf(s);
  w.rewrites.push({ kind: t.field === 'saddr' || t.field === 'sport' ? 'SNAT' : 'DNAT', rule: ref, before, after, portsMayChange: false });
  return `${tupleText(before, s.proto)}  ⇒  ${tupleText(after, s.proto)}; stateless (no conntrack mapping: the way back needs its own rewrite)`;
}

/**
 * Walk one table's built-in chain for a hook (ipt_do_table): rules in order, `-j` pushes a return point,
 * `-g` does not (so the end of a goto'd chain returns to the caller's caller, or the policy), RETURN or the end
 * of a user chain pops, the end of the built-in chain applies its policy. NAT targets are terminal (NF_ACCEPT).
 * A rule that may match is recorded and passed over; the walk follows the branch where it did not match.
 */
export function walkHook(w: Walk, table: TableName, hook: string): HookOutcome {
  const chains = w.view.chains[table];
  const start = chains?.get(hook);
  if (!chains || !start) return ACCEPT;
  return walkChain(w, table, chains, start);
}

/**
 * Walk from built-in (base) chain `start` with `chains` for its jumps: an iptables table's chain for a hook, or an
 * nftables base chain (its table's chains; `table` is the iptables table whose place it takes in the trace). The
 * semantics are the same for both: accept ends this chain's walk (the next table or base chain of the hook runs),
 * drop ends the packet, the end of the base chain applies its policy.
 */
export function walkChain(w: Walk, table: TableName, chains: ReadonlyMap<string, Chain>, start: Chain): HookOutcome {
  const stage: StepStage = table;
  const s = w.s;
  const stack: { chain: Chain; pos: number }[] = [{ chain: start, pos: 0 }];
  // goto does not keep its caller on the stack, so a goto cycle escapes the stack check: count entries.
  const entries = new Map<Chain, number>();
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.pos >= f.chain.rules.length) {
      stack.pop();
      continue;
    }
    const rule = f.chain.rules[f.pos++]!;
    if (--w.budget < 0) return { kind: 'unknown', why: `over ${WALK_BUDGET.toLocaleString('en')} rules walked for one packet, the last in ${table} ${f.chain.name}: a goto loop, or more rules than natlens walks` };
    const m = matchRule(rule, s, w.view);
    if (m.verdict === 'no') continue;
    const t = rule.target;
    if (m.verdict === 'maybe') {
      const effectful = !harmless(t);
      if (effectful) w.unsure = true;
      const drops = t.kind === 'DROP' || t.kind === 'REJECT';
      // Past the first MAX_MAY_MATCH, only rules that would drop the packet are still listed (MAX_MAY_MATCH more of
      // them): the diagnosis of an intermittent drop cites them, wherever they stand on the way.
      if (w.mayMatchListed >= MAX_MAY_MATCH && (!drops || w.mayMatchListed >= 2 * MAX_MAY_MATCH)) {
        w.unlisted++;
        continue;
      }
      w.mayMatchListed++;
      const ref = ruleRef(rule);
      const chance = m.probability === null ? 'an unknown share of packets' : `${pct(m.probability)} of packets`;
      w.steps.push({
        stage,
        table,
        chain: f.chain.name,
        rule: ref,
        verdict: 'may-match',
        note: `matches ${chance} (${m.why}); would ${targetName(t)}; the walk goes on as if it did not match`,
        unsure: effectful,
        source: rule.source,
      });
      if (effectful) {
        w.mayMatch.push({ rule: ref, probability: m.probability, target: targetName(t), drops, why: m.why });
      }
      continue;
    }
    const ref = ruleRef(rule);
    const step = (verdict: string, note: string, unsure = false): void => {
      w.steps.push({ stage, table, chain: f.chain.name, rule: ref, verdict, note: m.sets ? `${note} (${setHitsText(m.sets)})` : note, unsure, source: rule.source, ...(m.sets ? { sets: m.sets } : {}) });
      if (unsure) w.unsure = true;
    };
    // An nftables rule's statements before its verdict (a mark, a rewrite, notrack), in order.
    for (const p of rule.pre ?? []) {
      const e = goOn(w, p, ref);
      if (e) step(e.verdict, e.note, e.unsure);
    }
    switch (t.kind) {
      case 'ACCEPT':
        step('ACCEPT', `accepted in ${chainLabel(table, f.chain.name)}`);
        return ACCEPT;
      case 'DROP':
        step('DROP', `dropped by a rule in ${chainLabel(table, f.chain.name)}`);
        return { kind: 'drop', rule, chain: f.chain, rejectWith: null, note: `dropped by ${chainLabel(table, f.chain.name)} rule ${rule.index}` };
      case 'REJECT':
        step('REJECT', `rejected with ${t.rejectWith || 'icmp-port-unreachable'}`);
        return { kind: 'drop', rule, chain: f.chain, rejectWith: t.rejectWith || 'icmp-port-unreachable', note: `rejected by ${chainLabel(table, f.chain.name)} rule ${rule.index}` };
      case 'RETURN':
        step('RETURN', stack.length > 1 ? `back to ${stack[stack.length - 2]!.chain.name}` : `end of ${f.chain.name}: its policy applies`);
        stack.pop();
        continue;
      case 'jump':
      case 'goto': {
        const next = chains.get(t.chain);
        if (!next) {
          step(t.kind, `chain ${t.chain} is not in the snapshot; assumed it returns without effect`, true);
          assume(w, `${table} chain ${t.chain} is referenced but not in the snapshot: assumed it does nothing`);
          continue;
        }
        if (stack.some((x) => x.chain === next)) {
          step(t.kind, `${t.chain} is already being walked (a loop iptables would refuse); not followed`, true);
          continue;
        }
        const n = (entries.get(next) ?? 0) + 1;
        entries.set(next, n);
        if (n > MAX_ENTRIES) return { kind: 'unknown', why: `the rules in ${table} enter ${t.chain} over ${MAX_ENTRIES} times for one packet (a goto loop)` };
        step(t.kind, `→ ${t.chain}${t.kind === 'goto' ? ' (no return here)' : ''}`);
        if (t.kind === 'goto') stack.pop();
        stack.push({ chain: next, pos: 0 });
        continue;
      }
      case 'DNAT':
      case 'SNAT':
      case 'MASQUERADE':
      case 'REDIRECT': {
        const before = tupleOf(s);
        let eff: NatEffect;
        if (t.kind === 'DNAT') eff = applyDnat(t.to, t.random, s);
        else if (t.kind === 'SNAT') eff = applySnat(t.to, t.random, t.randomFully, s);
        else if (t.kind === 'MASQUERADE') eff = applyMasquerade(w.view.interfaces.get(s.outIface), w.nextHop, t.ports, t.random, t.randomFully, s);
        else eff = applyRedirect(w.view.interfaces.get(s.inIface), t.ports, s);
        if (eff.failed !== null) {
          step(t.kind, eff.failed, eff.unsure);
          if (eff.unsure) return { kind: 'unknown', why: eff.failed };
          return { kind: 'drop', rule, chain: f.chain, rejectWith: null, note: eff.failed };
        }
        const after = tupleOf(s);
        if (t.kind === 'DNAT' && t.to.length > 1) {
          // One of several backends (nftables numgen, several --to-destination): the first is a guess; any may be seen.
          w.mayMatch.push({ rule: ref, probability: null, target: 'DNAT', drops: false, why: `DNAT picks one of ${t.to.length} destinations per connection` });
        }
        if (t.kind === 'DNAT' || t.kind === 'REDIRECT') s.dnatDone = true;
        else s.snatDone = true;
        const rw: NatRewrite = { kind: t.kind, rule: ref, before, after, portsMayChange: eff.portsMayChange };
        w.rewrites.push(rw);
        if (eff.portsMayChange) w.portsMayChange = true;
        step(t.kind, `${tupleText(before, s.proto)}  ⇒  ${tupleText(after, s.proto)}${eff.note ? `; ${eff.note}` : ''}`, eff.unsure);
        return ACCEPT;
      }
      default: {
        // Targets after which the packet goes on (marks, rewrites, notrack, logging, unmodelled ones).
        const e = goOn(w, t, ref);
        if (e) step(e.verdict, e.note, e.unsure);
        continue;
      }
    }
  }
  const policy = start.policy ?? 'ACCEPT';
  w.steps.push(policyStep(w, stage, table, start, policy));
  if (policy === 'DROP') return { kind: 'drop', rule: null, chain: start, rejectWith: null, note: `${chainLabel(table, start.name)} policy DROP` };
  return ACCEPT;
}

/**
 * A chain's end-of-chain step (its policy is the chain's own), by stage and table: made once per view, shared by the
 * traces that reach it (steps are never changed).
 */
function policyStep(w: Walk, stage: StepStage, table: TableName, start: Chain, policy: string): TraceStep {
  const byChain = memoOf<Chain, Map<string, TraceStep>>(w.view, 'policy-step');
  let byPlace = byChain.get(start);
  if (byPlace === undefined) {
    byPlace = new Map();
    byChain.set(start, byPlace);
  }
  const key = `${stage}|${table}`;
  let step = byPlace.get(key);
  if (step === undefined) {
    step = {
      stage,
      table,
      chain: start.name,
      rule: null,
      verdict: `policy ${policy}`,
      note: `end of ${chainLabel(table, start.name)}: policy ${policy}`,
      unsure: false,
      source: start.source,
    };
    byPlace.set(key, step);
  }
  return step;
}
