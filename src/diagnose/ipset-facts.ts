/**
 * What the checks say of ipset sets: the lookups that made a rule match (the walk's step keeps them), as evidence
 * lines of the snapshot's `ipset save` / `ipset list`, and the commands that change what a set holds.
 */
import type { Evidence } from '../model/analysis.js';
import type { RuleRef, SetHit, Trace } from '../model/trace.js';

/** The ipset lookups that made rule `rule` match in walk `t` (the step it decided), or none. */
export function setHitsAt(t: Trace, rule: RuleRef): readonly SetHit[] {
  const step = [...t.steps].reverse().find((s) => s.rule && s.rule.file === rule.file && s.rule.line === rule.line && s.sets);
  return step?.sets ?? [];
}

/** A set's member that held the packet, or the set's listing when the packet was not in it (`! --match-set`). */
export function setHitEvidence(h: SetHit): Evidence {
  if (h.member) return { kind: 'ipset', file: h.member.source.file, line: h.member.source.line, text: `set ${h.set}: ${h.member.text} — ${h.member.nomatch ? 'an exception for' : 'holds'} ${h.values}` };
  return { kind: 'ipset', file: h.setSource.file, line: h.setSource.line, text: `set ${h.set} holds no member for ${h.values}` };
}

/** The element a member was added as (its first word: `198.51.100.0/24`, `10.0.0.1,tcp:80`), without its options. */
export function memberElement(text: string): string {
  return text.split(/\s+/)[0] ?? text;
}

/** Where ipset's sets are kept to be restored at boot, before the rules that use them. */
export const IPSET_PERSIST = 'ipset save > /etc/iptables/ipsets  # persist the sets where ipset-persistent restores them at boot, before the rules that use them';
