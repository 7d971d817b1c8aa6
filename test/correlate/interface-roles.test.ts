import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideRoles } from '../../src/correlate/interface-roles.js';
import { loadSnapshotFromInputs } from '../../src/gateway/load-snapshot.js';
import { fieldSets } from '../support/field.js';

const healthy = fieldSets().find((s) => s.name === 'healthy');

describe.skipIf(!healthy)('interface roles from a real snapshot', () => {
  const snapshot = () => loadSnapshotFromInputs([healthy!.dir]);

  it('outside from SNAT -o, EIPs and the default route; inside is the other captured interface', () => {
    const r = decideRoles(['eth0', 'net1'], snapshot(), {});
    expect(r).toMatchObject({ inside: 'eth0', outside: 'net1' });
    expect(r.how).toContain('SNAT rules leave by it');
  });

  it('inside is an interface the snapshot knows, not a name of packets nothing could place', () => {
    // A cooked v1 capture's unplaced packets (IPv6 multicast from unknown hosts) count under the file's name, often first.
    expect(decideRoles(['any', 'net1', 'eth0'], snapshot(), {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });

  it('a third captured interface (management) that the snapshot knows is not taken for the inside: the nat rules\' hosts live behind the inside', () => {
    const base = snapshot();
    const mgmt = { ...base.host.interfaces.find((i) => i.name === 'eth0')!, name: 'bmc0', ifindex: 99, addresses: [] };
    const snap = { ...base, host: { ...base.host, interfaces: [mgmt, ...base.host.interfaces] } };
    expect(decideRoles(['bmc0', 'eth0', 'net1'], snap, {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
    expect(decideRoles(['eth0', 'bmc0', 'net1'], snap, {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });

  it('the snapshot names the outside even when it was not captured', () => {
    const r = decideRoles(['eth0'], snapshot(), {});
    expect(r).toMatchObject({ inside: 'eth0', outside: 'net1' });
    expect(r.how).toContain('net1 (not captured)');
  });

  it('what the user says wins', () => {
    expect(decideRoles(['eth0', 'net1'], snapshot(), { inside: 'net1', outside: 'eth0' })).toMatchObject({ inside: 'net1', outside: 'eth0' });
    expect(decideRoles(['any', 'eth0', 'net1'], snapshot(), { outside: 'net1' })).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });

  it('without a snapshot nothing is decided', () => {
    expect(decideRoles(['eth0', 'net1'], null, {})).toMatchObject({ inside: null, outside: null });
  });
});

/**
 * NAT loopback SNATs leave by the inside interface and say nothing of which side is outside: Kube-OVN's HAIRPIN_SNAT
 * (one per EIP, so they can outnumber the SNATs that leave outside) and the classic masquerade of the VPC's own
 * subnet. The field's healthy snapshot with them added.
 */
describe.skipIf(!healthy)('interface roles with NAT loopback SNAT rules on the inside', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const withRules = (rules: string[], chains: string[] = [], files = ['ip-addr.json', 'ip-route.json', 'sysctl.txt']): ReturnType<typeof loadSnapshotFromInputs> => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-roles-'));
    dirs.push(dir);
    for (const f of files) copyFileSync(join(healthy!.dir, f), join(dir, f));
    const save = readFileSync(join(healthy!.dir, 'iptables-save.txt'), 'utf8')
      .replace(':DNAT_FILTER - [0:0]\n', `${chains.map((c) => `:${c} - [0:0]\n`).join('')}:DNAT_FILTER - [0:0]\n`)
      .replace('[13:760] -A PREROUTING', `${rules.map((r) => `${r}\n`).join('')}[13:760] -A PREROUTING`);
    writeFileSync(join(dir, 'iptables-save.txt'), save);
    return loadSnapshotFromInputs([dir]);
  };

  it("Kube-OVN's HAIRPIN_SNAT (-o the inside, --ctstate DNAT, one per EIP) does not outvote the outside", () => {
    const hairpin = ['203.0.113.71', '203.0.113.72', '203.0.113.73'].map(
      (e) => `-A HAIRPIN_SNAT -o eth0 -m mark --mark 0x1/0x1 -m conntrack --ctstate DNAT --ctorigdst ${e} -j SNAT --to-source ${e} --random-fully`,
    );
    const snap = withRules(['-A SNAT_FILTER -j HAIRPIN_SNAT', ...hairpin], ['HAIRPIN_SNAT']);
    expect(snap.rules!.tables.nat!.chains.find((c) => c.name === 'HAIRPIN_SNAT')!.rules).toHaveLength(3);
    const r = decideRoles(['eth0', 'net1'], snap, {});
    expect(r).toMatchObject({ inside: 'eth0', outside: 'net1' });
    expect(r.how).not.toContain('eth0');
    // With the rules alone (no ip addr, no routes) the SNAT that leaves by net1 is all that tells: one rule against three.
    const bare = withRules(['-A SNAT_FILTER -j HAIRPIN_SNAT', ...hairpin], ['HAIRPIN_SNAT'], []);
    expect(decideRoles(['eth0', 'net1'], bare, {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
    expect(decideRoles(['net1', 'eth0'], bare, {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });

  it('a masquerade of the VPC subnet to itself (-d the inside link) is loopback too, however often written', () => {
    const rules = ['-A POSTROUTING -s 10.0.4.0/24 -d 10.0.4.0/24 -o eth0 -j MASQUERADE', '-A POSTROUTING -s 10.0.4.10/32 -d 10.0.4.0/24 -o eth0 -j MASQUERADE'];
    expect(decideRoles(['eth0', 'net1'], withRules(rules), {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
    // Without routes, the addresses alone tell the masquerade's -d is eth0's own link.
    expect(decideRoles(['eth0', 'net1'], withRules(rules, [], ['ip-addr.json']), {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });

  it('a SNAT to an EIP held on net1 that leaves by eth0 is loopback, even without --ctstate', () => {
    const rules = ['-A POSTROUTING -o eth0 -j SNAT --to-source 203.0.113.71', '-A POSTROUTING -o eth0 -j SNAT --to-source 203.0.113.72'];
    expect(decideRoles(['eth0', 'net1'], withRules(rules), {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
    expect(decideRoles(['eth0', 'net1'], withRules(rules, [], ['ip-addr.json']), {})).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });
});
