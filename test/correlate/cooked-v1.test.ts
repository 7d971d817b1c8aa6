/**
 * `tcpdump -i any` before 4.99 writes Linux cooked v1 (LINUX_SLL): no interface index, so a packet and
 * its forwarded copy share one file and one "interface". natlens places each packet by the gateway's
 * state (own MACs, neighbours, routes). Real field captures, merged as the kernel would have written
 * them, must give the same flows as the per-interface captures they came from.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { flowKeys } from '../support/bundle-edit.js';
import { cookedInterfaceResolver } from '../../src/correlate/cooked-interface.js';
import { loadSnapshotFromInputs } from '../../src/gateway/load-snapshot.js';
import { LinkType } from '../../src/model/capture.js';
import { Net, newDecodedPacket, PacketType } from '../../src/model/packet.js';
import { fieldSets } from '../support/field.js';
import { cookedBundle } from '../support/cooked-bundle.js';

const healthy = fieldSets().find((s) => s.name === 'healthy');
const tmp = mkdtempSync(join(tmpdir(), 'natlens-cooked-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The healthy set's two captures as one `-i any` file, plus the snapshot files `keep` lets through. */
const anyBundle = (name: string, version: 1 | 2, keep: (file: string) => boolean): string => cookedBundle(healthy!.dir, join(tmp, name), version, keep);

describe.skipIf(!healthy)('Linux cooked v1 (-i any before tcpdump 4.99) on real captures', () => {
  it('gives the flows the per-interface captures give, placed by MAC address (ip addr, ip neigh)', async () => {
    const perInterface = await analyze([healthy!.dir]);
    const v1 = await analyze([anyBundle('v1', 1, () => true)]);
    // IPv6 multicast from hosts the snapshot does not know stays on the file's own name (any); every
    // IPv4 packet is placed.
    expect(v1.inputs.find((i) => i.kind === 'capture')!.interfaces).toEqual(expect.arrayContaining(['eth0', 'net1']));
    expect(flowKeys(v1)).toEqual(flowKeys(perInterface));
    expect(v1.summary.verdict).toBe('ok');
    expect(v1.warnings.map((w) => w.code)).not.toContain('cooked-v1-unplaced');
    // The same file with interface indexes (SLL2) agrees.
    const v2 = await analyze([anyBundle('v2', 2, () => true)]);
    expect(flowKeys(v2)).toEqual(flowKeys(perInterface));
  });

  it('places packets by route when the snapshot has no neighbours and no MACs', async () => {
    const perInterface = await analyze([healthy!.dir]);
    const dir = anyBundle('routes-only', 1, (f) => f.startsWith('ip-route') || f.startsWith('iptables') || f === 'sysctl.txt');
    const a = await analyze([dir]);
    expect(a.inputs.find((i) => i.kind === 'capture')!.interfaces).toEqual(expect.arrayContaining(['eth0', 'net1']));
    expect(flowKeys(a)).toEqual(flowKeys(perInterface));
    expect(a.warnings.map((w) => w.code)).not.toContain('cooked-v1-unplaced');
  });

  it('without a snapshot says the capture cannot be split, rather than calling every packet stopped silently', async () => {
    const dir = anyBundle('bare', 1, () => false);
    const a = await analyze([dir]);
    expect(a.warnings.map((w) => w.code)).toContain('cooked-v1-unsplit');
    expect(a.warnings.find((w) => w.code === 'cooked-v1-unsplit')!.file).toBe(join(dir, 'any.pcap'));
  });

  it('places by the route forwarded packets take when ip rules select by input interface (main routing into the VPC)', () => {
    // Kube-OVN's older gateway script: main's default route points into the VPC, what comes in by either side is
    // routed by table 100. The host's own lookup (main) would put the internet behind the inside interface.
    const dir = join(tmp, 'policy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'ip-addr.txt'),
      '2: vpcside: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1400 state UP\n    inet 10.40.0.254/24 scope global vpcside\n' +
        '3: uplink: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n    inet 192.0.2.10/24 scope global uplink\n',
    );
    writeFileSync(
      join(dir, 'ip-route.txt'),
      'default via 10.40.0.1 dev vpcside\n10.40.0.0/24 dev vpcside proto kernel scope link src 10.40.0.254\n' +
        '192.0.2.0/24 dev uplink proto kernel scope link src 192.0.2.10\n' +
        'default via 192.0.2.1 dev uplink table 100\n10.40.0.0/24 dev vpcside table 100\n',
    );
    writeFileSync(join(dir, 'ip-rule.txt'), '0:\tfrom all lookup local\n31764:\tfrom all iif uplink lookup 100\n31765:\tfrom all iif vpcside lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n');
    const place = cookedInterfaceResolver(loadSnapshotFromInputs([dir]))!;
    const d = newDecodedPacket();
    const packet = (type: number, src: number, dst: number): string | null => {
      d.linkType = LinkType.LINUX_SLL;
      d.packetType = type;
      d.srcMac = 0x02bb00000001 + type;
      d.net = Net.IPV4;
      d.src = src;
      d.dst = dst;
      return place(d);
    };
    // From the internet to the EIP: came in by the uplink; to the internet: left by it.
    expect(packet(PacketType.HOST, 0xcb007107, 0xc000020a)).toBe('uplink'); // 203.0.113.7 → 192.0.2.10
    expect(packet(PacketType.OUTGOING, 0xc000020a, 0xcb007108)).toBe('uplink');
    // The VPC side stays the VPC side.
    expect(packet(PacketType.HOST, 0x0a280005, 0xcb007107)).toBe('vpcside');
  });

  it('learns a neighbour MAC from the packets it routed, for the ones it cannot route (IPv6), and gives up on a MAC seen on both sides', () => {
    const dir = anyBundle('learn', 1, (f) => f.startsWith('ip-route'));
    const place = cookedInterfaceResolver(loadSnapshotFromInputs([dir]))!;
    const d = newDecodedPacket();
    const packet = (mac: number, net: number, src: number): string | null => {
      d.packetType = PacketType.HOST;
      d.srcMac = mac;
      d.net = net;
      d.src = src;
      d.dst = 0;
      return place(d);
    };
    const app = 0x02aa000000a1;
    expect(packet(app, Net.IPV6, 0)).toBeNull();
    expect(packet(app, Net.IPV4, 0x0a00040a)).toBe('eth0'); // 10.0.4.10, routed by 10.0.4.0/24 dev eth0
    expect(packet(app, Net.IPV6, 0)).toBe('eth0');
    const both = 0x02aa000000b2;
    expect(packet(both, Net.IPV4, 0x0a00040b)).toBe('eth0');
    expect(packet(both, Net.IPV4, 0xc6336401)).toBe('net1'); // 198.51.100.1 by the default route
    expect(packet(both, Net.IPV6, 0)).toBeNull();
  });
});
