/**
 * Only one side captured: a packet that should leave by an interface nobody captured may have left unseen.
 * Such flows are not judged (outside-capture) — unless the snapshot's rules stop them at the gateway, which
 * the snapshot proves on its own. Real field captures with the outside one left out.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, readScenarios, useLabOutput } from '../lab/lab-output.js';
import { editedBundle, pcapRecordOffset } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { writeEvidencePcapng } from '../../src/present/evidence-pcapng.js';
import { HAVE_TSHARK, tsharkFields } from '../support/tshark.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-oneside-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a field set with only the files `keep` lets through, each rewritten by `edit` where it says. */
function only(set: string, name: string, keep: (f: string) => boolean, edit: Record<string, (b: Buffer) => Buffer> = {}): string {
  const from = fieldSets().find((s) => s.name === set)!.dir;
  return editedBundle(from, join(tmp, name), { ...Object.fromEntries(readdirSync(from).filter((f) => !keep(f)).map((f) => [f, null])), ...edit });
}

const have = (n: string): boolean => fieldSets().some((s) => s.name === n);

describe.skipIf(!have('healthy') || !have('ip-forward-off'))('an interface the rules send flows out by was not captured', () => {
  it('a healthy gateway with only eth0 captured: nothing judged lost, and natlens says what to capture', async () => {
    const a = await analyze([only('healthy', 'healthy-eth0', (f) => f !== 'net1.pcap')]);
    expect(a.flows.length).toBeGreaterThan(0);
    expect(a.flows.every((f) => f.disposition === 'outside-capture')).toBe(true);
    expect(a.flows.every((f) => f.lossRate === null)).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.summary.verdict).toBe('ok');
    expect(a.summary.sentence).toMatch(/^No flow could be followed through the gateway/);
    const w = a.warnings.find((x) => x.code === 'egress-not-captured')!;
    expect(w.message).toContain('net1');
  });

  it('forwarding off with only eth0 captured: the snapshot still proves where the flows stop', async () => {
    const a = await analyze([only('ip-forward-off', 'off-eth0', (f) => f !== 'net1.pcap')]);
    expect(a.findings[0]).toMatchObject({ check: 'ip-forward-disabled', confidence: 'confirmed' });
    expect(a.flows.some((f) => f.disposition === 'stopped-at-gateway')).toBe(true);
  });

  it('one capture and no snapshot: nothing judged, and the warning says only one interface was captured', async () => {
    const a = await analyze([only('healthy', 'bare-eth0', (f) => f === 'eth0.pcap')]);
    expect(a.flows.every((f) => f.disposition === 'outside-capture' || f.disposition === 'local')).toBe(true);
    expect(a.warnings.find((x) => x.code === 'egress-not-captured')?.message).toMatch(/^only eth0 was captured/);
  });

  it('captures that do not overlap in time: nothing judged, and a no-overlap warning with both runs', async () => {
    // The inside capture stopped before the outside one began: eth0 keeps its records up to a moment, net1 those
    // from a second later (little-endian µs pcaps). No packet is in both, so neither is taken for a skewed
    // clock (clock-skew.ts: the same packets an hour apart are one).
    const eth0 = readFileSync(join(fieldSets().find((s) => s.name === 'healthy')!.dir, 'eth0.pcap'));
    const cut = eth0.readUInt32LE(pcapRecordOffset(eth0, 60));
    const within = (keep: (sec: number) => boolean) => (b: Buffer): Buffer => {
      const parts = [b.subarray(0, 24)];
      for (let at = 24; at + 16 <= b.length; at += 16 + b.readUInt32LE(at + 8)) if (keep(b.readUInt32LE(at))) parts.push(b.subarray(at, at + 16 + b.readUInt32LE(at + 8)));
      return Buffer.concat(parts);
    };
    const dir = only('healthy', 'apart', () => true, { 'eth0.pcap': within((sec) => sec < cut), 'net1.pcap': within((sec) => sec > cut) });
    const a = await analyze([dir]);
    expect(a.capture.overlap).toBeNull();
    expect(a.flows.every((f) => f.disposition === 'outside-capture' || f.disposition === 'local')).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.warnings.map((w) => w.code)).toEqual(['no-overlap']);
    expect(a.summary.sentence).toContain('do not overlap');
  });
});

describe.skipIf(!have('snat-missing') || !have('healthy'))('the outside captured alone (the real sets without eth0.pcap)', () => {
  it('requests leaving net1 with their private source, nothing back: SNAT missing, told from the outside alone', async () => {
    const full = await analyze([fieldSets().find((s) => s.name === 'snat-missing')!.dir]);
    const a = await analyze([only('snat-missing', 'snat-net1', (f) => f !== 'eth0.pcap')]);
    expect([a.findings[0]!.check, a.findings[0]!.confidence]).toEqual(['snat-missing', 'confirmed']);
    expect(a.findings[0]!.title).toBe(full.findings[0]!.title);
    expect(a.findings[0]!.fix).toEqual(full.findings[0]!.fix);
    // The same flows as with both captures: requests in by eth0 (unseen), out by net1 as they came.
    const key = (f: (typeof a.flows)[number]) => `${f.proto} ${f.original.src}:${f.original.sport ?? ''} > ${f.original.dst}:${f.original.dport ?? ''}`;
    const untranslated = a.flows.filter((f) => f.disposition === 'forwarded-untranslated');
    expect(untranslated.map(key).sort()).toEqual(full.flows.filter((f) => f.disposition === 'forwarded-untranslated').map(key).sort());
    for (const f of untranslated) {
      expect([f.ingress, f.egress]).toEqual(['eth0', 'net1']);
      expect(f.observed).toEqual(f.original);
    }
    expect(a.findings[0]!.evidence.some((e) => e.kind === 'frame' && e.summary.endsWith('left net1 with its private source, untranslated (it came in by eth0, which was not captured)'))).toBe(true);
    // The evidence pcapng's comments say the way in was not captured, not that its copy is missing there.
    const out = join(tmp, 'snat-net1-evidence.pcapng');
    await writeEvidencePcapng(a, out);
    if (HAVE_TSHARK) {
      const comments = tsharkFields(out, ['frame.comment']).map((r) => r[0] ?? '');
      expect(comments.some((c) => c.includes('forwarded-untranslated: request seen on net1; eth0 was not captured'))).toBe(true);
      expect(comments.some((c) => c.includes('no copy on eth0'))).toBe(false);
    }
  });

  it('a healthy gateway seen from the outside: every source leaving is an EIP, nothing called untranslated', async () => {
    const a = await analyze([only('healthy', 'healthy-net1', (f) => f !== 'eth0.pcap')]);
    expect(a.flows.some((f) => f.disposition === 'forwarded-untranslated')).toBe(false);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});

/** A copy of lab bundle `dir` without the capture of its `side` interface (per-interface captures): null where it has none. */
function labWithout(dir: string, name: string, side: 'inside' | 'outside'): string | null {
  const iface = readLabJson(dir)[side];
  const capture = readdirSync(dir).find((f) => f === `${iface}.pcap` || f === `${iface}.pcapng`);
  if (!capture) return null;
  const copy = editedBundle(dir, join(tmp, name), { [capture]: null, 'lab.json': null });
  return readdirSync(copy).some((f) => /\.pcap(ng)?$/.test(f)) ? copy : null;
}

/** The checks of an analysis's error findings, most important first. */
const errors = (x: Analysis): string[] => x.findings.filter((f) => f.severity === 'error').map((f) => f.check);

/** Scenarios the outside capture alone names as both captures do. */
const OUTSIDE_ALONE_NAMES = ['upstream-no-reply', 'upstream-reject', 'eip-stale-arp-upstream', 'nexthop-stale-mac', 'eip-conflict', 'arp-disabled'];

/** Scenarios whose outside capture alone concludes otherwise than both captures, and why. */
const OUTSIDE_ALONE_SAYS_OTHERWISE: Record<string, string> = {
  'eip-conflict-arp':
    "the inside shows the requests held while the gateway cannot resolve its next hop (egress-neighbor-unresolved); the outside alone shows them leave at last, the router claiming the EIP, and no reply: upstream-no-reply's address conflict",
  'pmtu-blackhole':
    'the inside shows fragmentation needed never relayed (forward-chain-drop: RELATED not accepted); the outside alone shows it arrive and cannot see the relay: upstream-no-reply, likely, with a note naming forward-chain-drop',
};

describe.skipIf(!LAB_AVAILABLE)('every lab scenario with its inside capture left out', () => {
  const out = useLabOutput();
  const key = (f: Analysis['flows'][number]) => `${f.proto} ${f.original.src}:${f.original.sport ?? ''} > ${f.original.dst}:${f.original.dport ?? ''}`;

  for (const [name, s] of Object.entries(readScenarios())) {
    // Per-interface captures only (an -i any or multi-interface file holds both sides).
    if (s.capture !== 'pcap' && s.capture !== 'pcap-nano' && s.capture !== 'pcapng') continue;
    it(`${name}: what the outside alone calls untranslated, or an error, both captures do`, async () => {
      const dir = join(out(), name);
      const oneSide = labWithout(dir, `lab-${name}`, 'inside');
      if (!oneSide) return;
      const [a, full] = [await analyze([oneSide]), await analyze([dir])];
      const fullUntranslated = new Set(full.flows.filter((f) => f.disposition === 'forwarded-untranslated').map(key));
      expect(a.flows.filter((f) => f.disposition === 'forwarded-untranslated').map(key).filter((k) => !fullUntranslated.has(k))).toEqual([]);
      if (a.findings.some((f) => f.check === 'snat-missing')) expect(full.findings.map((f) => f.check)).toContain('snat-missing');
      // Scenarios whose requests leave untranslated by the outside are told so from there alone.
      if (s.check === 'snat-missing' && s.flows?.some((f) => f.disposition === 'forwarded-untranslated')) expect(a.findings.map((f) => f.check)).toContain('snat-missing');
      // What the outside alone calls an error, both captures call one too (or, where listed, say otherwise and why).
      if (OUTSIDE_ALONE_SAYS_OTHERWISE[name]) expect(errors(a), OUTSIDE_ALONE_SAYS_OTHERWISE[name]).not.toEqual(errors(full));
      else for (const c of errors(a)) expect(errors(full)).toContain(c);
      // Stops beyond the gateway, and a stale next hop, show on the outside alone.
      if (OUTSIDE_ALONE_NAMES.includes(name)) expect(errors(a)[0]).toBe(errors(full)[0]);
    }, 60_000);
  }
});

describe.skipIf(!have('dnat-wrong-backend'))('the inside captured alone (the real dnat-wrong-backend set without net1.pcap)', () => {
  it("the requests to the EIP are not seen, the gateway's unanswered ARP for the DNAT target is: likely, with the rule to correct", async () => {
    const full = (await analyze([fieldSets().find((s) => s.name === 'dnat-wrong-backend')!.dir])).findings[0]!;
    const a = await analyze([only('dnat-wrong-backend', 'dnat-eth0', (f) => f !== 'net1.pcap')]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['dnat-backend-unreachable', 'error', 'likely']);
    expect(f.title).toBe(full.title);
    expect(f.fix).toEqual(full.fix);
    expect(f.detail).toMatch(/^net1 was not captured, so the requests to \S+ are not seen; but the gateway kept asking on eth0 by ARP for /);
    expect(f.evidence.map((e) => e.kind)).toEqual(['rule', 'frame', 'frame', 'neighbour']);
    expect(f.flows).toEqual([]);
  });
});

describe.skipIf(!LAB_AVAILABLE)('every lab scenario with its outside capture left out', () => {
  const out = useLabOutput();
  for (const [name, s] of Object.entries(readScenarios())) {
    if (s.capture !== 'pcap' && s.capture !== 'pcap-nano' && s.capture !== 'pcapng') continue;
    it(`${name}: an error (a dead DNAT backend, a rate limit) named from the inside alone only where both captures name it; no answered flow called stopped`, async () => {
      const dir = join(out(), name);
      const oneSide = labWithout(dir, `lab-in-${name}`, 'outside');
      if (!oneSide) return;
      const [a, full] = [await analyze([oneSide]), await analyze([dir])];
      if (a.findings.some((f) => f.check === 'dnat-backend-unreachable')) expect(full.findings.map((f) => f.check)).toContain('dnat-backend-unreachable');
      // A flow whose replies came back through the gateway was not stopped there, whatever the rules would do to its first packet.
      const answered = a.flows.filter((f) => f.disposition === 'stopped-at-gateway' && f.proto !== 'tcp' && Object.values(f.packets).some((p) => p.reply > 0));
      expect(answered.map((f) => `${f.id} ${JSON.stringify(f.packets)}`)).toEqual([]);
      if (s.check === 'dnat-backend-unreachable') expect(a.findings.map((f) => f.check)).toContain('dnat-backend-unreachable');
      // What the inside alone calls an error, both captures call one too.
      for (const c of errors(a)) expect(errors(full), `${name}: ${c}`).toContain(c);
      // A rate limit's share of the pings unanswered, the rule that lets some through: intermittent-drop, likely.
      if (name === 'rate-limit') expect(a.findings.map((f) => [f.check, f.confidence])).toEqual([['intermittent-drop', 'likely']]);
    }, 60_000);
  }
});

describe.skipIf(!have('healthy'))('what leaves from the gateway\'s own addresses, the inside not captured', () => {
  it("traffic source-NATed to an EIP (TTL one below the sender's) is not the gateway's own: not judged, not local", async () => {
    const a = await analyze([only('healthy', 'healthy-net1-ttl', (f) => f !== 'eth0.pcap')]);
    // Seen leaving net1 only, their way in (eth0) not captured; answered, so nothing is said of them.
    const leaving = a.flows.filter((f) => f.ingress === 'eth0' && f.egress === 'net1' && Object.keys(f.packets).join() === 'net1');
    expect(leaving.length).toBeGreaterThan(0);
    for (const f of leaving) expect([f.disposition, f.observed]).toEqual(['outside-capture', f.original]);
    expect(a.flows.filter((f) => f.disposition === 'local')).toEqual([]);
  });

  it('with ip_default_ttl set to what they left with, the snapshot says they are its own: local', async () => {
    const sysctl = (b: Buffer): Buffer => Buffer.from(`${b.toString()}net.ipv4.ip_default_ttl = 63\n`);
    const a = await analyze([only('healthy', 'healthy-net1-ttl63', (f) => f !== 'eth0.pcap', { 'sysctl.txt': sysctl })]);
    expect(a.flows.some((f) => f.disposition === 'local')).toBe(true);
  });
});
