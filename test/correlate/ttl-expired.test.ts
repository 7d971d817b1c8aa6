/**
 * A packet that reaches the gateway with TTL 1 must be dropped there with a time-exceeded (RFC 1812
 * §5.3.1): traceroute and mtr probes do it on purpose. Such a packet without a copy is not lost at the
 * gateway. A real field capture with one forwarded echo request turned into a TTL-1 probe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, pcapRecordOffset, pcapWithout } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const healthy = fieldSets().find((s) => s.name === 'healthy');
const tmp = mkdtempSync(join(tmpdir(), 'natlens-ttl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!healthy)('TTL run out at the gateway', () => {
  it('an echo request that arrived with TTL 1 and was not forwarded is not judged lost', async () => {
    const full = await analyze([healthy!.dir]);
    const inside = full.interfaces.inside!;
    const outside = full.interfaces.outside!;
    const flow = full.flows.find((f) => f.proto === 'icmp' && f.ingress === inside)!;
    const req = flow.samples.filter((p) => p.iface === inside && p.direction === 'request' && p.match?.iface === outside)[1]!;

    const dir = editedBundle(healthy!.dir, join(tmp, 'probe'), {
      [`${inside}.pcap`]: (b) => {
        const c = Buffer.from(b);
        c[pcapRecordOffset(c, req.frame) + 16 + 14 + 8] = 1; // record header, Ethernet, then the IPv4 TTL byte
        return c;
      },
      [`${outside}.pcap`]: (b) => pcapWithout(b, req.match!.frame),
    });
    const a = await analyze([dir]);
    const same = a.flows.find((f) => f.proto === 'icmp' && f.original.src === flow.original.src && f.original.sport === flow.original.sport)!;
    expect(same.samples.find((p) => p.frame === req.frame && p.iface === inside)!.ttl).toBe(1);
    expect(same.disposition).toBe('delivered');
    expect(same.lossRate).toBe(0);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
