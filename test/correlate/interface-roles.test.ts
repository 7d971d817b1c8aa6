import { describe, expect, it } from 'vitest';
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
