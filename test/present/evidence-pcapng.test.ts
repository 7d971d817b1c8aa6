import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analysis, Flow, FlowPacket } from '../../src/model/analysis.js';
import { isInputError } from '../../src/model/errors.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { writeEvidencePcapng } from '../../src/present/evidence-pcapng.js';
import { pcapFile } from '../support/capture-writer.mjs';
import { ethernetFrame, icmpEcho, ipv4, ipv4Packet, sll2Frame } from '../support/frames.mjs';
import { HAVE_TSHARK, tsharkFields } from '../support/tshark.js';
import { FIELD, HAVE_FIELD, loadFixture } from './report-fixtures.js';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson } from '../lab/lab-output.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'natlens-evidence-'));

function readBack(path: string): { frame: number; iface: string; link: number; sec: number; nsec: number; len: number }[] {
  const cap = openCapture(path);
  const out = [];
  for (const r of cap.records()) out.push({ frame: r.frame, iface: r.interfaceName, link: r.linkType, sec: r.tsSec, nsec: r.tsNsec, len: r.caplen });
  return out;
}

/** An echo request as the inside host sends it, and its SNATed copy (TTL one lower, same IP ID). */
function echo(src: string, dst: string, id: number, seq: number, ttl: number, ipId: number): Uint8Array {
  return ipv4Packet({ src: ipv4(src), dst: ipv4(dst), proto: 1, id: ipId, ttl, payload: icmpEcho({ id, seq, payload: new Uint8Array(16) }) });
}

function sample(file: string, iface: string, frame: number, time: string, match: FlowPacket['match'], judged = true): FlowPacket {
  return { file, iface, frame, time, direction: 'request', ttl: 64, ipId: frame, length: 44, summary: `frame ${frame}`, match, judged, copyNotCaptured: false };
}

function flow(id: string, disposition: Flow['disposition'], ingress: string, egress: string | null, samples: FlowPacket[], observed: Flow['observed']): Flow {
  return {
    id,
    proto: 'icmp',
    original: { src: '172.16.9.5', dst: '192.0.2.80', sport: 7, dport: null },
    ingress,
    egress,
    expected: { src: '198.18.0.9', dst: '192.0.2.80', sport: 7, dport: null, rule: { file: 'rules.txt', line: 4, table: 'nat', chain: 'POSTROUTING', text: '-A POSTROUTING -o ext7 -j MASQUERADE' }, portsMayChange: true },
    observed,
    disposition,
    packets: {},
    lossRate: null,
    latencyNs: null,
    first: samples[0]!.time,
    last: samples[samples.length - 1]!.time,
    evidence: [],
    trace: null,
    samples,
  };
}

function analysisOf(flows: Flow[], inside: string, outside: string): Analysis {
  return {
    tool: { name: 'natlens', version: '0.0.0-test' },
    inputs: [...new Set(flows.flatMap((f) => f.samples.map((p) => p.file)))].map((path) => ({
      path,
      kind: 'capture' as const,
      format: 'pcap',
      sha256: '',
      bytes: 0,
      interfaces: [],
      packets: 0,
      first: null,
      last: null,
      captureDrops: null,
    })),
    summary: { verdict: 'packets-stop', sentence: '', flows: flows.length, byDisposition: {} },
    findings: [{ check: 'intermittent-drop', severity: 'error', confidence: 'likely', title: 't', detail: 'd', evidence: [], fix: [], flows: flows.map((f) => f.id) }],
    flows,
    warnings: [],
    interfaces: { inside, outside, how: 'test' },
    capture: { windows: [], overlap: null, clockOffsetNs: null },
    rules: [],
  };
}

describe('writeEvidencePcapng on generated captures (other names and address plan than the field)', () => {
  it('keeps LINUX_SLL2 frames of an -i any capture, names each interface, and comments every packet', async () => {
    const dir = tmp();
    const any = join(dir, 'any.pcap');
    const frames = [
      sll2Frame({ ifindex: 4, payload: echo('172.16.9.5', '192.0.2.80', 7, 1, 64, 101) }), // 1: arrives on vpc0
      sll2Frame({ ifindex: 9, packetType: 4, payload: echo('198.18.0.9', '192.0.2.80', 31000, 1, 63, 101) }), // 2: leaves ext7
      sll2Frame({ ifindex: 4, payload: echo('172.16.9.6', '192.0.2.80', 8, 1, 64, 555) }), // 3: unrelated
      sll2Frame({ ifindex: 4, payload: echo('172.16.9.5', '192.0.2.80', 7, 2, 64, 102) }), // 4: arrives, no copy
    ];
    writeFileSync(any, pcapFile({ nanosecond: true, linkType: 276, records: frames.map((data, i) => ({ sec: 1_800_000_000, frac: 1000 * (i + 1) + i, data })) }));
    const f1 = flow(
      'f1',
      'partial',
      'vpc0',
      'ext7',
      [
        sample(any, 'vpc0', 1, '2027-01-15T08:00:00.000001000Z', { file: any, iface: 'ext7', frame: 2, latencyNs: 1001 }),
        sample(any, 'vpc0', 4, '2027-01-15T08:00:00.000004003Z', null),
      ],
      { src: '198.18.0.9', dst: '192.0.2.80', sport: 31000, dport: null },
    );
    const out = join(dir, 'evidence.pcapng');
    const { packets } = await writeEvidencePcapng(analysisOf([f1], 'vpc0', 'ext7'), out);
    expect(packets).toBe(3);
    const back = readBack(out);
    expect(back.map((r) => [r.iface, r.link, r.nsec])).toEqual([
      ['vpc0', 276, 1000],
      ['ext7', 276, 2001],
      ['vpc0', 276, 4003],
    ]);
    if (HAVE_TSHARK) {
      const rows = tsharkFields(out, ['frame.number', 'frame.interface_name', 'frame.comment']);
      expect(rows.map((r) => r[1])).toEqual(['vpc0', 'ext7', 'vpc0']);
      expect(rows[0]![2]).toBe('natlens f1 partial: same packet as ext7 frame 2, SNAT 172.16.9.5 → 198.18.0.9, echo id 7 → 31000, 1 µs; cause: intermittent-drop (likely); from any.pcap frame 1');
      expect(rows[1]![2]).toBe('natlens f1 partial: same packet as vpc0 frame 1, SNAT 172.16.9.5 → 198.18.0.9, echo id 7 → 31000, 1 µs; cause: intermittent-drop (likely); from any.pcap frame 2');
      expect(rows[2]![2]).toBe(
        'natlens f1 partial: arrived on vpc0, no copy on ext7 (expected SNAT 172.16.9.5 → 198.18.0.9, ports may change, by nat POSTROUTING rules.txt:4); cause: intermittent-drop (likely); from any.pcap frame 4',
      );
    }
  });

  it('merges two captures in time order with one Ethernet interface block each', async () => {
    const dir = tmp();
    const a = join(dir, 'lan-a.pcap');
    const b = join(dir, 'wan-b.pcap');
    const eth = (p: Uint8Array): Uint8Array => ethernetFrame({ payload: p });
    // Inside capture in microseconds, outside in nanoseconds: the merge must compare exact times.
    writeFileSync(a, pcapFile({ records: [1, 2, 3].map((s) => ({ sec: 1_800_000_000, frac: s * 100, data: eth(echo('172.16.9.5', '192.0.2.80', 7, s, 64, s)) })) }));
    writeFileSync(b, pcapFile({ nanosecond: true, records: [1, 2, 3].map((s) => ({ sec: 1_800_000_000, frac: s * 100_000 + 50_000, data: eth(echo('198.18.0.9', '192.0.2.80', 7, s, 63, s)) })) }));
    const t = (us: number): string => `2027-01-15T08:00:00.${String(us * 1000).padStart(9, '0')}Z`;
    const f1 = flow(
      'f1',
      'delivered',
      'lan',
      'wan',
      [1, 2, 3].flatMap((s) => [
        sample(a, 'lan', s, t(s * 100), { file: b, iface: 'wan', frame: s, latencyNs: 50_000 }),
        sample(b, 'wan', s, t(s * 100 + 50), { file: a, iface: 'lan', frame: s, latencyNs: 50_000 }),
      ]),
      { src: '198.18.0.9', dst: '192.0.2.80', sport: 7, dport: null },
    );
    const out = join(dir, 'e.pcapng');
    expect(await writeEvidencePcapng({ ...analysisOf([f1], 'lan', 'wan'), findings: [] }, out)).toEqual({ packets: 6 });
    expect(readBack(out).map((r) => `${r.iface}:${r.link}:${r.nsec}`)).toEqual(['lan:1:100000', 'wan:1:150000', 'lan:1:200000', 'wan:1:250000', 'lan:1:300000', 'wan:1:350000']);
  });

  it('fails with an InputError naming the capture when a frame the analysis names is gone, and writes nothing for a missing capture', async () => {
    const dir = tmp();
    const a = join(dir, 'short.pcap');
    writeFileSync(a, pcapFile({ records: [{ sec: 1, frac: 0, data: ethernetFrame({ payload: echo('172.16.9.5', '192.0.2.80', 7, 1, 64, 1) }) }] }));
    const f1 = flow('f1', 'stopped-at-gateway', 'lan', 'wan', [sample(a, 'lan', 1, '1970-01-01T00:00:01.000000000Z', null), sample(a, 'lan', 9, '1970-01-01T00:00:02.000000000Z', null)], null);
    const err = await writeEvidencePcapng(analysisOf([f1], 'lan', 'wan'), join(dir, 'o.pcapng')).catch((e: unknown) => e);
    expect(isInputError(err) && err.file === a).toBe(true);

    const gone = flow('f2', 'stopped-at-gateway', 'lan', 'wan', [sample(join(dir, 'nope.pcap'), 'lan', 1, '1970-01-01T00:00:01.000000000Z', null)], null);
    const out = join(dir, 'none.pcapng');
    await expect(writeEvidencePcapng(analysisOf([gone], 'lan', 'wan'), out)).rejects.toBeTruthy();
    expect(existsSync(out)).toBe(false);

    const stdin = flow('f3', 'stopped-at-gateway', 'lan', 'wan', [sample('-', 'lan', 1, '1970-01-01T00:00:01.000000000Z', null)], null);
    const e3 = await writeEvidencePcapng(analysisOf([stdin], 'lan', 'wan'), out).catch((e: unknown) => e);
    expect(isInputError(e3) && e3.code === 'usage' && e3.file === '-').toBe(true);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(!HAVE_FIELD || !HAVE_TSHARK)('writeEvidencePcapng on the field ip-forward-off captures (read back by tshark)', () => {
  it('holds every judged stopped packet, each commented, with its interface named', async () => {
    const a = loadFixture('ip-forward-off', `${FIELD}/ip-forward-off`);
    const out = join(tmp(), 'evidence.pcapng');
    const { packets } = await writeEvidencePcapng(a, out);
    const expected = a.flows.filter((f) => f.disposition === 'stopped-at-gateway').reduce((n, f) => n + f.samples.length, 0);
    expect(packets).toBe(expected);
    const rows = tsharkFields(out, ['frame.number', 'frame.interface_name', 'frame.comment', 'ip.id', 'frame.time_epoch']);
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['eth0', 'net1']));
    for (const r of rows) expect(r[2]).toMatch(/^natlens f\d+ stopped-at-gateway: arrived on (eth0|net1), no copy on (net1|eth0) \(expected .*iptables-save\.txt:\d+\); cause: ip-forward-disabled \(confirmed\); from (eth0|net1)\.pcap frame \d+$/);
    // The first packet is eth0 frame 19 (IP ID 57207 = 0xdf77), the first one forwarding dropped.
    expect(rows[0]!.slice(3)).toEqual(['0xdf77', '1795687122.116213000']);
  });
});

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('writeEvidencePcapng: the frames a finding cites that are no flow\'s packet (lab pmtu-blackhole)', () => {
  it('holds the ICMP error the finding rests on, commented with the check', async () => {
    const dir = join(await labOutput(), 'pmtu-blackhole');
    const a = await analyze([dir]);
    const cited = a.findings[0]!.evidence.find((e) => e.kind === 'frame' && e.summary.includes('ICMP type 3 code 4'));
    expect(cited).toBeDefined();
    const out = join(tmp(), 'evidence.pcapng');
    await writeEvidencePcapng(a, out);
    const rows = tsharkFields(out, ['frame.comment', 'icmp.type', 'icmp.code', 'frame.interface_name']);
    const row = rows.find((r) => r[0]!.startsWith('natlens forward-chain-drop (confirmed): ') && r[0]!.includes('ICMP type 3 code 4 (mtu 1280)'));
    expect(row).toBeDefined();
    expect(row!.slice(1)).toEqual(['3', '4', readLabJson(dir).outside]);
  }, LAB_WAIT_MS);
});
