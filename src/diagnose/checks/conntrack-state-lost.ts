import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import { isoNs } from '../../model/time.js';
import type { RuleRef } from '../../model/trace.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import { invalidFacts, lostConnection, type LostConnection } from '../lost-connection.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';

/** Flows cut within this long of each other lost their entries at once (a flush, a restart, a failover). */
const AT_ONCE_NS = 2e9;

export const conntrackStateLost: Check = {
  id: 'conntrack-state-lost',
  description:
    'Beyond the catalogue: established TCP connections stop in mid-stream, both ways, while new ones pass — conntrack lost their entries (a flush, a restart, a failover) and, with nf_conntrack_tcp_loose=0, calls their segments INVALID: never NATed, dropped by a --ctstate INVALID rule, or (to a port forward) taken by the gateway itself, which resets them.',
  rank: 1,
  run(ctx: CheckContext) {
    const hits: { f: AssembledFlow; l: LostConnection }[] = [];
    for (const f of ctx.flows) {
      const l = lostConnection(ctx, f);
      if (l) hits.push({ f, l });
    }
    if (!hits.length) return [];
    const facts = invalidFacts(ctx);
    const rules = new Map<string, RuleRef>();
    for (const { l } of hits) if (l.rule) rules.set(`${l.rule.file}:${l.rule.line}`, l.rule);
    const dropped = hits.filter((h) => h.l.rule);
    const reset = hits.filter((h) => !h.l.rule);
    const counted = [...rules.values()].some((r) => (r.counters?.packets ?? 0) > 0);
    const unlisted = hits.filter((h) => h.l.listed === false);

    const evidence: Evidence[] = [];
    for (const r of rules.values()) evidence.push(ruleEvidence(r));
    evidence.push(...facts.evidence);
    if (unlisted.length) {
      const file = ctx.snapshot?.files.find((x) => x.kind === 'conntrack')?.path ?? 'conntrack -L';
      evidence.push({ kind: 'note', text: `${file} lists no entry for ${unlisted.map((h) => h.f.id).join(', ')}: conntrack no longer tracks ${unlisted.length === 1 ? 'that connection' : 'those connections'}` });
    }
    for (const { f, l } of hits) {
      evidence.push(frameEvidence(ctx, l.packet, `${f.id}: first segment that stopped, in mid-stream — ${l.rule ? `INVALID, dropped by the ${l.rule.chain} rule at ${l.rule.file}:${l.rule.line}` : 'INVALID, not DNATed: the gateway took it for itself'}`));
      for (const p of l.resets.slice(0, 2)) evidence.push(frameEvidence(ctx, p, `${f.id}: the gateway resets the connection in ${ipv4ToString(p.src)}'s name (its own address: the segment was not DNATed)`));
    }

    // When: flows cut within moments of each other lost their entries at once.
    const times = hits.map((h) => h.l.packet).sort((a, b) => a.t - b.t);
    const firstCut = times[0]!;
    const atOnce = hits.length > 1 && times[times.length - 1]!.t - firstCut.t <= AT_ONCE_NS;
    const passedBefore = hits.filter(({ f }) => f.connections.some((c) => c.lastMatchedT >= 0));
    const newPassed = ctx.flows.some((f) => f.sawSyn && f.disposition === 'delivered');
    const confidence = facts.looseValue === null ? 'likely' : facts.looseValue !== 0 ? 'possible' : counted || (facts.invalid ?? 0) > 0 || reset.length ? 'confirmed' : 'likely';
    const randomPorts = hits.some(({ f }) => (f.trace?.rewrites ?? []).some((r) => r.portsMayChange));

    const detail: string[] = [];
    detail.push(
      `${plural(hits.length, 'TCP connection')} stopped in mid-stream${passedBefore.length ? `${passedBefore.length === hits.length ? '' : ` (${passedBefore.map((h) => h.f.id).join(', ')} after passing, translated)`}` : ''}` +
        (atOnce ? `, all within ${Math.max(1, Math.round((times[times.length - 1]!.t - firstCut.t) / 1e6))} ms of ${isoNs(firstCut.tsSec, firstCut.tsNsec)}` : '') +
        `: from then on nothing of ${hits.length === 1 ? 'it' : 'them'} passed, either way${newPassed ? ', while new connections did' : ''}.`,
    );
    detail.push(
      `Conntrack no longer holds ${hits.length === 1 ? 'its entry' : 'their entries'}${unlisted.length ? ` (conntrack -L lists ${unlisted.length === hits.length ? 'none' : `none for ${unlisted.map((h) => h.f.id).join(', ')}`})` : ''} — ${atOnce ? 'lost at once: a flush (conntrack -F), a restart of the gateway, or a failover to a peer that does not share conntrack state' : 'flushed, lost in a restart or failover, or timed out'} — and ` +
        (facts.looseValue === 0
          ? `with ${facts.loose!.key} = 0 (${facts.loose!.source.file}:${facts.loose!.source.line}) it does not take up a connection in mid-stream: a segment without an entry that is not a SYN is INVALID.`
          : facts.looseValue === null
            ? 'a segment without an entry that is not a SYN is INVALID when net.netfilter.nf_conntrack_tcp_loose is 0 (the snapshot does not say).'
            : `${facts.loose!.key} is ${facts.looseValue} (mid-stream pickup on), so only segments outside the TCP window are INVALID: the entries were replaced, or the window went wrong (net.netfilter.nf_conntrack_tcp_be_liberal).`) +
        ' INVALID packets are never NATed.',
    );
    for (const r of rules.values()) {
      const mine = dropped.filter((h) => h.l.rule === r || (h.l.rule && `${h.l.rule.file}:${h.l.rule.line}` === `${r.file}:${r.line}`));
      detail.push(`The ${r.chain} rule at ${r.file}:${r.line} (${r.text}${r.counters ? `; ${r.counters.packets} packets counted` : ''}) drops them (${mine.map((h) => h.f.id).join(', ')}).`);
    }
    if (reset.length) {
      detail.push(
        `Segments to ${[...new Set(reset.map((h) => ipv4ToString(h.f.original.dst)))].join(', ')} (${reset.map((h) => h.f.id).join(', ')}), the gateway's own address, were not DNATed, so they were for the gateway itself, which has no such connection and answered with a reset: the client's connection is gone.`,
      );
    }
    if (facts.invalid) detail.push(`conntrack -S counts ${facts.invalid} INVALID packet${facts.invalid === 1 ? '' : 's'} since boot.`);

    const addrs = [...new Set(hits.map(({ f }) => ipv4ToString(f.original.src)))].slice(0, 3);
    const fix: string[] = [
      ...addrs.map((a) => `conntrack -L -p tcp --orig-src ${a}  # no entry for the stuck connections: their state is gone`),
      ...(facts.looseValue !== 1
        ? [
            "sysctl -w net.netfilter.nf_conntrack_tcp_loose=1; echo 'net.netfilter.nf_conntrack_tcp_loose = 1' > /etc/sysctl.d/90-conntrack-loose.conf  # take up established connections in mid-stream again (the kernel's default)",
          ]
        : []),
      `# or have the clients reconnect: a new connection's SYN makes a new entry and is NATed again${randomPorts ? ' (with --random-fully SNAT, a connection taken up in mid-stream may leave from another port and be reset by the far end anyway)' : ''}`,
      '# next time, delete only the entries meant (conntrack -D -d <address>), not the whole table (conntrack -F); a failover pair keeps established connections only with conntrack state synced to the standby (conntrackd)',
    ];
    return [
      finding(
        'conntrack-state-lost',
        'error',
        confidence,
        `Connections lost their conntrack entries: their segments are INVALID and ${dropped.length && reset.length ? 'stop at the gateway or are reset by it' : dropped.length ? 'the gateway drops them' : 'the gateway resets them'}`,
        detail.join(' '),
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, hits.map((h) => h.f), 2, 6)], 16),
        fix,
        hits.map((h) => h.f),
      ),
    ];
  },
};
