/**
 * nftables rules, from real gateways of the lab: iptables-nft's rules read from `nft list ruleset` give what
 * iptables-nft-save gives (lab ip-forward-disabled-nft, whose snapshot holds both; and every scenario's rules
 * restored into iptables-nft and listed by nft); the nftables lab scenarios' findings cite nft rules with the nft
 * commands that mend them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { parseNftRuleset } from '../../src/gateway/nft-ruleset.js';
import type { Analysis } from '../../src/model/analysis.js';
import { LAB_AVAILABLE, readLabJson, readScenarios, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';
import { asNativeTables, HAVE_NFT, listedByNft, withNftListing as nftListingBundle } from '../support/nft-listing.js';

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
/** nft prints iptables' -m set as `xt match set`, without the set's name or flags: the rule may match, its set unknown. */
const XT_MATCH_SET = "nft prints iptables' -m set as `xt match set`, without the set's name: the rule may match and the fixes cannot name the set";

const NFT_LISTING_SAYS_LESS: Record<string, string> = {
  'snapshot-backend-mismatch': "iptables-nft-save's warning that legacy tables are present is what confirms it; nft list ruleset has no such line (likely)",
  'ipset-blocklist': XT_MATCH_SET,
  'ipset-snat-subnet': XT_MATCH_SET,
};

/** Scenarios whose fixes from the nft listing differ from iptables-nft-save's, and why. */
const NFT_LISTING_FIXES_DIFFER: Record<string, string> = {
  ...NFT_LISTING_SAYS_LESS,
  'snapshot-backend-mismatch-nft': 'the wrong backend told from the listing, not from a named iptables file: the commands name both backends',
  'forward-unmodelled-match': "nft prints `xt match recent` without its options: the suspect rule is deleted by its number, and the recent list's name is unknown",
  'intermittent-drop': "`meta random` is not read back into iptables' statistic match: the rule is deleted by its number",
};

/** A finding's title and fixes, without the files and lines that tell where the rules were read. */
function advice(a: Analysis): string[][] {
  const norm = (s: string): string => s.replace(/\S*\/(iptables-save|nft-ruleset)\.txt:\d+/g, 'RULES:LINE').replace(/The (ip filter )?FORWARD rule at/, 'The FORWARD rule at');
  return a.findings.map((f) => [norm(f.title), ...f.fix.map(norm)]);
}

/** The bundle with its iptables files replaced by an nft listing, in this file's scratch folder. */
function withNftListing(dir: string, name: string, listing: string): string {
  return nftListingBundle(dir, join(tmp, name), listing);
}

const g = (x: Analysis): unknown => ({ findings: x.findings.map((f) => [f.check, f.severity, f.confidence]), flows: x.flows.map((f) => [f.id, f.disposition]) });

/** A fix that changes iptables' rules (or saves them): wrong where the rules are nftables' own. */
const IPTABLES_CHANGE = /^iptables(-save >| (-t \S+ )?-[ADIRP] )/;

/** Native-nftables scenarios (tables renamed from iptables-nft's) that still get an iptables command, and why. */
const NATIVE_IPTABLES_FIX: Record<string, string> = {
  'conntrack-flushed-leak': 'no nftables chain hooks forward there: the INVALID drop goes to iptables, which makes its own',
  'mtu-exceeded': 'no nftables chain hooks forward at mangle priority: the MSS clamp goes to iptables',
  'mtu-exceeded-inbound': 'no nftables chain hooks forward at mangle priority: the MSS clamp goes to iptables',
};

/** Scenarios whose native-nftables form concludes otherwise, and why. */
const NATIVE_SAYS_LESS: Record<string, string> = {
  'ipset-blocklist': XT_MATCH_SET,
  'stale-conntrack': "nft does not list iptables-legacy's rules, which could translate as observed: a translation unlike nftables' rules is not called stale",
};

describe.skipIf(!LAB_AVAILABLE || !HAVE_NFT)(
  'every lab scenario with its iptables rules listed by nft instead',
  () => {
    const out = useLabOutput();
    for (const [name] of Object.entries(readScenarios())) {
      it(`${name}: the same findings, dispositions and fixes (in iptables' words: iptables-nft's tables are iptables')`, async () => {
        const dir = join(out(), name);
        if (!existsSync(join(dir, 'iptables-save.txt')) || existsSync(join(dir, 'nft-ruleset.txt'))) return;
        const viaNft = withNftListing(dir, `sweep-${name}`, listedByNft(dir));
        const [a, b] = [await analyze([dir]), await analyze([viaNft])];
        if (NFT_LISTING_SAYS_LESS[name]) expect(b.findings.map((f) => f.check), NFT_LISTING_SAYS_LESS[name]).toEqual(a.findings.map((f) => f.check));
        else expect(g(b)).toEqual(g(a));
        if (!NFT_LISTING_FIXES_DIFFER[name]) expect(advice(b)).toEqual(advice(a));
      }, 60_000);

      it(`${name}: each rule as natlens writes it for iptables, restored by iptables-nft, is the rule nft listed`, () => {
        const dir = join(out(), name);
        if (!existsSync(join(dir, 'iptables-save.txt')) || existsSync(join(dir, 'nft-ruleset.txt'))) return;
        const listing = listedByNft(dir);
        const { ruleset } = parseNftRuleset(listing, 'nft.txt', { iptablesGiven: false });
        const chains = new Map(ruleset.baseChains.flatMap((b) => [...b.chains.values()]).map((c) => [c.name, c] as const));
        // The rules natlens can write, as iptables-restore input; the others left out of both sides.
        const written = new Set<number>();
        const tables = new Map<string, { chains: string[]; rules: string[] }>();
        for (const c of chains.values()) {
          const [family, table, chain] = c.name.split(' ');
          if (family !== 'ip' || !ruleset.iptablesTables.includes(table!)) continue;
          const t = tables.get(table!) ?? { chains: [], rules: [] };
          tables.set(table!, t);
          t.chains.push(`:${chain} ${c.builtin ? (c.policy ?? 'ACCEPT') : '-'} [0:0]`);
          for (const r of c.rules) {
            expect(r.iptables).toMatchObject({ table, chain });
            if (r.iptables!.spec === null || written.has(r.source.line)) continue;
            written.add(r.source.line);
            t.rules.push(`-A ${chain} ${r.iptables!.spec}`);
          }
        }
        const restore = [...tables].map(([name, t]) => [`*${name}`, ...t.chains, ...t.rules, 'COMMIT'].join('\n')).join('\n') + '\n';
        const again = spawnSync('unshare', ['-n', 'sh', '-c', 'iptables-nft-restore && nft list ruleset'], { input: restore, encoding: 'utf8' });
        expect(again.status, `${again.stderr}\n${restore}`).toBe(0);
        // Rule lines only (chain heads and counters aside), those written, in order.
        const rulesOf = (text: string, keep: (line: number) => boolean): string[] =>
          text
            .split('\n')
            .map((l, i) => [l.trim().replace(/counter packets \d+ bytes \d+/, 'counter'), i + 1] as const)
            .filter(([l, i]) => l && !/^(table|chain|type|policy|\}|#)/.test(l) && keep(i))
            .map(([l]) => l);
        // Nearly every rule is written (what is not: a match natlens does not model).
        const all = new Set([...chains.values()].flatMap((c) => c.rules.map((r) => r.source.line)));
        expect(written.size).toBeGreaterThanOrEqual(all.size - 1);
        expect(rulesOf(again.stdout, () => true)).toEqual(rulesOf(listing, (i) => written.has(i)));
      }, 60_000);

      it(`${name}: as nftables' own tables, the same findings and fixes in nft's words`, async () => {
        const dir = join(out(), name);
        if (!existsSync(join(dir, 'iptables-save.txt')) || existsSync(join(dir, 'nft-ruleset.txt'))) return;
        // iptables-nft's tables renamed: the same rules, as a gateway configured in nftables would hold them.
        const native = asNativeTables(listedByNft(dir));
        const b = await analyze([withNftListing(dir, `native-${name}`, native)]);
        const a = await analyze([dir]);
        if (NATIVE_SAYS_LESS[name]) expect(g(b), NATIVE_SAYS_LESS[name]).not.toEqual(g(a));
        else expect(g(b)).toEqual(g(a));
        if (NATIVE_IPTABLES_FIX[name]) return;
        for (const f of b.findings) for (const c of f.fix) expect(c, `${f.check}: ${c}`).not.toMatch(IPTABLES_CHANGE);
        // Every rule a fix changes is named as nft names it.
        for (const f of b.findings) for (const c of f.fix.filter((x) => /^nft (replace|delete|insert|add) rule /.test(x))) expect(c).toMatch(/^nft \S+ rule ip \S+_native /);
      }, 60_000);
    }

    it('a rate limit in front of a policy DROP: the policy that takes the rest is cited, from iptables and from nftables\' own tables', async () => {
      const dir = join(out(), 'rate-limit');
      // The lab's ACCEPT-under-a-limit then DROP, with the DROP moved into the chain's policy (other traffic accepted first).
      const policyDrop = (b: Buffer): Buffer =>
        Buffer.from(
          b
            .toString()
            .replace(/^:FORWARD ACCEPT/m, ':FORWARD DROP')
            .replace(/^.*-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP\n/m, '')
            .replace(/^(\S* ?)(-A FORWARD -p icmp)/m, '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -p tcp -j ACCEPT\n-A FORWARD -p udp -j ACCEPT\n$1$2'),
        );
      const edited = editedBundle(dir, join(tmp, 'rate-limit-policy'), { 'iptables-save.txt': policyDrop, 'iptables-filter-L.txt': null, 'lab.json': null });
      const native = asNativeTables(listedByNft(edited));
      // The limit in a chain of its own, which returns what it does not accept to FORWARD, whose policy drops it.
      const inOwnChain = editedBundle(edited, join(tmp, 'rate-limit-policy-chain'), {
        'iptables-save.txt': (b) => Buffer.from(b.toString().replace(/^(\S* ?)-A FORWARD (-p icmp .*-m limit .*)$/m, '-A FORWARD -p icmp -j PINGS\n$1-A PINGS $2').replace(/^:FORWARD DROP.*$/m, '$&\n:PINGS - [0:0]')),
      });
      for (const [bundle, chain, gate] of [
        [edited, 'FORWARD', 'FORWARD'],
        [inOwnChain, 'FORWARD', 'PINGS'],
        [withNftListing(edited, 'rate-limit-policy-native', native), 'ip filter_native FORWARD', 'ip filter_native FORWARD'],
      ] as const) {
        const f = (await analyze([bundle])).findings[0]!;
        expect(f.check).toBe('intermittent-drop');
        expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'rule', chain: gate, text: expect.stringMatching(/limit/) }));
        expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'policy', table: 'filter', chain, policy: 'DROP' }));
        expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'note', text: expect.stringMatching(/accepts only some packets \(a rate limit .*\); the rest fall to /) }));
      }
    }, 60_000);

    it("hairpin by mark in nftables' own tables: the miss and the rule that sets the mark, in nft's words", async () => {
      const dir = join(out(), 'hairpin-mark-lost');
      const native = asNativeTables(listedByNft(dir));
      const a = await analyze([withNftListing(dir, 'native-hairpin-words', native)]);
      const f = a.findings[0]!;
      const lab = readLabJson(dir);
      expect(f.check).toBe('snat-missing');
      expect(f.detail).toContain('its meta mark & 0x1 == 0x1 does not take these packets, whose mark is 0x0');
      expect(f.detail).toContain('VPC_MARK, which nft ip mangle_native PREROUTING jumps to, is empty');
      expect(f.fix[0]).toBe(`nft add rule ip mangle_native VPC_MARK iifname "${lab.inside}" meta mark set meta mark or 0x1  # what comes in from the VPC side is marked, and the hairpin SNAT takes it`);
      expect(f.fix).toContain('nft list ruleset > /etc/nftables.conf  # persist where nftables.service restores it at boot (firewalld: firewall-cmd --runtime-to-permanent)');
    }, 60_000);
  },
);
