/**
 * `ip -o addr`, `ip -o link`, `ip -br addr` and `ip -br link` — the forms people type in a hurry — read to
 * the same links as `ip -j addr`, with the real iproute2 of this machine as the oracle (in a network
 * namespace with interfaces of our own: veth with a peer suffix, secondary and IPv6 addresses, a link that
 * is down); and a field bundle whose `ip addr` is given only in brief forms gives the same analysis.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpAddr } from '../../src/gateway/ip-addr.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { sniffSnapshot } from '../../src/gateway/sniff.js';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-ipforms-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const NS = `nlipf${process.pid}`;

describe.skipIf(!canNetns)('ip addr short forms, against iproute2 itself', () => {
  const run = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', NS, 'ip', ...args], { encoding: 'utf8' });
  beforeAll(() => {
    const sh = (cmd: string): void => void execFileSync('sh', ['-c', cmd]);
    sh(`ip netns add ${NS}`);
    sh(`ip -n ${NS} link add vpc7 type veth peer name out3`);
    sh(`ip -n ${NS} link set vpc7 up && ip -n ${NS} link set out3 up && ip -n ${NS} link set lo up`);
    sh(`ip -n ${NS} addr add 172.31.9.1/24 dev vpc7 && ip -n ${NS} addr add 198.18.77.5/28 dev out3 && ip -n ${NS} addr add 198.18.77.6/28 dev out3`);
    sh(`ip -n ${NS} -6 addr add 2001:db8::7/64 dev out3 nodad`);
    sh(`ip -n ${NS} link add down9 type veth peer name down9p`);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('each form reads to the links and addresses ip -j addr names', () => {
    const json = parseIpAddr(run('-j', 'addr'), 'j').interfaces;
    const byName = new Map(json.map((i) => [i.name, i]));
    const v4 = (is: typeof json) => is.map((i) => [i.name, i.addresses.filter((a) => a.family === 4).map((a) => `${a.address}/${a.prefix}`)]);
    for (const args of [['-o', 'addr'], ['-br', 'addr'], ['-o', 'link'], ['-br', 'link']]) {
      const text = run(...args);
      expect(sniffSnapshot(text), args.join(' ')).toBe('ip-addr');
      const r = parseIpAddr(text, 'x');
      expect(r.warnings, args.join(' ')).toEqual([]);
      for (const i of r.interfaces) {
        const j = byName.get(i.name);
        expect(j, `${args.join(' ')}: ${i.name}`).toBeDefined();
        if (args[1] === 'addr') expect(v4([i])).toEqual(v4([j!]));
        if (args[1] === 'link') {
          expect(i.mac, `${args.join(' ')} ${i.name}`).toBe(j!.mac);
          expect(i.flags).toEqual(j!.flags);
        }
        if (args[0] === '-o') expect(i.ifindex).toBe(j!.ifindex);
        if (args[0] === '-br') expect(i.operState).toBe(j!.operState);
      }
      expect(r.interfaces.map((i) => i.name)).toContain('out3');
    }
    // The veth's "@peer" suffix is not part of its name.
    expect(parseIpAddr(run('-br', 'link'), 'x').interfaces.map((i) => i.name)).toEqual(expect.arrayContaining(['vpc7', 'out3', 'down9']));
  });

  it('brief link and brief addr files of one moment make one record per link', () => {
    const dir = join(tmp, 'brief');
    mkdirSync(dir);
    writeFileSync(join(dir, 'links.txt'), run('-br', 'link'));
    writeFileSync(join(dir, 'addrs.txt'), run('-br', 'addr'));
    const snap = loadSnapshot([join(dir, 'links.txt'), join(dir, 'addrs.txt')], { explicit: false, explicitPaths: new Set() });
    const out3 = snap.host.interfaces.filter((i) => i.name === 'out3');
    const json = parseIpAddr(run('-j', 'addr'), 'j').interfaces.find((i) => i.name === 'out3')!;
    expect(out3).toHaveLength(1);
    expect(out3[0]!.mac).toBe(json.mac);
    expect(out3[0]!.addresses.map((a) => a.address).sort()).toEqual(json.addresses.map((a) => a.address).sort());
  });
});

const healthy = fieldSets().find((s) => s.name === 'healthy');

describe.skipIf(!healthy)('a field bundle whose ip addr is brief', () => {
  it('gives the interfaces, roles and flows of the full snapshot', async () => {
    const full = await analyze([healthy!.dir]);
    // What `ip -br addr` and `ip -br link` print for the same links (from the set's ip-addr.txt).
    const text = (t: string): Uint8Array => new TextEncoder().encode(t);
    const dir = editedBundle(healthy!.dir, join(tmp, 'field-brief'), { 'ip-addr.txt': null, 'ip-addr.json': null }, {
      'br-addr.txt': text(
        'lo               UNKNOWN        127.0.0.1/8 ::1/128 \n' +
          'eth0@if169       UP             10.0.4.254/24 fe80::cc00:bfff:fe3b:729a/64 \n' +
          'net1@if171       UP             203.0.113.71/24 203.0.113.72/24 fe80::b055:a3ff:fe40:d3dd/64 \n',
      ),
      'br-link.txt': text(
        'lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n' +
          'eth0@if169       UP             ce:00:bf:3b:72:9a <BROADCAST,MULTICAST,UP,LOWER_UP> \n' +
          'net1@if171       UP             b2:55:a3:40:d3:dd <BROADCAST,MULTICAST,UP,LOWER_UP> \n',
      ),
    });
    const brief = await analyze([dir]);
    expect(brief.inputs.filter((i) => i.path.includes('br-')).map((i) => i.format)).toEqual(['ip-addr', 'ip-addr']);
    expect(brief.interfaces).toEqual(full.interfaces);
    // The same flows, expected translations and NAT rules (named by file name: the bundles lie apart).
    const view = (a: typeof full) =>
      a.flows.map((f) => [f.id, f.disposition, f.ingress, f.egress, f.observed, f.expected && { ...f.expected, rule: f.expected.rule && { ...f.expected.rule, file: basename(f.expected.rule.file) } }]);
    expect(view(brief)).toEqual(view(full));
    expect(brief.findings.map((f) => f.check)).toEqual(full.findings.map((f) => f.check));
  });
});
