import type { Evidence } from '../../model/analysis.js';
import type { MayMatch, RuleRef } from '../../model/trace.js';
import { Proto } from '../../model/packet.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { policyEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { chainAt, pct, plural, stoppedFrameEvidence } from '../flow-facts.js';
import { lostConnection } from '../lost-connection.js';
import { actsOnIngress, qdiscDrops, qdiscEvidence, where } from '../qdisc-facts.js';
import { deleteRuleCommand } from '../rule-commands.js';

export const intermittentDrop: Check = {
  id: 'intermittent-drop',
  description: 'A share of a flow’s packets stop at the gateway while the rest pass translated: a probabilistic rule, a rate limit, or nothing visible.',
  rank: 5,
  run(ctx: CheckContext) {
    // Partly lost flows; and, once some are, flows whose few packets all fell to the same rule that only
    // sometimes matches (a one-packet UDP exchange whose reply was dropped).
    // A flow cut in mid-stream because conntrack lost it is conntrack-state-lost's, not a share lost.
    const partial = ctx.flows.filter((f) => f.disposition === 'partial' && !lostConnection(ctx, f));
    if (!partial.length) return oneSideOnly(ctx);
    const flows = ctx.flows.filter(
      (f) =>
        !lostConnection(ctx, f) &&
        (f.disposition === 'partial' ||
          ((f.disposition === 'reply-not-returned' || f.disposition === 'stopped-at-gateway') && (f.trace?.mayMatch ?? []).some((m) => m.drops))),
    );
    let judged = 0;
    let lost = 0;
    for (const f of flows) {
      const j = f.requestsJudged + f.repliesJudged;
      judged += j;
      lost += Math.round((f.lossRate ?? 0) * j);
    }
    const evidence: Evidence[] = [];
    const seen = new Set<string>();
    let explained = false;
    for (const f of flows) {
      for (const m of f.trace?.mayMatch ?? []) {
        if (!m.drops) continue;
        explained = true;
        const k = `${m.rule.file}:${m.rule.line}`;
        if (seen.has(k)) continue;
        seen.add(k);
        evidence.push(...uncertainRuleEvidence(m));
      }
    }
    // A rule that accepts only some packets (a rate limit, -m statistic) in front of a drop: what it does not
    // accept, the drop takes (`-m limit --limit 10/s -j ACCEPT` then `-j DROP`, or the chain's policy DROP).
    const gateFixes: string[] = [];
    for (const f of flows) {
      const t = f.trace;
      if (!t || t.disposition.kind !== 'dropped') continue;
      const gate = t.mayMatch.find((m) => !m.drops && m.target === 'ACCEPT');
      if (!gate) continue;
      explained = true;
      const d = t.disposition;
      const k = `${gate.rule.file}:${gate.rule.line}`;
      if (seen.has(k)) continue;
      seen.add(k);
      evidence.push(ruleEvidence(gate.rule));
      let rest: string;
      if (d.rule) {
        evidence.push(ruleEvidence(d.rule));
        rest = `the ${d.rule.chain} rule at ${d.rule.file}:${d.rule.line} (${d.rule.text}) drops the rest`;
        gateFixes.push(`${deleteRuleCommand(d.rule)}  # or raise the limit of the rule at ${k}`);
      } else {
        // The policy of the chain that dropped (the gate may sit in a chain of its own that returns to it).
        const at = chainAt(ctx, d.source);
        if (at) evidence.push(policyEvidence(at.table, at.chain));
        rest = `the rest fall to ${d.note}`;
        gateFixes.push(raiseLimitFix(gate.rule));
      }
      evidence.push({ kind: 'note', text: `${gate.rule.chain} rule at ${k} accepts only some packets (${gate.why}); ${rest}` });
    }
    // Drops outside netfilter, on the flows' interfaces: a shaper's queue or a policer in tc (tc -s qdisc).
    const shapers = explained ? [] : qdiscDrops(ctx, flows);
    const tcDropped = shapers.reduce((n, q) => n + q.dropped!, 0);
    for (const q of shapers) evidence.push(...qdiscEvidence(q));
    for (const f of flows) {
      evidence.push({
        kind: 'note',
        text:
          `${f.id}: ${Math.max(0, f.requestsJudged - f.forwarded)} of ${f.requestsJudged} requests and ${Math.max(0, f.repliesJudged - f.repliesReturned)} of ${f.repliesJudged} replies lost` +
          (f.disposition === 'partial' ? ` (${pct(f.lossRate ?? 0)})` : ` (${f.disposition})`),
      });
    }
    // The captures' own losses (pcapng interface statistics): a packet the capture dropped looks exactly like
    // one the gateway dropped. Unless a rule explains the loss, as many capture drops as losses mean the
    // gateway may have lost nothing.
    const captureDrops = ctx.correlation.windows.reduce((n, w) => n + (w.dropped ?? 0), 0);
    for (const w of ctx.correlation.windows) {
      if (w.dropped) evidence.push({ kind: 'note', text: `${w.file}: the capture itself lost ${w.dropped} packet${w.dropped === 1 ? '' : 's'} (interface statistics)` });
    }
    const maybeCapture = !explained && !shapers.length && captureDrops > 0;
    const dropKeys = [...seen].filter((k) => flows.some((f) => (f.trace?.mayMatch ?? []).some((m) => m.drops && `${m.rule.file}:${m.rule.line}` === k)));
    const tcFixes = shapers.flatMap((q) => [
      `tc -s qdisc show dev ${q.dev}  # the ${q.kind} qdisc on ${where(q)}: its dropped count grows with the lost packets`,
      actsOnIngress(q)
        ? `tc -s filter show dev ${q.dev} ingress  # the policer that drops: raise its rate and burst, or remove it (tc qdisc del dev ${q.dev} ingress)`
        : `# raise the shaper's rate, burst or queue limit (tc qdisc change dev ${q.dev} ${q.parent || 'root'} ${q.kind} …), or remove it: tc qdisc del dev ${q.dev} ${q.parent || 'root'}`,
    ]);
    if (shapers.length) tcFixes.push("# Kube-OVN: an EIP's or a NAT gateway's QoS policy sets these (kubectl get qos-policies; the EIP's qosPolicy)");
    const fixes = shapers.length ? tcFixes : explained
      ? dropKeys.map((k) => `# remove or correct the rule at ${k}`).concat(gateFixes,
          flows
            .flatMap((f) => f.trace?.mayMatch ?? [])
            .filter((m) => m.drops)
            .map((m) => deleteRuleCommand(m.rule))
            .filter((x, i, a) => a.indexOf(x) === i),
        )
      : ['# no rule explains the loss: check rate limits and drops on the gateway: nstat -az | grep -i drop; tc -s qdisc; ip -s link'];
    if (maybeCapture) fixes.push('# the captures lost packets themselves: capture again with a bigger buffer (tcpdump -B 16384, dumpcap -B 64) and a filter for the flows in question');
    return [
      finding(
        'intermittent-drop',
        maybeCapture && captureDrops >= lost ? 'warning' : 'error',
        explained || (shapers.length && tcDropped >= lost) ? 'confirmed' : shapers.length ? 'likely' : 'possible',
        'Some packets stop at the gateway, the rest pass',
        `${plural(flows.length, 'flow')} lost ${lost} of ${judged} packets at the gateway (${pct(judged ? lost / judged : 0)} overall); the packets that passed were translated as expected.` +
          (explained
            ? gateFixes.length
              ? ' A rule accepts only some of them (a rate limit or a random match) and a drop after it takes the rest.'
              : ' A rule that matches only some packets drops them.'
            : shapers.length
              ? ` No iptables rule drops them; tc does: ${shapers.map((q) => `the ${q.kind} qdisc on ${where(q)} dropped ${q.dropped}`).join(', ')} — a rate limit outside netfilter. ${shapers.every((q) => !actsOnIngress(q)) ? 'tcpdump sees a packet leave only after the qdisc, so the dropped ones never show leaving' : 'tcpdump sees a packet arrive before ingress tc, so the dropped ones show arriving and go nowhere'}.`
              : ' No rule in the snapshot explains it.') +
          (maybeCapture ? ` The captures themselves lost ${captureDrops} packet${captureDrops === 1 ? '' : 's'}: ${captureDrops >= lost ? 'that could be all of the loss' : 'part of the loss may be theirs'}.` : ''),
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows, 2, 6)], 20),
        fixes,
        flows,
      ),
    ];
  },
};

/** What mends a rule that accepts only some packets (a rate limit) in front of a drop. */
function raiseLimitFix(rule: RuleRef): string {
  return `# raise the limit of the rule at ${rule.file}:${rule.line}, or accept the flows before it (${rule.text})`;
}

/** A rule that matches only some packets: the rule, and what makes it uncertain. */
function uncertainRuleEvidence(m: MayMatch): Evidence[] {
  const at = `${m.rule.file}:${m.rule.line}`;
  return [ruleEvidence(m.rule), { kind: 'note', text: `${m.rule.chain} rule at ${at} ${m.why}${m.probability !== null ? ` (drops with probability ${m.probability})` : ''}` }];
}

/**
 * Only one interface captured, so no flow can be judged partly lost: flows that came in by it and got replies to some
 * of their requests and not to others, whose walk meets a rule that lets only some packets pass (a rate limit's ACCEPT
 * before a drop, a random drop). Likely: where the others stopped is not seen.
 */
function oneSideOnly(ctx: CheckContext): ReturnType<Check['run']> {
  if (ctx.correlation.ifaces.length !== 1) return [];
  const gated = (f: AssembledFlow): MayMatch[] => {
    const t = f.trace;
    if (!t) return [];
    const random = t.mayMatch.filter((m) => m.drops && m.probability !== null);
    const gate = t.disposition.kind === 'dropped' ? t.mayMatch.filter((m) => !m.drops && m.target === 'ACCEPT') : [];
    return [...random, ...gate];
  };
  // Echo requests and datagrams, whose replies answer them one for one (TCP's do not).
  const flows = ctx.flows.filter(
    (f) => f.proto !== Proto.TCP && f.disposition === 'outside-capture' && f.ingressIface >= 0 && f.egress === null && f.replies > 0 && f.replies < f.requests && gated(f).length > 0,
  );
  if (!flows.length) return [];
  const requests = flows.reduce((n, f) => n + f.requests, 0);
  const answered = flows.reduce((n, f) => n + f.replies, 0);
  const rules = new Map(flows.flatMap(gated).map((m) => [`${m.rule.file}:${m.rule.line}`, m] as const));
  const evidence: Evidence[] = [];
  for (const m of rules.values()) evidence.push(...uncertainRuleEvidence(m));
  for (const f of flows) {
    const d = f.trace!.disposition;
    if (d.kind === 'dropped' && d.rule) evidence.push(ruleEvidence(d.rule));
  }
  const captured = ctx.correlation.ifaces[0]!;
  const drops = flows.map((f) => f.trace!.disposition).flatMap((d) => (d.kind === 'dropped' && d.rule ? [d.rule] : []));
  return [
    finding(
      'intermittent-drop',
      'error',
      'likely',
      'Some packets stop at the gateway, the rest pass',
      `${plural(flows.length, 'flow')} that came in by ${captured} got replies to ${answered} of ${requests} requests (${pct((requests - answered) / requests)} unanswered). ` +
        `Only ${captured} was captured, so where the others stopped is not seen; but the snapshot's rules let only some of these packets through (${[...rules.values()].map((m) => `the ${m.rule.chain} rule at ${m.rule.file}:${m.rule.line}`).join(', ')}): most likely they stop at the gateway. Capture the other interface too to see it.`,
      uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows, 2, 6)], 20),
      [
        ...[...rules.values()].map((m) => (m.drops ? deleteRuleCommand(m.rule) : raiseLimitFix(m.rule))),
        ...drops.map((r) => deleteRuleCommand(r)).filter((x, i, a) => a.indexOf(x) === i),
      ],
      flows,
    ),
  ];
}
