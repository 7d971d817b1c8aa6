/**
 * Established connections that lost their conntrack entries: the lab's conntrack-flushed bundle (the table flushed
 * under two live TCP connections, nf_conntrack_tcp_loose=0, FORWARD dropping INVALID), and the same captures with
 * the snapshot or the captures changed as reality changes them: the sysctl not in the snapshot, pickup on, the
 * INVALID rule gone, and captures begun only after the flush (the connections' SYNs never seen).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { matchesInvalid } from '../../src/diagnose/lost-connection.js';
import { editedBundle } from '../support/bundle-edit.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-ct-lost-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const text = (edit: (t: string) => string) => (b: Buffer): Buffer => Buffer.from(edit(b.toString('utf8')));
const withoutLine = (re: RegExp) => text((t) => t.split('\n').filter((l) => !re.test(l)).join('\n'));

/** The ids of the flows to or from `port`. */
const flowsOnPort = (a: Analysis, port: number): string[] =>
  a.flows.filter((f) => f.proto === 'tcp' && (f.original.dport === port || f.original.sport === port)).map((f) => f.id);

/** An evidence time (ISO 8601 with nanoseconds) as seconds since the epoch, to the microsecond. */
function epochOf(iso: string): number {
  const ms = Date.parse(iso.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  return ms / 1000 + Number(/\.\d{3}(\d{3})/.exec(iso)![1]) / 1e6;
}

describe('matchesInvalid', () => {
  it('reads --ctstate and --state lists holding INVALID, not negated ones', () => {
    expect(matchesInvalid('-A FORWARD -m conntrack --ctstate INVALID -j DROP')).toBe(true);
    expect(matchesInvalid('-A FORWARD -m state --state INVALID -j DROP')).toBe(true);
    expect(matchesInvalid('-A FORWARD -m conntrack --ctstate NEW,INVALID -j DROP')).toBe(true);
    expect(matchesInvalid('-A FORWARD -m conntrack ! --ctstate INVALID -j ACCEPT')).toBe(false);
    expect(matchesInvalid('-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')).toBe(false);
  });
});

describe.skipIf(!LAB_AVAILABLE)('conntrack-state-lost on the lab bundle', () => {
  let dir = '';
  let bulk = 0;
  let bulkForward = 0;
  beforeAll(async () => {
    dir = join(await labOutput(), 'conntrack-flushed');
    const lab = readLabJson(dir);
    bulk = lab.ports.bulkTcp;
    bulkForward = lab.ports.bulkForwardTcp;
  }, LAB_WAIT_MS);

  it('confirmed: both connections named, the INVALID rule and the sysctl cited, the gateway\'s reset shown, nothing called intermittent', async () => {
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['conntrack-state-lost', 'error', 'confirmed']);
    expect([...f.flows].sort()).toEqual([...flowsOnPort(a, bulk), ...flowsOnPort(a, bulkForward)].sort());
    expect(f.flows).toHaveLength(2);
    expect(a.findings.map((x) => x.check)).not.toContain('intermittent-drop');
    expect(a.findings.filter((x) => x.severity === 'error')).toHaveLength(1);
    expect(f.evidence.some((e) => e.kind === 'rule' && e.chain === 'FORWARD' && e.text.includes('--ctstate INVALID -j DROP') && (e.counters?.packets ?? 0) > 0)).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'sysctl' && e.key === 'net.netfilter.nf_conntrack_tcp_loose' && e.value === '0')).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'frame' && / TCP \[R\] /.test(e.summary) && e.summary.includes('resets the connection'))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.includes('lists no entry for'))).toBe(true);
    expect(f.detail).toMatch(/broke in mid-stream, all within \d+ ms of .*while new connections passed/);
    expect(f.fix.some((c) => c.startsWith('sysctl -w net.netfilter.nf_conntrack_tcp_loose=1') && c.includes('/etc/sysctl.d/'))).toBe(true);
    // Connections begun after the flush pass: every other flow is delivered.
    for (const x of a.flows) if (!f.flows.includes(x.id) && x.disposition !== 'local' && x.disposition !== 'outside-capture') expect(x.disposition, x.id).toBe('delivered');
  });

  it('without the sysctl in the snapshot: likely, and the detail says what decides it', async () => {
    const d = editedBundle(dir, join(tmp, 'no-loose'), { 'sysctl.txt': withoutLine(/nf_conntrack_tcp_loose/), 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['conntrack-state-lost', 'likely']);
    expect(f.detail).toContain('when net.netfilter.nf_conntrack_tcp_loose is 0 (the snapshot does not say)');
  });

  it('with pickup on (tcp_loose = 1): only possible, and no advice to turn on what is on', async () => {
    const d = editedBundle(dir, join(tmp, 'loose'), { 'sysctl.txt': text((t) => t.replace(/(nf_conntrack_tcp_loose) = 0/, '$1 = 1')), 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['conntrack-state-lost', 'possible']);
    expect(f.fix.some((c) => c.includes('nf_conntrack_tcp_loose=1'))).toBe(false);
  });

  it('without the INVALID rule, the dropped connection is not blamed on lost state; the reset one still is', async () => {
    const d = editedBundle(dir, join(tmp, 'no-rule'), {
      'iptables-save.txt': withoutLine(/--ctstate INVALID/),
      'iptables-filter-L.txt': withoutLine(/ctstate INVALID/),
      'lab.json': null,
    });
    const a = await analyze([d]);
    const f = a.findings.find((x) => x.check === 'conntrack-state-lost')!;
    expect(f.flows).toEqual(flowsOnPort(a, bulkForward));
    expect(a.findings.some((x) => x.severity === 'error' && x.flows.includes(flowsOnPort(a, bulk)[0]!))).toBe(true);
  });

  it.skipIf(!HAVE_TSHARK)('captures begun after the flush (no SYN seen, nothing passes): still the lost state, the flows stopped', async () => {
    // The two connections' packets from before their first stopped segment taken out (as if the captures began
    // after the flush); the rest of the traffic kept, so that both captures run around the stopped segments.
    const firsts = (await analyze([dir])).findings[0]!.evidence.filter((e) => e.kind === 'frame' && e.summary.includes('first segment that stopped'));
    expect(firsts).toHaveLength(2);
    const epoch = Math.min(...firsts.map((e) => (e.kind === 'frame' ? epochOf(e.time) : Infinity)));
    const d = bundleFilteredByTshark(dir, join(tmp, 'late'), `not ((tcp.port == ${bulk} or tcp.port == ${bulkForward}) and frame.time_epoch < ${epoch.toFixed(6)})`);
    const a = await analyze([d]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['conntrack-state-lost', 'confirmed']);
    const ids = [...flowsOnPort(a, bulk), ...flowsOnPort(a, bulkForward)];
    expect(ids).toHaveLength(2);
    expect([...f.flows].sort()).toEqual(ids.sort());
    expect(a.flows.find((x) => x.id === flowsOnPort(a, bulk)[0])!.disposition).toBe('stopped-at-gateway');
    expect(a.flows.find((x) => x.id === flowsOnPort(a, bulk)[0])!.samples.some((p) => p.summary.includes('TCP [S'))).toBe(false);
  });
});

describe.skipIf(!LAB_AVAILABLE)('conntrack-state-lost, pickup on: a connection translated anew (lab conntrack-flushed-loose)', () => {
  let dir = '';
  let bulk = 0;
  beforeAll(async () => {
    dir = join(await labOutput(), 'conntrack-flushed-loose');
    bulk = readLabJson(dir).ports.bulkTcp;
  }, LAB_WAIT_MS);

  const app2Bulk = (a: Analysis) => {
    const { app2 } = readLabJson(dir).addresses;
    return a.flows.find((f) => f.proto === 'tcp' && f.original.src === app2 && f.original.dport === bulk)!;
  };

  it('confirmed: the flow a translation mismatch, both translations and the far end\'s reset shown, the SNAT rule named; not stale-conntrack', async () => {
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['conntrack-state-lost', 'error', 'confirmed']);
    const flow = app2Bulk(a);
    expect(f.flows).toEqual([flow.id]);
    expect(flow.disposition).toBe('translation-mismatch');
    expect(a.findings.map((x) => x.check)).not.toContain('stale-conntrack');
    expect(f.detail).toMatch(new RegExp(`${flow.id} left as ${flow.observed!.src.replace(/\./g, '\\.')}:${flow.observed!.sport} and then, from a segment in mid-stream, as ${flow.observed!.src.replace(/\./g, '\\.')}:\\d+`));
    expect(f.detail).toContain('--random-fully picks a new port');
    expect(f.evidence.some((e) => e.kind === 'rule' && e.chain === 'SHARED_SNAT')).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'frame' && / TCP \[R\] /.test(e.summary) && e.summary.includes('the far end resets'))).toBe(true);
    // Pickup is on: no advice to turn it on.
    expect(f.fix.some((c) => c.includes('nf_conntrack_tcp_loose=1'))).toBe(false);
    // app's connection, SNATed without --random-fully, kept its port when taken up again: delivered.
    const { app } = readLabJson(dir).addresses;
    expect(a.flows.find((x) => x.proto === 'tcp' && x.original.src === app && x.original.dport === bulk)!.disposition).toBe('delivered');
  });

  it('the captures alone prove it', async () => {
    const lab = readLabJson(dir);
    const a = await analyze([join(dir, `${lab.inside}.pcapng`), join(dir, `${lab.outside}.pcapng`)]);
    expect([a.findings[0]!.check, a.findings[0]!.confidence]).toEqual(['conntrack-state-lost', 'confirmed']);
    expect(a.findings[0]!.flows).toEqual([app2Bulk(a).id]);
  });
});

describe.skipIf(!LAB_AVAILABLE)('conntrack-state-lost, no INVALID rule: a connection leaking untranslated (lab conntrack-flushed-leak)', () => {
  const dir = useLabOutput('conntrack-flushed-leak');

  it('confirmed: forwarded untranslated after the flush, not a missing SNAT; the fix drops INVALID and turns pickup on', async () => {
    const a = await analyze([dir()]);
    const lab = readLabJson(dir());
    const flow = a.flows.find((f) => f.proto === 'tcp' && f.original.src === lab.addresses.app && f.original.dport === lab.ports.bulkTcp)!;
    expect(flow.disposition).toBe('forwarded-untranslated');
    const f = a.findings[0]!;
    expect([f.check, f.confidence, f.flows]).toEqual(['conntrack-state-lost', 'confirmed', [flow.id]]);
    expect(a.findings.map((x) => x.check)).not.toContain('snat-missing');
    expect(f.detail).toContain(`untranslated, from its own address ${lab.addresses.app}: no rule drops INVALID packets`);
    expect(f.fix).toContain('iptables -I FORWARD -m conntrack --ctstate INVALID -j DROP  # what conntrack cannot place is never NATed: drop it rather than let private addresses out');
    expect(f.fix.some((c) => c.startsWith('sysctl -w net.netfilter.nf_conntrack_tcp_loose=1'))).toBe(true);
  });
});
