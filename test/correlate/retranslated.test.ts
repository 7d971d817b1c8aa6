/**
 * A TCP connection translated one way and then, in mid-stream, another: its conntrack entry was lost and made again
 * from a segment that was no SYN (pickup), and the far end resets the new translation — conntrack-state-lost, the
 * flow a translation mismatch. A client that opens a new connection from the same port (a new SYN) gets a new
 * translation too, legitimately: that one is delivered. Synthetic captures on another address plan and interface
 * names than the lab's, and no snapshot: the captures alone say it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { concat, pcapFileHeader, pcapRecord } from '../support/capture-writer.mjs';
import { ethernetFrame, ipv4, ipv4Packet, tcpSegment } from '../support/frames.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-retranslated-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CLIENT = ipv4('10.9.0.5');
const EIP = ipv4('203.0.113.50');
const REMOTE = ipv4('192.0.2.9');
const MAC = { client: '0a0000000005', gwIn: '0a00000000f1', gwOut: '0a00000000f2', router: '0a00000000fe' };
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const RST = 0x04;

interface Seg {
  readonly sport: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly id: number;
  readonly data?: string;
}

/**
 * Frames of one exchange: `out` segments from the client (in on in7, then out on up3 from the EIP and `natPort`),
 * and `back` segments from the remote (in on up3 to the EIP and `natPort`, out on in7 to the client), each 1 ms
 * after the one before, the copy 20 µs after its original. `back` segments with `lost` are not forwarded.
 */
class Captures {
  readonly inside: Uint8Array[] = [pcapFileHeader({ linkType: 1 })];
  readonly outside: Uint8Array[] = [pcapFileHeader({ linkType: 1 })];
  #us = 0;

  #frame(srcMac: string, dstMac: string, src: number, dst: number, sport: number, dport: number, s: Seg, ttl: number): Uint8Array {
    const payload = new TextEncoder().encode(s.data ?? '');
    return ethernetFrame({
      src: srcMac,
      dst: dstMac,
      payload: ipv4Packet({ src, dst, proto: 6, id: s.id, ttl, df: true, payload: tcpSegment({ src, dst, sport, dport, seq: s.seq, ack: s.ack, flags: s.flags, payload }) }),
    });
  }

  #at(list: Uint8Array[], us: number, data: Uint8Array): void {
    list.push(pcapRecord({ sec: 1_700_000_000 + Math.floor(us / 1e6), frac: us % 1e6, data }, true));
  }

  out(s: Seg, natPort: number): this {
    this.#us += 1000;
    this.#at(this.inside, this.#us, this.#frame(MAC.client, MAC.gwIn, CLIENT, REMOTE, s.sport, 443, s, 64));
    this.#at(this.outside, this.#us + 20, this.#frame(MAC.gwOut, MAC.router, EIP, REMOTE, natPort, 443, s, 63));
    return this;
  }

  back(s: Seg, natPort: number, clientPort: number): this {
    this.#us += 1000;
    this.#at(this.outside, this.#us, this.#frame(MAC.router, MAC.gwOut, REMOTE, EIP, 443, natPort, s, 64));
    this.#at(this.inside, this.#us + 20, this.#frame(MAC.gwIn, MAC.client, REMOTE, CLIENT, 443, clientPort, s, 63));
    return this;
  }

  write(name: string): string[] {
    const dir = join(tmp, name);
    mkdirSync(dir);
    const files = [join(dir, 'in7.pcap'), join(dir, 'up3.pcap')];
    writeFileSync(files[0]!, concat(this.inside));
    writeFileSync(files[1]!, concat(this.outside));
    return files;
  }
}

/** A connection from port 40000, translated to 50001: handshake and two data segments, acknowledged. */
function established(): Captures {
  const c = new Captures();
  c.out({ sport: 40000, seq: 1000, ack: 0, flags: SYN, id: 1 }, 50001);
  c.back({ sport: 443, seq: 7000, ack: 1001, flags: SYN | ACK, id: 0 }, 50001, 40000);
  c.out({ sport: 40000, seq: 1001, ack: 7001, flags: ACK, id: 2 }, 50001);
  c.out({ sport: 40000, seq: 1001, ack: 7001, flags: ACK | PSH, id: 3, data: 'tick-1\n' }, 50001);
  c.back({ sport: 443, seq: 7001, ack: 1008, flags: ACK, id: 101 }, 50001, 40000);
  c.out({ sport: 40000, seq: 1008, ack: 7001, flags: ACK | PSH, id: 4, data: 'tick-2\n' }, 50001);
  c.back({ sport: 443, seq: 7001, ack: 1015, flags: ACK, id: 102 }, 50001, 40000);
  return c;
}

describe('a TCP connection translated anew in mid-stream (captures only)', () => {
  it('another port from a segment that is no SYN, reset by the far end: conntrack-state-lost, a translation mismatch', async () => {
    const c = established();
    c.out({ sport: 40000, seq: 1015, ack: 7001, flags: ACK | PSH, id: 5, data: 'tick-3\n' }, 50777);
    c.back({ sport: 443, seq: 7001, ack: 0, flags: RST, id: 0 }, 50777, 40000);
    const a = await analyze(c.write('mid-stream'), { inside: 'in7', outside: 'up3' });
    const tcp = a.flows.filter((f) => f.proto === 'tcp');
    expect(tcp).toHaveLength(1);
    expect(tcp[0]!.disposition).toBe('translation-mismatch');
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['conntrack-state-lost', 'error', 'confirmed']);
    expect(f.flows).toEqual([tcp[0]!.id]);
    expect(f.detail).toContain(`${tcp[0]!.id} left as 203.0.113.50:50001 and then, from a segment in mid-stream, as 203.0.113.50:50777`);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.startsWith('192.0.2.9.443 > 203.0.113.50.50777: TCP [R]'))).toBe(true);
  });

  it('untranslated from a segment in mid-stream (INVALID, let through): conntrack-state-lost, forwarded untranslated', async () => {
    const c = established();
    // Its own address and port on the outside: not NATed (the copy written by hand, as out() writes the EIP's).
    c.out({ sport: 40000, seq: 1015, ack: 7001, flags: ACK | PSH, id: 5, data: 'tick-3\n' }, 50001);
    const leaked = new Captures();
    leaked.inside.push(...c.inside.slice(1));
    const last = c.outside.pop()!;
    leaked.outside.push(...c.outside.slice(1));
    // Rewrite the last copy's source (EIP:50001 → CLIENT:40000), keeping its time.
    const rec = Buffer.from(last);
    const ip = 16 + 14;
    rec.writeUInt32BE(CLIENT, ip + 12);
    rec.writeUInt16BE(40000, ip + 20);
    leaked.outside.push(rec);
    const a = await analyze(leaked.write('leaked'), { inside: 'in7', outside: 'up3' });
    const tcp = a.flows.filter((f) => f.proto === 'tcp');
    expect(tcp.map((f) => f.disposition)).toEqual(['forwarded-untranslated']);
    expect([a.findings[0]!.check, a.findings[0]!.confidence]).toEqual(['conntrack-state-lost', 'confirmed']);
    expect(a.findings.map((f) => f.check)).not.toContain('snat-missing');
  });

  it('a new connection from the same client port (a new SYN) translated to another port is no mismatch', async () => {
    const c = established();
    c.out({ sport: 40000, seq: 1015, ack: 7001, flags: ACK | 0x01, id: 5 }, 50001);
    c.back({ sport: 443, seq: 7001, ack: 1016, flags: ACK | 0x01, id: 103 }, 50001, 40000);
    c.out({ sport: 40000, seq: 1016, ack: 7002, flags: ACK, id: 6 }, 50001);
    // The port again, a moment later, for a new connection: a new entry, a new port (--random-fully).
    c.out({ sport: 40000, seq: 90000, ack: 0, flags: SYN, id: 7 }, 50777);
    c.back({ sport: 443, seq: 17000, ack: 90001, flags: SYN | ACK, id: 0 }, 50777, 40000);
    c.out({ sport: 40000, seq: 90001, ack: 17001, flags: ACK, id: 8 }, 50777);
    const a = await analyze(c.write('port-reuse'), { inside: 'in7', outside: 'up3' });
    expect(a.flows.filter((f) => f.proto === 'tcp').map((f) => f.disposition)).not.toContain('translation-mismatch');
    expect(a.findings.map((f) => f.check)).not.toContain('conntrack-state-lost');
    expect(a.summary.verdict).toBe('ok');
  });
});
