/**
 * nftables rules, from real gateways of the lab: iptables-nft's rules read from `nft list ruleset` give what
 * iptables-nft-save gives (lab ip-forward-disabled-nft, whose snapshot holds both; and every scenario's rules
 * restored into iptables-nft and listed by nft); the nftables lab scenarios' findings cite nft rules with the nft
 * commands that mend them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import type { Analysis } from '../../src/model/analysis.js';
import { LAB_AVAILABLE, readLabJson, readScenarios, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-nftables-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What an analysis predicts and concludes, without where the rules were read. */
function gist(a: Analysis): unknown {
  return {
    findings: a.findings.map((f) => [f.check, f.confidence, f.flows]),
    flows: a.flows.map((f) => [f.id, f.disposition, f.expected && { src: f.expected.src, dst: f.expected.dst, sport: f.expected.sport, dport: f.expected.dport }]),
  };
}

describe.skipIf(!LAB_AVAILABLE)('nftables in the lab', () => {
  const viaNft = useLabOutput('ip-forward-disabled-nft');
  const shareDnat = useLabOutput('nft-share-dnat-unreachable');

  it('iptables-nft rules read from nft list ruleset alone give the analysis iptables-nft-save gives', async () => {
    const full = await analyze([viaNft()]);
    const nftOnly = editedBundle(viaNft(), join(tmp, 'nft-only'), { 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'iptables-filter-L.txt': null, 'lab.json': null });
    const a = await analyze([nftOnly]);
    expect(a.inputs.find((i) => i.path.endsWith('nft-ruleset.txt'))).toMatchObject({ kind: 'snapshot', format: 'nftables' });
    expect(gist(a)).toEqual(gist(full));
    expect(a.findings[0]).toMatchObject({ check: 'ip-forward-disabled', confidence: 'confirmed' });
    // The DNAT rules that counted the dropped packets are cited where nft listed them, as nft names their chains.
    const dnat = a.findings[0]!.evidence.filter((e) => e.kind === 'rule');
    expect(dnat.length).toBeGreaterThan(0);
    for (const e of dnat) expect(e).toMatchObject({ file: join(nftOnly, 'nft-ruleset.txt'), chain: expect.stringMatching(/^ip nat /) });
  });

  it('Kube-OVN\'s share DNAT to a backend gone: the nft rule, and how to replace it by handle', async () => {
    const lab = readLabJson(shareDnat());
    const a = await analyze([shareDnat()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['dnat-backend-unreachable', 'confirmed']);
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', table: 'nat', chain: expect.stringMatching(/^ip kube-ovn dnat-/), text: expect.stringContaining(`0 : ${lab.addresses.ghostInside} . `) });
    expect(f.fix.some((c) => /^nft -a list chain ip kube-ovn dnat-\S+ {2}# the rule's handle, then: nft replace rule ip kube-ovn dnat-\S+ handle <handle> meta l4proto tcp dnat ip to numgen random mod 1 map \{ 0 : <backend-ip> \. \d+ \}$/.test(c))).toBe(true);
    // The walk went through the nft chains (priority -150) and not iptables' nat PREROUTING.
    const flow = a.flows.find((x) => f.flows.includes(x.id))!;
    const steps = flow.trace!.steps;
    const beforeRouting = steps.slice(0, steps.findIndex((s) => s.stage === 'routing'));
    expect(beforeRouting.filter((s) => s.stage === 'nat').map((s) => s.chain)).toEqual(['ip kube-ovn prerouting', expect.stringMatching(/^ip kube-ovn dnat-/)]);
    expect(steps.some((s) => s.chain === 'PREROUTING' || s.chain === 'DNAT_FILTER')).toBe(false);
  });
});

/** Scenarios whose nft listing tells less than iptables-nft-save: what differs, and why. */
const NFT_LISTING_SAYS_LESS: Record<string, string> = {
  'snapshot-backend-mismatch': "iptables-nft-save's warning that legacy tables are present is what confirms it; nft list ruleset has no such line (likely)",
};

describe.skipIf(!LAB_AVAILABLE || spawnSync('sh', ['-c', 'command -v nft && command -v iptables-nft-restore && command -v unshare'], { stdio: 'ignore' }).status !== 0)(
  'every lab scenario with its iptables rules listed by nft instead',
  () => {
    const out = useLabOutput();
    for (const [name] of Object.entries(readScenarios())) {
      it(`${name}: the same findings and dispositions`, async () => {
        const dir = join(out(), name);
        if (!existsSync(join(dir, 'iptables-save.txt')) || existsSync(join(dir, 'nft-ruleset.txt'))) return;
        // The rules restored into iptables-nft in a namespace of their own, counters kept, and listed by nft.
        const listed = spawnSync('unshare', ['-n', 'sh', '-c', 'iptables-nft-restore -c && nft list ruleset'], { input: readFileSync(join(dir, 'iptables-save.txt')), encoding: 'utf8' });
        expect(listed.status, listed.stderr).toBe(0);
        const edits = Object.fromEntries(readdirSync(dir).filter((f) => f.startsWith('iptables-') || f === 'lab.json').map((f) => [f, null]));
        const viaNft = editedBundle(dir, join(tmp, `sweep-${name}`), edits, { 'nft-ruleset.txt': Buffer.from(listed.stdout) });
        const [a, b] = [await analyze([dir]), await analyze([viaNft])];
        const g = (x: Analysis) => ({ findings: x.findings.map((f) => [f.check, f.severity, f.confidence]), flows: x.flows.map((f) => [f.id, f.disposition]) });
        if (NFT_LISTING_SAYS_LESS[name]) expect(b.findings.map((f) => f.check), NFT_LISTING_SAYS_LESS[name]).toEqual(a.findings.map((f) => f.check));
        else expect(g(b)).toEqual(g(a));
      }, 60_000);
    }
  },
);
