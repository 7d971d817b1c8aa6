import type { Evidence } from '../../model/analysis.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { conntrackStatsEvidence, errorEvidence, frameEvidence, policyEvidence, ruleEvidence, sysctlAt, sysctlEvidence, uniqueEvidence } from '../evidence.js';
import { ipv4ToString } from '../../model/address.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import { chainOf, droppedBy, nftForwardChains, errorsDroppedInForward, isFragNeeded, gatewayResets, plural, repliesDroppedBy, replyTrace, ruleOf, stoppedFrameEvidence, unrelayedError, unrelayedErrorTrace } from '../flow-facts.js';
import type { DropReason, MayMatch, Trace } from '../../model/trace.js';
import { actsOnIngress, qdiscDrops, qdiscEvidence, where } from '../qdisc-facts.js';
import { addRuleCommand, chainTool, chainWriter, deleteRuleCommand, firewalldZone, hookChain, persistCommands, type ChainPlace } from '../rule-commands.js';
import type { Chain, Rule, TableName } from '../../model/ruleset.js';
import { ruleRef } from '../../simulate/rule-ref.js';
import { IPSET_PERSIST, memberElement, setHitEvidence, setHitsAt } from '../ipset-facts.js';
import { rejectIcmp } from '../../simulate/reject-icmp.js';

/** Gateway-sent ICMP errors that REJECT produces (RFC 1812 admin-prohibited and the reject-with types). */
function isRejectError(type: number, code: number): boolean {
  return type === 3 && (code === 1 || code === 2 || code === 3 || code === 9 || code === 10 || code === 13);
}

/** Drops by a rule or policy on the forwarding path: filter FORWARD, and raw/mangle/nat PREROUTING or POSTROUTING (a blocklist). */
const CHAIN_DROPS: readonly DropReason[] = ['forward-chain', 'prerouting-chain', 'postrouting-chain'];
const HOOK: Partial<Record<DropReason, string>> = { 'forward-chain': 'FORWARD', 'prerouting-chain': 'PREROUTING', 'postrouting-chain': 'POSTROUTING' };

/**
 * Where a drop happened, as "filter FORWARD", "raw PREROUTING": the table and the hook whose walk reached it; an
 * nftables chain as nft names it, "nftables inet filter forward" (iptables-nft's own chains as iptables does).
 */
function placeOf(ctx: CheckContext, t: Trace): string {
  const d = t.disposition;
  if (d.kind !== 'dropped') return 'filter FORWARD';
  const at = dropChain(ctx, t);
  return at.place.tool === 'nft' ? `nftables ${at.place.chain}` : `${at.table} ${HOOK[d.reason] ?? 'FORWARD'}`;
}

/** The chain whose rule or policy dropped a walk's packet (the last chain it walked), and who changes it. */
function dropChain(ctx: CheckContext, t: Trace): { table: TableName; chain: string; place: ChainPlace } {
  const d = t.disposition;
  const step = [...t.steps].reverse().find((s) => s.table && s.chain);
  const table = (d.kind === 'dropped' ? d.rule?.table : undefined) ?? step?.table ?? 'filter';
  const chain = (d.kind === 'dropped' ? d.rule?.chain : undefined) ?? step?.chain ?? 'FORWARD';
  return { table, chain, place: chainTool(ctx.snapshot, table, chain) };
}

/** The rule that lets ICMP errors about tracked connections (RELATED) through `place`, at its head. */
function acceptRelated(place: ChainPlace): string {
  return addRuleCommand(place, { iptables: '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', nft: 'ct state established,related accept' }, true);
}

export const forwardChainDrop: Check = {
  id: 'forward-chain-drop',
  description: 'The filter FORWARD chain (its policy or a DROP/REJECT rule) drops the flow, or a DROP rule in raw/mangle/nat PREROUTING or POSTROUTING on its path (a blocklist); REJECT sends an ICMP error back on the ingress side. Also (likely or possible) the stops the snapshot would not cause, when it lacks the filter table or its rules would forward them.',
  rank: 1,
  run(ctx: CheckContext) {
    const stopped = ctx.flows.filter((f) => f.disposition === 'stopped-at-gateway' && CHAIN_DROPS.some((r) => droppedBy(f, r)));
    // Flows forwarded one way whose replies FORWARD drops (a rule for one direction, `-i <if> -j DROP`).
    const repliesStopped = ctx.flows.filter((f) => CHAIN_DROPS.some((r) => repliesDroppedBy(ctx, f, r)));
    // Flows forwarded whose ICMP errors from beyond (fragmentation needed above all) FORWARD drops: RELATED not accepted.
    const errorsStopped = ctx.flows.filter((f) => !stopped.includes(f) && !repliesStopped.includes(f) && errorsDroppedInForward(ctx, f));
    const flows = [...stopped, ...repliesStopped, ...errorsStopped].sort((a, b) => a.firstT - b.firstT);
    if (!flows.length) return [];
    const evidence: Evidence[] = [];
    const fixes: string[] = [];
    const seen = new Set<string>();
    const places = new Set<string>();
    // The tools whose rules the fixes change (to persist them), and the chains that drop the RELATED errors.
    const tools = new Set<'iptables' | 'nft'>();
    const relatedChains = new Map<string, ChainPlace>();
    const relatedPlaces = new Set<string>();
    // A front end that owns the chain that dropped flows (Docker's or ufw's FORWARD policy, firewalld's rules): which,
    // the jump that tells Docker's and ufw's apart, and those flows.
    let frontend: { readonly kind: Frontend; readonly jump: Rule | null } | null = null;
    const frontendFlows: AssembledFlow[] = [];
    /** What the sets a dropping rule looks packets up in hold of these flows (`src 10.0.0.7 is in ipset set blocklist`). */
    const heldBy: string[] = [];
    for (const f of flows) {
      const related = errorsStopped.includes(f) ? unrelayedErrorTrace(ctx, f)! : null;
      if (related) evidence.push(errorEvidence(ctx, related.error, `about ${f.id}, from beyond the gateway: never relayed to ${ipv4ToString(f.original.src)} — FORWARD drops it (RELATED)`));
      const t = related ? related.trace : f.disposition === 'reply-not-returned' ? replyTrace(ctx, f)! : f.trace!;
      const d = t.disposition;
      if (d.kind !== 'dropped') continue;
      if (!related) places.add(placeOf(ctx, t));
      const at = dropChain(ctx, t);
      if (related) {
        relatedChains.set(at.chain, at.place);
        relatedPlaces.add(placeOf(ctx, t));
      }
      // A front end's own rules (firewalld's, ufw's) are persisted by it, not by saving the ruleset.
      const writer = chainWriter(at.chain);
      const firewalld = writer === 'firewalld';
      // A rule that drops by what an ipset set holds (a blocklist): the members that held these packets. Taking them
      // off the set is the fix, not deleting the rule, which stays for the rest of the list.
      const members = d.rule && !firewalld ? setHitsAt(t, d.rule).filter((h) => h.member !== null && !h.member.nomatch && !h.negate) : [];
      if (!writer && !members.length) tools.add(at.place.tool);
      if (d.rule) {
        for (const h of setHitsAt(t, d.rule)) evidence.push(setHitEvidence(h));
        for (const h of members) {
          const del = `ipset del ${h.set} ${memberElement(h.member!.text)}  # ${h.values} is in the set the rule at ${d.rule.file}:${d.rule.line} drops by`;
          if (!fixes.includes(del)) fixes.push(del);
          const held = `${h.values} is in ipset set ${h.set}`;
          if (!heldBy.includes(held)) heldBy.push(held);
        }
        const k = `${d.rule.file}:${d.rule.line}`;
        if (!seen.has(k)) {
          seen.add(k);
          evidence.push(ruleEvidence(d.rule));
          // firewalld's rules are its own: it writes them anew at every reload; zones and policies change them.
          if (firewalld) frontend ??= { kind: 'firewalld', jump: null };
          else if (!members.length) fixes.push(deleteRuleCommand(d.rule));
        }
        if (firewalld && !related) frontendFlows.push(f);
      } else {
        const { table, chain: chainName, place } = at;
        const chain = chainOf(ctx, table, chainName);
        const k = `policy:${table}:${chainName}`;
        if (!seen.has(k) && chain) {
          seen.add(k);
          evidence.push(policyEvidence(table, chain));
          const managed = place.tool === 'iptables' && place.table === 'filter' && place.chain === 'FORWARD' ? frontendOf(ctx, chain) : null;
          if (managed) {
            // The front end sets the policy itself: -P FORWARD ACCEPT would not last, its own way does.
            frontend = managed;
            evidence.push(ruleEvidence(ruleRef(managed.jump)));
          } else {
            const policy = place.tool === 'nft' ? `nft chain ${place.chain} '{ policy accept; }'` : `iptables ${place.table === 'filter' ? '' : `-t ${place.table} `}-P ${place.chain} ACCEPT`;
            fixes.push(`${policy}  # or allow the flows explicitly, e.g. ${acceptRelated(place)}`);
          }
        }
        if (frontend && !related && place.tool === 'iptables' && place.table === 'filter' && place.chain === 'FORWARD') frontendFlows.push(f);
      }
      for (const e of f.errors) if (e.fromGateway && isRejectError(e.type, e.code)) evidence.push(errorEvidence(ctx, e, `REJECT answer for ${f.id}`));
      for (const p of gatewayResets(f)) evidence.push(frameEvidence(ctx, p, `REJECT answer for ${f.id}: a TCP reset the gateway sent in ${ipv4ToString(p.src)}'s name`));
    }
    if (frontend) fixes.unshift(...frontendFixes(ctx, frontend.kind, frontendFlows));
    fixes.unshift(...[...relatedChains.values()].map((p) => `${acceptRelated(p)}  # ICMP errors about tracked connections (RELATED) pass, fragmentation needed among them`));
    // ufw keeps its rules itself (iptables-save's file would fight it at boot).
    if (frontend?.kind === 'ufw' && relatedChains.size === 0) tools.delete('iptables');
    fixes.push(...persistCommands(tools));
    if (heldBy.length) fixes.push(IPSET_PERSIST);
    const icmpRejected = flows.some((f) => f.errors.some((e) => e.fromGateway && isRejectError(e.type, e.code)));
    const resetRejected = flows.some((f) => gatewayResets(f).length > 0);
    const rejected = icmpRejected || resetRejected;
    const answers = [icmpRejected ? 'ICMP errors' : '', resetRejected ? 'TCP resets' : ''].filter(Boolean).join(' and ');
    return [
      finding(
        'forward-chain-drop',
        'error',
        'confirmed',
        stopped.length || repliesStopped.length
          ? `The ${[...places].join(' and ')} chain${places.size > 1 ? 's drop' : ' drops'} the traffic`
          : errorsStopped.map((f) => unrelayedErrorTrace(ctx, f)!.error).some((e) => isFragNeeded(e.type, e.code))
            ? `The ${[...relatedPlaces].join(' and ')} chain drops fragmentation needed (RELATED): a path MTU black hole`
            : `The ${[...relatedPlaces].join(' and ')} chain drops the ICMP errors about the flows (RELATED)`,
        (stopped.length
          ? `${plural(stopped.length, 'flow')} reached the gateway and ${stopped.length === 1 ? 'was' : 'were'} dropped in ${[...new Set(stopped.map((f) => placeOf(ctx, f.trace!)))].join(' and ')}${rejected ? ` (REJECT: ${answers} went back on the ingress side)` : ', silently'}.`
          : '') +
          (repliesStopped.length
            ? `${stopped.length ? ' ' : ''}${plural(repliesStopped.length, 'flow')} ${repliesStopped.length === 1 ? 'was' : 'were'} forwarded, but ${repliesStopped.length === 1 ? 'its replies were' : 'their replies were'} dropped in ${[...new Set(repliesStopped.map((f) => placeOf(ctx, replyTrace(ctx, f)!)))].join(' and ')} on their way back.`
            : '') +
          (errorsStopped.length ? ` ${relatedSentence(ctx, errorsStopped, [...relatedPlaces].join(' and '))}` : '') +
          (heldBy.length ? ` The rule drops what a set holds, and ${heldBy.slice(0, 3).join(', ')}${heldBy.length > 3 ? ` (and ${heldBy.length - 3} more)` : ''}.` : '') +
          (frontend ? ` ${frontendSentence(frontend.kind, frontend.jump, ctx.flows.some((f) => f.proto === 1 && f.disposition === 'delivered'))}` : ''),
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
        fixes,
        flows,
      ),
    ];
  },
  unexplained: unexplainedStopFinding,
};

/**
 * Flows that stopped at the gateway, silently or not, although the snapshot would forward them: the cause is
 * not in the snapshot. Forwarding is decided by the forwarding sysctls and the filter FORWARD chain; with the
 * sysctls on, what the snapshot most often lacks is FORWARD's rules — a snapshot of the nat table only
 * (`iptables-save -t nat`), rules in the other iptables backend (legacy / nf_tables) or in a native nftables
 * table, which hook forward all the same. Likely when the snapshot holds no filter table and the sysctls say
 * forwarding is on; possible otherwise (its FORWARD chain would accept them).
 */
function unexplainedStopFinding(ctx: CheckContext, flows: readonly AssembledFlow[]): ReturnType<Check['run']> {
  const rules = ctx.snapshot?.rules ?? null;
  const filter = rules?.tables.filter ?? null;
  const haveSysctls = ctx.snapshot?.host.have.sysctls ?? false;
  const evidence: Evidence[] = [];
  // What the snapshot says about forwarding: the sysctl lines each flow's walk read.
  for (const f of flows) {
    for (const s of f.trace?.steps ?? []) {
      if (s.stage !== 'forwarding') continue;
      const sys = sysctlAt(ctx, s.source);
      if (sys) evidence.push(sysctlEvidence(sys));
    }
  }
  const forward = filter?.chains.find((c) => c.name === 'FORWARD');
  if (forward) evidence.push(policyEvidence('filter', forward));
  const nftForward = nftForwardChains(ctx);
  for (const b of nftForward) evidence.push(policyEvidence(b.stage, b.chain));
  const missing = !ctx.snapshot
    ? 'there is no snapshot of the gateway'
    : nftForward.length
      ? null
      : !rules
      ? 'the snapshot holds no iptables rules'
      : !filter
        ? `the snapshot holds no filter table (${rules.sources.map((s) => `${s.file}: ${s.tables.join(', ') || 'no table'}`).join('; ')})`
        : null;
  if (missing) evidence.push({ kind: 'note', text: `${missing}: the FORWARD chain that decides what is forwarded is not known` });
  const stopped = flows.filter((f) => f.disposition === 'stopped-at-gateway');
  const replies = flows.filter((f) => f.disposition === 'reply-not-returned');
  const swallowed = flows.filter((f) => f.disposition !== 'stopped-at-gateway' && f.disposition !== 'reply-not-returned' && unrelayedError(ctx, f));
  for (const f of swallowed.slice(0, 4)) evidence.push(errorEvidence(ctx, unrelayedError(ctx, f)!, `about ${f.id}, from beyond the gateway: never relayed to ${ipv4ToString(f.original.src)}`));
  // Resets the gateway sent in the far end's name: a REJECT (--reject-with tcp-reset) the snapshot does not hold.
  const resets = flows.flatMap((f) => gatewayResets(f).map((p) => ({ f, p })));
  for (const { f, p } of resets.slice(0, 4)) evidence.push(frameEvidence(ctx, p, `${f.id}: a TCP reset the gateway sent in ${ipv4ToString(p.src)}'s name, as REJECT --reject-with tcp-reset does`));
  // ICMP errors the gateway sent for destinations its own routes reach: REJECT's answers (--reject-with icmp-…).
  const rejects = flows.flatMap((f) => f.errors.filter((e) => e.fromGateway && e.type === 3).map((e) => ({ f, e })));
  for (const { f, e } of rejects.slice(0, 4)) evidence.push(errorEvidence(ctx, e, `${f.id}: an ICMP error from the gateway, as REJECT --reject-with icmp-… sends`));
  // conntrack's own drops (conntrack -S, counted since boot): a table full at the time drops new connections so.
  const ctStats = ctx.snapshot?.host.conntrackStats ?? null;
  const ctDrops = ctStats && ctStats.drop > 0 ? ctStats : null;
  if (ctDrops) {
    evidence.push(conntrackStatsEvidence(ctDrops, ctDrops.dropLines, `drop=${ctDrops.drop}`));
    evidence.push({ kind: 'note', text: `conntrack counted ${ctDrops.drop} dropped packet${ctDrops.drop === 1 ? '' : 's'} since boot: a conntrack table full while the captures ran drops new connections just so` });
  }
  // Rules on the flows' way that drop what they match, and whose matching natlens cannot decide (-m set, -m
  // recent, an option not modelled): the snapshot holds the drop after all, behind a match it cannot evaluate.
  const suspects = new Map<string, MayMatch>();
  for (const f of flows) {
    const t = f.disposition === 'reply-not-returned' ? replyTrace(ctx, f) : f.trace;
    for (const m of t?.mayMatch ?? []) if (m.drops && m.probability === null) suspects.set(`${m.rule.file}:${m.rule.line}`, m);
  }
  for (const m of suspects.values()) {
    evidence.unshift({ kind: 'note', text: `${m.rule.table} ${m.rule.chain} rule at ${m.rule.file}:${m.rule.line} ${m.target === 'REJECT' ? 'rejects' : 'drops'} what it matches; whether it matches these packets is not known: ${m.why}` });
    evidence.unshift(ruleEvidence(m.rule));
  }
  // tc drops on the flows' interfaces (a policer on ingress, a shaper's queue on egress): outside netfilter.
  const shapers = qdiscDrops(ctx, flows);
  for (const q of shapers) evidence.push(...qdiscEvidence(q));
  const suspect = [...suspects.values()][0] ?? null;
  // The gateway's own ICMP errors for these flows, of the kind the suspect REJECT sends: it did match them.
  const code = suspect ? rejectCode(ctx, suspect) : null;
  const proven = code !== null && flows.some((f) => f.errors.some((e) => e.fromGateway && e.type === 3 && e.code === code));
  const confidence = proven ? 'confirmed' : suspect || (missing && haveSysctls) ? 'likely' : 'possible';
  // Where forwarding is decided, in the tool that owns it: iptables' FORWARD, or nftables' forward chain.
  const forwardPlace = hookChain(ctx.snapshot, 'filter', 'FORWARD');
  const what: string[] = [];
  if (stopped.length) what.push(`${plural(stopped.length, 'flow')} reached the gateway and ${stopped.length === 1 ? 'was' : 'were'} not forwarded`);
  if (replies.length) what.push(`the replies of ${plural(replies.length, 'flow')} arrived and ${replies.length === 1 ? 'was' : 'were'} not forwarded back`);
  if (swallowed.length) what.push(`the ICMP errors about ${plural(swallowed.length, 'flow')} (${[...new Set(swallowed.map((f) => icmpWords(unrelayedError(ctx, f)!)))].join(', ')}) arrived from beyond and were not relayed back`);
  const sentence = what.join(', and ');
  const why = suspect
    ? `The snapshot holds a rule that would drop them, behind a match natlens cannot evaluate: the ${suspect.rule.chain} rule at ${suspect.rule.file}:${suspect.rule.line} (${suspect.rule.text}${suspect.rule.counters ? `; ${suspect.rule.counters.packets} packets counted` : ''}) — ${suspect.why}.` +
      (proven ? ` The gateway answered them with the very ICMP error it rejects with (code ${code}): it matched them.` : '') +
      (suspects.size > 1 ? ` ${suspects.size - 1} more such rule${suspects.size > 2 ? 's' : ''} in the evidence.` : '')
    : missing
    ? `${haveSysctls ? 'The forwarding sysctls are on, and ' : 'The snapshot has no forwarding sysctls, and '}${missing}: a DROP or REJECT in filter FORWARD is the most likely cause.`
    : 'The snapshot would forward them (forwarding sysctls on, its FORWARD chain accepts them): what drops them is not in it — rules in the other iptables backend (legacy / nf_tables) or in a native nftables table, a tc filter or an XDP/eBPF program on the way in (tcpdump sees packets before them), or rules changed since it was taken.';
  // Nothing at all forwarded, either way: also what forwarding off looks like. A snapshot taken after the fix
  // (or after the reboot that reset the sysctl back on) shows it on.
  const nothingForwarded = !ctx.flows.some((f) => f.forwarded > 0);
  const timing = nothingForwarded && haveSysctls
    ? ' Nothing at all was forwarded, as when forwarding is off: if the sysctls were changed between the captures and the snapshot, that was it.'
    : '';
  return [
    finding(
      'forward-chain-drop',
      'error',
      confidence,
      suspect
        ? proven
          ? `The ${suspect.rule.chain} rule at ${suspect.rule.file}:${suspect.rule.line} rejects the traffic`
          : `Dropped at the gateway, most likely by the ${suspect.rule.chain} rule at ${suspect.rule.file}:${suspect.rule.line}, whose match natlens cannot evaluate`
        : 'Dropped at the gateway by something the snapshot does not show, most likely filter FORWARD',
      `${sentence[0]!.toUpperCase()}${sentence.slice(1)}. ${why}${timing}${resets.length ? ' The gateway answered TCP with resets in the far end\'s name without forwarding anything: a REJECT --reject-with tcp-reset.' : ''}${rejects.length && !proven ? ' It answered with ICMP errors too, though its routes reach the destination: a REJECT answers so.' : ''}`,
      uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
      [
        ...[...suspects.values()].flatMap((m) => suspectFixes(m)),
        ...(swallowed.length ? [`${acceptRelated(forwardPlace)}  # ICMP errors about tracked connections are RELATED: a FORWARD that accepts ESTABLISHED only drops them`] : []),
        'iptables-save -c  # every table with counters: the rule whose counter grows with the lost packets is the one',
        'iptables-legacy-save -c; iptables-nft-save -c  # both backends: rules in either one apply',
        'nft list ruleset  # native nftables tables hook forward too',
        ...[...new Set(flows.filter((f) => f.ingressIface >= 0).map((f) => ctx.ifaceName(f.ingressIface)))].slice(0, 2).map((i) => `tc -s filter show dev ${i} ingress; ip -d link show dev ${i} | grep -i xdp  # drops before netfilter, after tcpdump`),
        ...(haveSysctls && !timing ? [] : ['sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding  # forwarding now, and in /etc/sysctl.d at boot']),
        forwardPlace.tool === 'nft'
          ? `nft -a list chain ${forwardPlace.chain}  # then: nft delete rule ${forwardPlace.chain} handle <handle> of the rule that drops them`
          : 'iptables -L FORWARD -n -v --line-numbers  # then: iptables -D FORWARD <number> of the rule that drops them',
        ...shapers.map((q) => `tc -s qdisc show dev ${q.dev}; tc -s filter show dev ${q.dev}${actsOnIngress(q) ? ' ingress' : ''}  # the ${q.kind} qdisc on ${where(q)} counted drops`),
        ...(ctDrops ? ["conntrack -S; dmesg | grep 'table full'  # drop= growing while new connections stop: the conntrack table fills (net.netfilter.nf_conntrack_count vs nf_conntrack_max)"] : []),
      ],
      flows,
    ),
  ];
}

function icmpWords(e: { readonly type: number; readonly code: number; readonly mtu: number }): string {
  return isFragNeeded(e.type, e.code) ? `fragmentation needed${e.mtu ? `, mtu ${e.mtu}` : ''}` : `ICMP type ${e.type} code ${e.code}`;
}

/** What dropping the flows' ICMP errors (RELATED) means: for fragmentation needed, a path MTU black hole. */
function relatedSentence(ctx: CheckContext, flows: readonly AssembledFlow[], where: string): string {
  const errors = flows.map((f) => unrelayedErrorTrace(ctx, f)!.error);
  const senders = [...new Set(errors.map((e) => ipv4ToString(e.src)))].slice(0, 3).join(', ');
  const fragNeeded = errors.filter((e) => isFragNeeded(e.type, e.code));
  const mtus = [...new Set(fragNeeded.map((e) => e.mtu).filter((m) => m > 0))];
  return (
    `${plural(flows.length, 'flow')} ${flows.length === 1 ? 'was' : 'were'} forwarded, and the ICMP errors ${senders} sent about ${flows.length === 1 ? 'it' : 'them'} were dropped in ${where}: they are RELATED to the flows' connections, and the chain accepts ESTABLISHED packets but not RELATED ones.` +
    (fragNeeded.length
      ? ` Among them fragmentation needed${mtus.length ? ` (mtu ${mtus.join(', ')})` : ''}: the senders never learn the path's MTU and their large packets never get through — a path MTU black hole (small ones pass).`
      : '')
  );
}

/** The ICMP destination-unreachable code a REJECT rule sends (`--reject-with`, nft's `reject with …`; port-unreachable by default); null for others. */
function rejectCode(ctx: CheckContext, m: MayMatch): number | null {
  if (m.target !== 'REJECT') return null;
  const rule = ruleOf(ctx, m.rule);
  const w = rule?.target.kind === 'REJECT' ? rule.target.rejectWith : (/--reject-with\s+(\S+)/.exec(m.rule.text)?.[1] ?? 'icmp-port-unreachable');
  return rejectIcmp(w)?.code ?? null;
}

/** How to settle a rule natlens could not evaluate: look at what its match depends on, then remove the rule. */
function suspectFixes(m: MayMatch): string[] {
  const out: string[] = [];
  for (const x of m.rule.text.matchAll(/--match-set\s+(\S+)\s+(\S+)/g)) out.push(`ipset list ${x[1]}  # are these flows' ${x[2]} addresses in the set? then remove them: ipset del ${x[1]} <address>`);
  for (const x of m.rule.text.matchAll(/-m recent\b.*?--name\s+(\S+)/g)) out.push(`cat /proc/net/xt_recent/${x[1]}  # the addresses the recent match holds`);
  out.push(`${deleteRuleCommand(m.rule)}  # if it is the one: its counter grows with the lost packets`);
  return out;
}

/** The firewall front ends that own a FORWARD chain and set its policy (firewalld: its rules) themselves. */
type Frontend = 'docker' | 'ufw' | 'firewalld';

/**
 * Whose FORWARD chain this is, told by a jump to a chain of theirs: Docker's (DOCKER-USER: dockerd puts the policy
 * back to DROP at every start) or ufw's (ufw-before-forward: DEFAULT_FORWARD_POLICY). Null for a chain of one's own.
 */
function frontendOf(ctx: CheckContext, chain: Chain): { kind: Frontend; jump: Rule } | null {
  for (const r of chain.rules) {
    if (r.target.kind !== 'jump') continue;
    const to = chainTool(ctx.snapshot, 'filter', r.target.chain).chain;
    if (to === 'DOCKER-USER') return { kind: 'docker', jump: r };
    if (to === 'ufw-before-forward') return { kind: 'ufw', jump: r };
  }
  return null;
}

function frontendSentence(kind: Frontend, jump: Rule | null, pingsPass: boolean): string {
  const at = jump ? `${jump.source.file.split('/').pop()}:${jump.source.line}` : '';
  if (kind === 'firewalld') {
    return "The chain is firewalld's (table inet firewalld), which forwards between zones only where a policy says so and within a zone only where the zone's forward is on, and rejects the rest; it writes its rules anew at every reload, so they are changed through firewall-cmd, not nft.";
  }
  return kind === 'docker'
    ? `The FORWARD chain is Docker's (${at} jumps to DOCKER-USER): Docker sets its policy to DROP each time it starts, and forwards only its containers' traffic; DOCKER-USER is where it keeps the rules that let other traffic through.`
    : `The FORWARD chain is ufw's (${at} jumps to ufw-before-forward): its policy, ufw's DEFAULT_FORWARD_POLICY, drops what no \`ufw route\` rule allows; ufw's own rules let replies, ICMP errors and echo requests through${pingsPass ? ' — so ping works while the rest does not' : ''}.`;
}

/**
 * What lets a router's traffic through a front end's FORWARD chain, for each way the flows went (in → out), in the
 * front end's own terms, which last: Docker — ACCEPT rules in DOCKER-USER, which it leaves alone when it restarts
 * (and for the replies, ESTABLISHED and RELATED, where the other way is not accepted whole); ufw — route rules,
 * which it keeps in its own files; firewalld — a policy from the zone of the way in to the zone of the way out (or
 * forward within their one zone), made permanent and reloaded.
 */
function frontendFixes(ctx: CheckContext, kind: Frontend, flows: readonly AssembledFlow[]): string[] {
  const { inside, outside } = ctx.correlation.roles;
  const pairs = new Map<string, [string, string]>();
  for (const f of flows) {
    const from = f.ingressIface >= 0 ? ctx.ifaceName(f.ingressIface) : null;
    const to = from === inside ? outside : from === outside ? inside : null;
    const pair: [string, string] = [from ?? '<in-interface>', to ?? '<out-interface>'];
    pairs.set(pair.join(' '), pair);
  }
  if (kind === 'firewalld') {
    const run = (cmds: string[]): string => [...cmds.map((c) => `firewall-cmd --permanent ${c}`), 'firewall-cmd --reload'].join(' && ');
    const out = [...pairs.values()].map(([from, to]) => {
      const [a, b] = [firewalldZone(ctx.snapshot, from), firewalldZone(ctx.snapshot, to)];
      if (a && a === b) return `${run([`--zone=${a} --add-forward`])}  # ${from} and ${to} are both in zone ${a}: forward within it`;
      const za = a ?? `<zone of ${from}>`;
      const zb = b ?? `<zone of ${to}>`;
      // firewalld takes policy names of at most 18 characters.
      const name = a && b ? `${a.slice(0, 8)}-${b.slice(0, 9)}` : 'natgw-forward';
      return `${run([`--new-policy=${name}`, `--policy=${name} --add-ingress-zone=${za}`, `--policy=${name} --add-egress-zone=${zb}`, `--policy=${name} --set-target=ACCEPT`])}  # ${from} is in zone ${za}, ${to} in ${zb}: a policy forwards from one to the other`;
    });
    return [...new Set(out), ...(out.some((c) => c.includes('<zone of')) ? ['firewall-cmd --get-active-zones  # which zone each interface is in'] : [])];
  }
  if (kind === 'ufw') {
    return [
      ...[...pairs.values()].map(([from, to]) => `ufw route allow in on ${from} out on ${to}  # ufw keeps the rule across reboots; replies pass by its own rules`),
      '# or: ufw default allow routed  # forward whatever no ufw rule denies',
    ];
  }
  return [...pairs.values()].flatMap(([from, to]) => [
    `iptables -I DOCKER-USER -i ${from} -o ${to} -j ACCEPT  # Docker keeps FORWARD's policy at DROP; rules in DOCKER-USER last across its restarts`,
    ...(pairs.has(`${to} ${from}`) ? [] : [`iptables -I DOCKER-USER -i ${to} -o ${from} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT  # the replies`]),
  ]);
}
