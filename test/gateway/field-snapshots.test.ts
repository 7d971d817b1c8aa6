/** Every real snapshot in ../shared/field parses, and its forms agree with each other. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFiles } from '../../src/ingest/bundle-files.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { parseIpAddr } from '../../src/gateway/ip-addr.js';
import { parseIpRoute } from '../../src/gateway/ip-route.js';
import { parseIpNeigh } from '../../src/gateway/ip-neigh.js';
import { parseConntrack } from '../../src/gateway/conntrack.js';
import { parseSysctl } from '../../src/gateway/sysctl.js';
import { parseIpv4 } from '../../src/model/address.js';
import { FIELD, field, fieldScenarios } from './helpers.js';

const scenarios = fieldScenarios();

describe.skipIf(scenarios.length === 0).each(scenarios)('field snapshot %s', (sc) => {
  const dir = join(FIELD, sc);
  const snap = loadSnapshot(bundleFiles(dir).files, { explicit: false });
  const kind = (name: string) => snap.files.find((f) => f.path.endsWith(`/${name}`))?.kind;

  it('sniffs every file by content', () => {
    expect(kind('iptables-save.txt')).toBe('iptables-save');
    expect(kind('iptables-nat-L.txt')).toBe('iptables-list');
    expect(kind('iptables-filter-L.txt')).toBe('iptables-list');
    expect(kind('sysctl.txt')).toBe('sysctl');
    expect(kind('ip-addr.txt')).toBe('ip-addr');
    expect(kind('ip-addr.json')).toBe('ip-addr');
    expect(kind('ip-route.txt')).toBe('ip-route');
    expect(kind('ip-route.json')).toBe('ip-route');
    expect(kind('ip-neigh.json')).toBe('ip-neigh');
    expect(kind('lab.json')).toBe('ignored');
    for (const f of snap.files.filter((x) => x.path.endsWith('.pcap'))) expect(f.kind).toBe('capture');
  });

  it('reconciles iptables-save with the nat and filter listings without disagreement', () => {
    expect(snap.disagreements).toEqual([]);
    // The only note allowed: an empty `conntrack -L` (no entries) in some bundles.
    expect(snap.warnings.filter((w) => !(w.code === 'empty-file' && w.file.endsWith('conntrack.txt')))).toEqual([]);
    const rules = snap.rules!;
    expect(rules.backend).toBe('legacy');
    expect(rules.iptablesVersion).toBe('1.8.9');
    expect(rules.legacyTablesPresent).toBeNull();
    expect(Object.keys(rules.tables).sort()).toEqual(['filter', 'nat']);
    const nat = rules.tables.nat!;
    // The nat table comes from iptables-save, every rule with its line there.
    for (const c of nat.chains) for (const r of c.rules) expect(r.source.file.endsWith('iptables-save.txt')).toBe(true);
    const pre = nat.chains.find((c) => c.name === 'PREROUTING')!;
    expect(pre.rules[0]!.target).toEqual({ kind: 'jump', chain: 'DNAT_FILTER' });
    expect(nat.chains.map((c) => c.name)).toEqual([
      'PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'DNAT_FILTER', 'EXCLUSIVE_DNAT', 'EXCLUSIVE_SNAT', 'SHARED_DNAT', 'SHARED_SNAT', 'SNAT_FILTER',
    ]);
    const saveText = field(sc, 'iptables-save.txt');
    expect(rules.tables.filter!.chains.map((c) => c.name)).toEqual(['INPUT', 'FORWARD', 'OUTPUT']);
    // Where iptables-save has no filter table, it is filled from the -L listing.
    const filterFrom = rules.tables.filter!.chains[0]!.source.file;
    expect(filterFrom.endsWith(saveText.includes('*filter') ? 'iptables-save.txt' : 'iptables-filter-L.txt')).toBe(true);
  });

  it('reads the host state, text and JSON alike', () => {
    const h = snap.host;
    expect(h.have).toEqual({ sysctls: true, addresses: true, routes: true, neighbours: true, conntrack: h.conntrack !== null });
    expect(h.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0', 'net1']);
    const text = parseIpAddr(field(sc, 'ip-addr.txt'), 't').interfaces;
    const json = parseIpAddr(field(sc, 'ip-addr.json'), 'j').interfaces;
    const strip = (is: typeof text) => is.map((i) => ({ ...i, source: null, addresses: i.addresses.map((a) => ({ ...a, source: null })) }));
    expect(strip(text)).toEqual(strip(json));
    const net1 = text.find((i) => i.name === 'net1')!;
    expect(net1.mtu).toBe(1500);
    expect(net1.addresses.filter((a) => a.family === 4).map((a) => [a.address, a.prefix, a.secondary])).toEqual([
      ['203.0.113.71', 24, false],
      ['203.0.113.72', 24, true],
    ]);
    const rt = parseIpRoute(field(sc, 'ip-route.txt'), 'r').routes;
    const rj = parseIpRoute(field(sc, 'ip-route.json'), 'r').routes;
    expect(rt.map((r) => [r.dst, r.via, r.dev, r.prefsrc, r.table])).toEqual(rj.map((r) => [r.dst, r.via, r.dev, r.prefsrc, r.table]));
    expect(rt[0]).toMatchObject({ dst: null, via: parseIpv4('203.0.113.1'), dev: 'net1', type: 'unicast', table: 'main' });
    const nb = parseIpNeigh(field(sc, 'ip-neigh.json'), 'n');
    expect(nb.warnings).toEqual([]);
    expect(nb.neighbours.length).toBeGreaterThan(0);
    for (const n of nb.neighbours) expect(n.states.length).toBeGreaterThan(0);
    const sys = parseSysctl(field(sc, 'sysctl.txt'), 's');
    expect(sys.warnings).toEqual([]);
    expect(['0', '1']).toContain(sys.sysctls.get('net.ipv4.ip_forward')!.value);
    expect(h.sysctls.get('net.ipv4.ip_forward')!.value).toBe(sc.startsWith('ip-forward-off') ? '0' : '1');
  });

  it('reads conntrack when the snapshot has entries', () => {
    const text = field(sc, 'conntrack.txt');
    const ct = parseConntrack(text, 'c');
    expect(ct.warnings).toEqual([]);
    expect(ct.entries.length).toBe(text.split('\n').filter((l) => l.trim() !== '').length);
    for (const e of ct.entries) {
      expect(e.original.src).toBeGreaterThan(0);
      expect(e.reply.dst).toBeGreaterThan(0);
    }
  });
});
