/**
 * Flows that stop at the gateway although the snapshot would forward them must never be reported as "no
 * packets stop": a snapshot of the nat table only (`iptables-save -t nat -c`, `iptables -t nat -L -n -v`), or
 * one whose rules do not hold the drop (the other iptables backend, native nftables), still shows the stop,
 * named as its most likely cause (a FORWARD drop), never confirmed. Real captures, the snapshot edited.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';
import { LAB_AVAILABLE, useLabOutput } from '../lab/lab-output.js';
import { asNativeTables, HAVE_NFT, listedByNft, withNftListing } from '../support/nft-listing.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-unexplained-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = (n: string) => fieldSets().find((s) => s.name === n);

/** `iptables-save` output cut to its nat table, as `iptables-save -t nat` prints it. */
function natTableOnly(b: Buffer): Buffer {
  const lines = b.toString('utf8').split('\n');
  const start = lines.findIndex((l) => l === '*nat');
  const end = lines.findIndex((l, k) => k > start && l === 'COMMIT');
  return Buffer.from([...lines.slice(0, start).filter((l) => l.startsWith('#')), ...lines.slice(start, end + 1), ''].join('\n'));
}

/** Every FORWARD DROP/REJECT rule gone and its policy ACCEPT, in `iptables-save` and `iptables -L` output alike. */
function forwardAccepts(b: Buffer): Buffer {
  return Buffer.from(
    b
      .toString('utf8')
      .split('\n')
      .filter((l) => !/-A FORWARD .*-j (?:DROP|REJECT)/.test(l))
      .map((l) => l.replace(/^:FORWARD DROP/, ':FORWARD ACCEPT').replace(/^Chain FORWARD \(policy DROP/, 'Chain FORWARD (policy ACCEPT'))
      .join('\n'),
  );
}

function stoppedIds(a: Analysis): string[] {
  return a.flows.filter((f) => f.disposition === 'stopped-at-gateway').map((f) => f.id);
}

function expectStopNamed(a: Analysis, confidence: 'likely' | 'possible'): void {
  expect(a.summary.verdict).toBe('packets-stop');
  const f = a.findings[0]!;
  expect([f.check, f.severity, f.confidence]).toEqual(['forward-chain-drop', 'error', confidence]);
  expect(stoppedIds(a).length).toBeGreaterThan(0);
  expect(f.flows).toEqual(stoppedIds(a));
  expect(f.evidence.filter((e) => e.kind === 'frame').length).toBeGreaterThan(0);
  expect(f.fix.some((c) => c.startsWith('iptables-save -c'))).toBe(true);
}

describe.skipIf(!set('forward-drop'))('stops the snapshot does not explain, on the real forward-drop set', () => {
  it('a snapshot of the nat table only: likely a FORWARD drop, the missing filter table said', async () => {
    const dir = editedBundle(set('forward-drop')!.dir, join(tmp, 'nat-only'), { 'iptables-save.txt': natTableOnly, 'iptables-filter-L.txt': null, 'lab.json': null });
    const a = await analyze([dir]);
    expectStopNamed(a, 'likely');
    const f = a.findings[0]!;
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.includes('no filter table'))).toBe(true);
    // The forwarding sysctls the walk read are the evidence that forwarding itself is on.
    expect(f.evidence.some((e) => e.kind === 'sysctl' && e.value === '1')).toBe(true);
  });

  it('rules that would forward them: possible, with the FORWARD policy that accepts', async () => {
    const dir = editedBundle(set('forward-drop')!.dir, join(tmp, 'accepting'), { 'iptables-save.txt': forwardAccepts, 'iptables-filter-L.txt': forwardAccepts, 'lab.json': null });
    const a = await analyze([dir]);
    expectStopNamed(a, 'possible');
    expect(a.findings[0]!.evidence.some((e) => e.kind === 'policy' && e.chain === 'FORWARD' && e.policy === 'ACCEPT')).toBe(true);
    // Drops before netfilter that tcpdump still sees: tc filters and XDP on the interfaces the flows came in by.
    expect(a.findings[0]!.detail).toContain('a tc filter or an XDP/eBPF program on the way in');
    expect(a.findings[0]!.fix.some((c) => /^tc -s filter show dev \S+ ingress; ip -d link show dev \S+ \| grep -i xdp/.test(c))).toBe(true);
  });

  it('without the sysctls either: ip-forward-disabled, likely, explains them all (nothing was forwarded)', async () => {
    const dir = editedBundle(set('forward-drop')!.dir, join(tmp, 'no-sysctls'), { 'iptables-save.txt': natTableOnly, 'iptables-filter-L.txt': null, 'sysctl.txt': null, 'lab.json': null });
    const a = await analyze([dir]);
    // Nothing was forwarded and no sysctl says why: ip-forward-disabled's own "likely" explains every flow.
    expect(a.findings[0]!.check).toBe('ip-forward-disabled');
    expect(a.findings[0]!.confidence).toBe('likely');
    expect(a.findings.filter((f) => f.severity === 'error')).toHaveLength(1);
  });

  it('the set as it is: confirmed by the rule, and no second finding for the same flows', async () => {
    const a = await analyze([set('forward-drop')!.dir]);
    expect(a.findings.filter((f) => f.severity === 'error').map((f) => [f.check, f.confidence])).toEqual([['forward-chain-drop', 'confirmed']]);
  });
});

describe.skipIf(!set('forward-drop'))('an nftables ruleset beside the iptables one', () => {
  it('is walked: the drop in its forward chain, which the iptables rules do not hold, is confirmed and named', async () => {
    const nft = join(REPO, 'test/fixtures/gateway/nft/nft-list-ruleset.txt');
    const dir = editedBundle(set('forward-drop')!.dir, join(tmp, 'nft'), { 'iptables-save.txt': forwardAccepts, 'iptables-filter-L.txt': forwardAccepts, 'lab.json': null });
    const a = await analyze([dir, nft]);
    expect(a.warnings.map((w) => w.code)).not.toContain('parse');
    expect(a.inputs.find((i) => i.path === nft)).toMatchObject({ kind: 'snapshot', format: 'nftables' });
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    // `iifname "eth0" counter packets 25 bytes 2100 drop` in `table inet filter`, chain forward (line 11).
    const rule = f.evidence.find((e) => e.kind === 'rule');
    expect(rule).toMatchObject({ file: nft, line: 11, chain: 'inet filter forward', text: 'iifname "eth0" counter packets 25 bytes 2100 drop', counters: { packets: 25, bytes: 2100 } });
    expect(f.fix[0]).toBe('nft -a list chain inet filter forward  # the rule\'s handle, then: nft delete rule inet filter forward handle <handle>');
  });
});

describe.skipIf(!set('forward-drop') || !HAVE_NFT)('stops the snapshot does not explain, on a gateway whose rules are nftables\' own', () => {
  it('its forward chain accepts them: possible, that chain\'s policy the evidence, and how to list it in nft\'s words', async () => {
    const accepting = editedBundle(set('forward-drop')!.dir, join(tmp, 'nft-accepting-src'), { 'iptables-save.txt': forwardAccepts, 'lab.json': null });
    const listing = asNativeTables(listedByNft(accepting));
    expect(listing).toMatch(/type filter hook forward priority filter; policy accept;/);
    const a = await analyze([withNftListing(accepting, join(tmp, 'nft-accepting'), listing)]);
    expectStopNamed(a, 'possible');
    const f = a.findings[0]!;
    // The forward chain is known (nft listed it): not "the snapshot holds no iptables rules".
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'policy', chain: 'ip filter_native FORWARD', policy: 'ACCEPT' }));
    expect(f.evidence.some((e) => e.kind === 'note' && /not known/.test(e.text))).toBe(false);
    expect(f.fix).toContain('nft -a list chain ip filter_native FORWARD  # then: nft delete rule ip filter_native FORWARD handle <handle> of the rule that drops them');
    expect(f.fix.some((c) => c.startsWith('iptables -L FORWARD'))).toBe(false);
  });
});

describe.skipIf(!set('ip-forward-off'))('the seed incident with a snapshot taken after the fix', () => {
  it('forwarding on in the snapshot, nothing forwarded in the captures: a stop, with the sysctls to check among the fixes', async () => {
    const fixed = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').replace(/^(net\.ipv4\.(?:ip_forward|conf\.\S+\.forwarding)) = 0$/gm, '$1 = 1'));
    const dir = editedBundle(set('ip-forward-off')!.dir, join(tmp, 'fixed-later'), { 'sysctl.txt': fixed, 'lab.json': null });
    const a = await analyze([dir]);
    expectStopNamed(a, 'possible');
    expect(a.findings[0]!.fix.some((c) => c.startsWith('sysctl net.ipv4.ip_forward'))).toBe(true);
  });
});

describe.skipIf(!LAB_AVAILABLE)('stops the snapshot does not explain, on the lab (lan plan, outside wan9.7)', () => {
  const out = useLabOutput();

  it('forward-chain-drop with its snapshot cut to the nat table: likely, every stopped flow named', async () => {
    const dir = editedBundle(join(out(), 'forward-chain-drop'), join(tmp, 'lab-nat-only'), { 'iptables-save.txt': natTableOnly, 'iptables-filter-L.txt': null });
    expectStopNamed(await analyze([dir]), 'likely');
  });

  it('healthy bundles with the same cut stay healthy', async () => {
    for (const name of ['healthy', 'healthy-lan', 'hairpin']) {
      const dir = editedBundle(join(out(), name), join(tmp, `lab-${name}-nat-only`), { 'iptables-save.txt': natTableOnly, 'iptables-filter-L.txt': null });
      const a = await analyze([dir]);
      expect(a.findings.filter((f) => f.severity === 'error'), name).toEqual([]);
    }
  });
});

describe.skipIf(!LAB_AVAILABLE)('a drop behind a match natlens cannot evaluate (lab forward-unmodelled-match: -m recent)', () => {
  const out = useLabOutput();

  it('the REJECT whose ICMP answer the captures show: confirmed, the rule first in the evidence, how to read its list', async () => {
    const a = await analyze([join(out(), 'forward-unmodelled-match')]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    expect(f.title).toMatch(/^The FORWARD rule at .*iptables-save\.txt:\d+ rejects the traffic$/);
    expect(f.flows).toEqual(stoppedIds(a));
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', chain: 'FORWARD', text: expect.stringContaining('-m recent') });
    expect(f.detail).toContain('(code 10): it matched them');
    expect(f.fix[0]).toBe('cat /proc/net/xt_recent/blocklist  # the addresses the recent match holds');
    expect(f.fix[1]).toMatch(/^iptables -t filter -D FORWARD -m recent .* -j REJECT --reject-with icmp-host-prohibited {2}# if it is the one/);
  });

  it('the same rule as a DROP (no answer to prove it matched): likely, still named', async () => {
    const drop = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').replace(/-j REJECT --reject-with icmp-host-prohibited/g, '-j DROP'));
    const dir = editedBundle(join(out(), 'forward-unmodelled-match'), join(tmp, 'unmodelled-drop'), { 'iptables-save.txt': drop, 'iptables-filter-L.txt': drop });
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'likely']);
    expect(f.title).toMatch(/most likely by the FORWARD rule at .*, whose match natlens cannot evaluate$/);
    expect(f.flows).toEqual(stoppedIds(a));
  });
});
