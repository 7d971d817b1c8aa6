import { describe, expect, it } from 'vitest';
import { expectedEndpoint } from '../../src/simulate/expected-endpoint.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';
import { ip, m, r, RULES_FILE, ruleset, snapshot, t } from './builder.js';

describe('expectedEndpoint', () => {
  const rules = ruleset({
    nat: {
      PREROUTING: ['ACCEPT', [r(t.dnat('192.168.7.30:80'), m.dst('100.64.9.2'), m.proto(6), m.dport(8080))]],
      POSTROUTING: ['ACCEPT', [r(t.snat('100.64.9.2', { randomFully: true }), m.src('192.168.7.0/24'), m.out('wan9'))]],
    },
    filter: { FORWARD: ['ACCEPT', [r(t.drop(), m.proto(17))]] },
  });
  const s = snapshot({ rules });

  it('ICMP: echo id as sport, dport null, the SNAT rule, ports may change', () => {
    const tr = simulate(simPacket({ ingress: 'lan0', src: ip('192.168.7.20'), dst: ip('198.18.0.9'), proto: 1, icmpId: 77 }), s);
    expect(expectedEndpoint(tr)).toEqual({
      src: '100.64.9.2',
      dst: '198.18.0.9',
      sport: 77,
      dport: null,
      rule: { file: RULES_FILE, line: 4, table: 'nat', chain: 'POSTROUTING', text: '-A POSTROUTING rule 1' },
      portsMayChange: true,
    });
  });

  it('TCP port forward: both ports, the DNAT rule', () => {
    const tr = simulate(simPacket({ ingress: 'wan9', src: ip('100.64.9.50'), dst: ip('100.64.9.2'), proto: 6, sport: 5555, dport: 8080 }), s);
    expect(expectedEndpoint(tr)).toMatchObject({ src: '100.64.9.50', dst: '192.168.7.30', sport: 5555, dport: 80, rule: { line: 2, chain: 'PREROUTING' }, portsMayChange: false });
  });

  it('null when the packet does not leave', () => {
    const tr = simulate(simPacket({ ingress: 'lan0', src: ip('192.168.7.20'), dst: ip('198.18.0.9'), proto: 17, sport: 1, dport: 53 }), s);
    expect(tr.disposition.kind).toBe('dropped');
    expect(expectedEndpoint(tr)).toBeNull();
  });
});
