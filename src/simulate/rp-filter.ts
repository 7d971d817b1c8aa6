import { ipv4ToString } from '../model/address.js';
import type { Sysctl } from '../model/host.js';
import type { TraceDisposition } from '../model/trace.js';
import { sysctl, sysctlInt } from './host-view.js';
import { flowKeys, haveRoutes, lookupRoute } from './route-lookup.js';
import { assume, type Walk } from './walk.js';

function maxConf(w: Walk, name: string): { value: number; cite: Sysctl | null } {
  const all = sysctl(w.view, `net.ipv4.conf.all.${name}`);
  const dev = sysctl(w.view, `net.ipv4.conf.${w.s.inIface}.${name}`);
  const a = sysctlInt(all) ?? -1;
  const d = sysctlInt(dev) ?? -1;
  if (a < 0 && d < 0) return { value: -1, cite: null };
  return a > d ? { value: a, cite: all! } : { value: d, cite: dev! };
}

/**
 * Source validation (fib_validate_source, net/ipv4/fib_frontend.c). The effective rp_filter is
 * max(conf.all, conf.<ingress>) (IN_DEV_MAXCONF). Strict (1): the route back to the source must leave by the
 * ingress interface. Loose (2): any unicast route back is enough. With no route back at all both drop. Even
 * with rp_filter 0 a packet whose source is one of the gateway's own addresses is a martian unless
 * accept_local is set. The drop is silent.
 */
export function checkRpFilter(w: Walk): TraceDisposition | null {
  const s = w.s;
  const view = w.view;
  const src = ipv4ToString(s.src);
  const base = { stage: 'rp-filter' as const, table: null, chain: null, rule: null, unsure: false };
  const drop = (note: string, source: Sysctl | null): TraceDisposition => {
    w.steps.push({ ...base, verdict: 'DROP', note, source: source?.source ?? null });
    return { kind: 'dropped', stage: 'rp-filter', reason: 'rp-filter', rule: null, source: source?.source ?? null, icmpBack: null, note };
  };
  const own = view.localAddrs.get(s.src);
  if (own) {
    const acc = maxConf(w, 'accept_local');
    if (acc.value !== 1) return drop(`martian source: ${src} is the gateway's own address (on ${own.iface.name}) and accept_local is ${acc.value < 0 ? 'not in the snapshot (default 0)' : acc.value}`, acc.cite);
  }
  const rp = maxConf(w, 'rp_filter');
  if (rp.value < 0) {
    assume(w, `rp_filter for ${s.inIface} is not in the snapshot: assumed 0 (the kernel default), no source validation`);
    return null;
  }
  if (rp.value === 0) return null;
  const mode = rp.value === 1 ? 'strict' : 'loose';
  if (!haveRoutes(view)) {
    assume(w, `rp_filter is ${rp.value} (${mode}) but the snapshot holds no routes: the reverse-path check was not made`);
    return null;
  }
  // fib_validate_source: the reverse lookup is made as if the host sent to the source (iif lo), unmarked unless
  // src_valid_mark is set — so `ip rule … iif <interface>` does not apply to it; the protocol is the packet's, its
  // ports swapped (the way back).
  const validMark = sysctlInt(sysctl(view, `net.ipv4.conf.${s.inIface}.src_valid_mark`)) === 1 || sysctlInt(sysctl(view, 'net.ipv4.conf.all.src_valid_mark')) === 1;
  const rev = lookupRoute(view, s.src, { src: s.dst, iif: 'lo', mark: validMark ? s.mark : 0, ...flowKeys(s.proto, s.dport, s.sport) });
  const head = `rp_filter ${rp.value} (${mode}, ${rp.cite!.key} = ${rp.cite!.value}): route back to ${src}`;
  if (rev.kind === 'none') return drop(`${head}: none — no route back to the source`, rp.cite);
  if (rev.kind === 'local') return drop(`${head}: it is local (${rev.why}) — a martian source`, rp.cite);
  const r = rev.route;
  if (r.type !== 'unicast' && r.type !== 'other') return drop(`${head}: ${r.text} is a ${r.type} route`, rp.cite);
  const revDev = r.dev ?? '?';
  if (rp.value === 1 && revDev !== s.inIface) {
    return drop(`${head}: ${r.text} (${r.source.file}:${r.source.line}) leaves by ${revDev}, not by ${s.inIface} where the packet came in`, rp.cite);
  }
  w.steps.push({ ...base, verdict: 'pass', note: `${head}: ${r.text} out ${revDev}`, source: rp.cite!.source });
  return null;
}
