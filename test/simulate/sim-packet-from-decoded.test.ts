import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { parseIpv4 } from '../../src/model/address.js';
import { newDecodedPacket, type DecodedPacket } from '../../src/model/packet.js';
import { bundleFiles } from '../../src/ingest/bundle-files.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { simPacketFromDecoded } from '../../src/simulate/sim-packet-from-decoded.js';
import { simulate } from '../../src/simulate/simulate.js';

const DIR = join(import.meta.dirname, '../../../shared/field/healthy');

function firstMatching(path: string, pred: (d: DecodedPacket) => boolean): DecodedPacket {
  const cap = openCapture(path);
  const d = newDecodedPacket();
  for (const rec of cap.records()) {
    decodePacket(rec.linkType, rec.data, d);
    if (pred(d)) {
      cap.close?.();
      return d;
    }
  }
  throw new Error('no such packet');
}

describe.skipIf(!existsSync(DIR))('simPacketFromDecoded', () => {
  it('turns the first echo request seen on eth0 into a SimPacket the snapshot translates as the capture shows', () => {
    const d = firstMatching(join(DIR, 'eth0.pcap'), (x) => x.net === 4 && x.proto === 1 && x.icmpType === 8 && x.src === parseIpv4('10.0.4.11'));
    const p = simPacketFromDecoded(d, 'eth0');
    expect(p).toMatchObject({ ingress: 'eth0', proto: 1, icmpType: 8, icmpId: 20506, size: 84, df: true, state: 'new', sport: 0, dport: 0 });
    const snap = loadSnapshot(bundleFiles(DIR).files, { explicit: false });
    const tr = simulate(p!, snap);
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', egress: 'net1', portsMayChange: true, out: { src: parseIpv4('203.0.113.72') } });
  });

  it('returns null for what the simulator does not model', () => {
    const arp = firstMatching(join(DIR, 'eth0.pcap'), (x) => x.net === 1);
    expect(simPacketFromDecoded(arp, 'eth0')).toBeNull();
    const v6 = firstMatching(join(DIR, 'eth0.pcap'), (x) => x.net === 6);
    expect(simPacketFromDecoded(v6, 'eth0')).toBeNull();
  });
});
