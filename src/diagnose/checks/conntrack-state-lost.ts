import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import { isoNs } from '../../model/time.js';
import type { RuleRef } from '../../model/trace.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import { invalidFacts, lostConnection, type LostConnection } from '../lost-connection.js';
import { isPrivateIpv4, type AssembledFlow } from '../../correlate/flow-assembly.js';
import { addRuleCommand, hookChain } from '../rule-commands.js';

function endpoint(e: { readonly src: number; readonly sport: number }): string {
  return `${ipv4ToString(e.src)}:${e.sport}`;
}

/** Flows cut within this long of each other lost their entries at once (a flush, a restart, a failover). */
const AT_ONCE_NS = 2e9;

export const conntrackStateLost: Check = {
  id: 'conntrack-state-lost',
  description:
    'Beyond the catalogue: established TCP connections break in mid-stream while new ones pass — conntrack lost their entries (a flush, a restart, a failover) and, with nf_conntrack_tcp_loose=0, calls their segments INVALID: never NATed, dropped by a --ctstate INVALID rule, or (sent to an EIP) taken by the gateway itself, which resets them; with pickup on, a new entry translates them anew (another port) and the far end resets them.',
  rank: 1,
  run(ctx: CheckContext) {
    const hits: { f: AssembledFlow; l: LostConnection }[] = [];
    for (const f of ctx.flows) {
      const l = lostConnection(ctx, f);
      if (l) hits.push({ f, l });
    }
    if (!hits.length) return [];
    const facts = invalidFacts(ctx);
    const dropped = hits.filter((h) => h.l.face === 'dropped');
    const reset = hits.filter((h) => h.l.face === 'reset');
    const again = hits.filter((h) => h.l.face === 'retranslated');
    const leaked = hits.filter((h) => h.l.face === 'untranslated');
    const invalid = [...dropped, ...reset, ...leaked];
    const rules = new Map<string, RuleRef>();
    for (const { l } of dropped) rules.set(`${l.rule!.file}:${l.rule!.line}`, l.rule!);
    const counted = [...rules.values()].some((r) => (r.counters?.packets ?? 0) > 0);
    const unlisted = invalid.filter((h) => h.l.listed === false);

    const evidence: Evidence[] = [];
    for (const r of rules.values()) evidence.push(ruleEvidence(r));
    if (invalid.length || facts.looseValue === 1) evidence.push(...facts.evidence);
    if (unlisted.length) {
      const file = ctx.snapshot?.files.find((x) => x.kind === 'conntrack')?.path ?? 'conntrack -L';
      evidence.push({ kind: 'note', text: `${file} lists no entry for ${unlisted.map((h) => h.f.id).join(', ')}: conntrack no longer tracks ${unlisted.length === 1 ? 'that connection' : 'those connections'}` });
    }
    for (const { f, l } of hits) {
      if (l.face === 'untranslated') {
        evidence.push(frameEvidence(ctx, l.packet, `${f.id}: in mid-stream, untranslated (INVALID, not NATed): it left as ${endpoint(l.before!)} until now`));
        continue;
      }
      if (l.face === 'retranslated') {
        if (l.rule) evidence.push(ruleEvidence(l.rule));
        evidence.push(frameEvidence(ctx, l.packet, `${f.id}: in mid-stream, translated anew: it left as ${endpoint(l.before!)} until now`));
        for (const p of l.resets.slice(0, 2)) evidence.push(frameEvidence(ctx, p, `${f.id}: the far end resets the connection it does not know`));
        continue;
      }
      evidence.push(frameEvidence(ctx, l.packet, `${f.id}: first segment that stopped, in mid-stream — ${l.rule ? `INVALID, dropped by the ${l.rule.chain} rule at ${l.rule.file}:${l.rule.line}` : 'INVALID, not DNATed: the gateway took it for itself'}`));
      for (const p of l.resets.slice(0, 2)) evidence.push(frameEvidence(ctx, p, `${f.id}: the gateway resets the connection in ${ipv4ToString(p.src)}'s name (its own address: the segment was not DNATed)`));
    }

    // When: flows cut within moments of each other lost their entries at once.
    const times = hits.map((h) => h.l.packet).sort((a, b) => a.t - b.t);
    const firstCut = times[0]!;
    const spreadNs = times[times.length - 1]!.t - firstCut.t;
    const atOnce = hits.length > 1 && spreadNs <= AT_ONCE_NS;
    const newPassed = ctx.flows.some((f) => f.sawSyn && f.disposition === 'delivered');
    // Two translations of one connection are proof in the captures; INVALID needs the sysctl to be sure.
    const confidence = again.length || leaked.length
      ? 'confirmed'
      : facts.looseValue === null ? 'likely' : facts.looseValue !== 0 ? 'possible' : counted || (facts.invalid ?? 0) > 0 || reset.length ? 'confirmed' : 'likely';
    const randomPorts = hits.some(({ f }) => (f.trace?.rewrites ?? []).some((r) => r.portsMayChange));
    const ids = (hs: typeof hits): string => hs.map((h) => h.f.id).join(', ');

    const detail: string[] = [];
    detail.push(
      `${plural(hits.length, 'TCP connection')} broke in mid-stream` +
        (atOnce ? `, all within ${Math.max(1, Math.round(spreadNs / 1e6))} ms of ${isoNs(firstCut.tsSec, firstCut.tsNsec)}` : '') +
        `${newPassed ? ', while new connections passed' : ''}. Conntrack had lost ${hits.length === 1 ? 'its entry' : 'their entries'}${unlisted.length ? ` (conntrack -L lists ${unlisted.length === hits.length ? 'none' : `none for ${ids(unlisted)}`})` : ''} — ${atOnce ? 'at once: a flush (conntrack -F), a restart of the gateway, or a failover to a peer that does not share conntrack state' : 'flushed, lost in a restart or failover, or timed out'}.`,
    );
    if (invalid.length) {
      detail.push(
        (facts.looseValue === 0
          ? `With ${facts.loose!.key} = 0 (${facts.loose!.source.file}:${facts.loose!.source.line}) conntrack does not take up a connection in mid-stream: a segment without an entry that is not a SYN is INVALID`
          : facts.looseValue === null
            ? 'A segment without an entry that is not a SYN is INVALID when net.netfilter.nf_conntrack_tcp_loose is 0 (the snapshot does not say)'
            : `${facts.loose!.key} is ${facts.looseValue} (mid-stream pickup on), so only segments outside the TCP window are INVALID: the entries were replaced, or the window went wrong (net.netfilter.nf_conntrack_tcp_be_liberal)`) +
          `, and INVALID packets are never NATed (${ids(invalid)}).`,
      );
    }
    for (const r of rules.values()) {
      const mine = dropped.filter((h) => `${h.l.rule!.file}:${h.l.rule!.line}` === `${r.file}:${r.line}`);
      detail.push(`The ${r.chain} rule at ${r.file}:${r.line} (${r.text}${r.counters ? `; ${r.counters.packets} packets counted` : ''}) drops them (${ids(mine)}): from then on nothing of ${mine.length === 1 ? 'it' : 'them'} passed, either way.`);
    }
    if (reset.length) {
      detail.push(
        `Segments to ${[...new Set(reset.map((h) => ipv4ToString(h.f.original.dst)))].join(', ')} (${ids(reset)}), the gateway's own address, were not DNATed, so they were for the gateway itself, which has no such connection and answered with a reset: the client's connection is gone.`,
      );
    }
    for (const { f, l } of again) {
      detail.push(
        `${f.id} left as ${endpoint(l.before!)} and then, from a segment in mid-stream, as ${endpoint(l.after!)}: conntrack took the connection up again as a new one${facts.looseValue !== null ? ` (${facts.loose!.key} = ${facts.looseValue})` : ''} and the nat table translated it afresh` +
          (l.rule ? ` — the ${l.rule.chain} rule at ${l.rule.file}:${l.rule.line}${/--random/.test(l.rule.text) ? ', whose --random-fully picks a new port,' : ''} gave it another` : '') +
          `. The far end knows only the first${l.resets.length ? ' and reset the connection' : ''}.`,
      );
    }
    for (const { f, l } of leaked) {
      detail.push(
        `${f.id} left as ${endpoint(l.before!)} and then, from a segment in mid-stream, untranslated, from its own address ${ipv4ToString(l.after!.src)}: no rule drops INVALID packets, so it went out as it came. The far end ${isPrivateIpv4(l.after!.src) ? 'cannot answer a private address' : 'knows only the first'}.`,
      );
    }
    if (facts.invalid) detail.push(`conntrack -S counts ${facts.invalid} INVALID packet${facts.invalid === 1 ? '' : 's'} since boot.`);

    const addrs = [...new Set(hits.map(({ f }) => ipv4ToString(f.original.src)))].slice(0, 3);
    const fix: string[] = [
      ...addrs.map((a) => `conntrack -L -p tcp --orig-src ${a}  # the broken connections' entries: gone, or made anew in mid-stream`),
      ...(invalid.length && facts.looseValue !== 1
        ? [
            "sysctl -w net.netfilter.nf_conntrack_tcp_loose=1; echo 'net.netfilter.nf_conntrack_tcp_loose = 1' > /etc/sysctl.d/90-conntrack-loose.conf  # take up established connections in mid-stream again (the kernel's default)",
          ]
        : []),
      ...(leaked.length
        ? [`${addRuleCommand(hookChain(ctx.snapshot, 'filter', 'FORWARD'), { iptables: '-m conntrack --ctstate INVALID -j DROP', nft: 'ct state invalid drop' }, true)}  # what conntrack cannot place is never NATed: drop it rather than let private addresses out`]
        : []),
      `# the clients must reconnect: a new connection's SYN makes a new entry and is NATed as it should be${randomPorts && invalid.length ? ' (with --random-fully SNAT, a connection taken up in mid-stream may leave from another port and be reset by the far end anyway)' : ''}`,
      '# next time, delete only the entries meant (conntrack -D -d <address>), not the whole table (conntrack -F); a failover pair keeps established connections only with conntrack state synced to the standby (conntrackd)',
    ];
    const faces = [dropped.length ? 'dropped at the gateway' : '', reset.length ? 'reset by the gateway' : '', again.length ? 'translated anew and reset by the far end' : '', leaked.length ? 'leaving untranslated' : ''].filter(Boolean);
    return [
      finding(
        'conntrack-state-lost',
        'error',
        confidence,
        `Connections lost their conntrack entries in mid-stream: ${faces.join(', ')}`,
        detail.join(' '),
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, hits.map((h) => h.f), 2, 6)], 16),
        fix,
        hits.map((h) => h.f),
      ),
    ];
  },
};
