/**
 * What counts as a traceroute probe (flow-assembly.ts `isProbe`): it expects an ICMP answer, not a reply. The lab's
 * traceroute scenario shows the probes on real captures; here, the edges: ordinary traffic whose TTL ran out
 * beyond the gateway (a routing loop) is no probe, and an error that came from the gateway's side is no answer.
 */
import { describe, expect, it } from 'vitest';
import { isProbe } from '../../src/correlate/flow-assembly.js';
import { Dir } from '../../src/correlate/packet-info.js';
import type { QuotedError } from '../../src/correlate/connection.js';

const EGRESS = 1;
const exceeded = (o: Partial<QuotedError> = {}): QuotedError => ({
  file: 0, frame: 9, iface: EGRESS, tsSec: 0, tsNsec: 0, t: 0, type: 11, code: 0, mtu: 0, src: 0xc6120001, fromGateway: false, dir: Dir.IN, ...o,
});
const flow = (o: { proto?: number; dport?: number; ttl?: number; errors?: QuotedError[] }) =>
  ({
    proto: o.proto ?? 1,
    original: { src: 0x0a000005, dst: 0xcb007101, sport: 4242, dport: o.dport ?? 0 },
    errors: o.errors ?? [],
    egress: { iface: EGRESS },
    first: { ttl: o.ttl ?? 2 },
  }) as unknown as Parameters<typeof isProbe>[0];

describe('traceroute probes', () => {
  it('UDP to traceroute\'s ports is a probe, whatever came back', () => {
    expect(isProbe(flow({ proto: 17, dport: 33434, ttl: 64 }))).toBe(true);
    expect(isProbe(flow({ proto: 17, dport: 33534, ttl: 64 }))).toBe(true);
    expect(isProbe(flow({ proto: 17, dport: 33535, ttl: 64 }))).toBe(false);
    expect(isProbe(flow({ proto: 17, dport: 53, ttl: 64 }))).toBe(false);
  });

  it('a packet of a few hops\' TTL answered with time exceeded from beyond is a probe', () => {
    expect(isProbe(flow({ ttl: 2, errors: [exceeded()] }))).toBe(true);
    expect(isProbe(flow({ ttl: 32, errors: [exceeded()] }))).toBe(true);
  });

  it('ordinary traffic (TTL 64) that ran out beyond the gateway met a routing loop: no probe', () => {
    expect(isProbe(flow({ ttl: 63, errors: [exceeded()] }))).toBe(false);
  });

  it('no time exceeded from beyond (none, another error, or one leaving by the ingress) makes no probe of a low TTL', () => {
    expect(isProbe(flow({ ttl: 2 }))).toBe(false);
    expect(isProbe(flow({ ttl: 2, errors: [exceeded({ type: 3, code: 1 })] }))).toBe(false);
    expect(isProbe(flow({ ttl: 2, errors: [exceeded({ iface: 0, dir: Dir.OUT })] }))).toBe(false);
    expect(isProbe(flow({ ttl: 2, errors: [exceeded({ code: 1 })] }))).toBe(false);
  });
});
