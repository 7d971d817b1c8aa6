/**
 * NAT works on conntrack entries: a raw-table NOTRACK keeps the nat table from ever seeing a host's packets, so its
 * own traffic leaves untranslated and its answers to port forwards leave from its own address. The lab's notrack
 * bundle, and the same captures with a snapshot that lacks the raw table (iptables-save -t nat -t filter).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { asNativeTables, HAVE_NFT, listedByNft, withNftListing } from '../support/nft-listing.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-notrack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** iptables-save output without its raw table. */
function withoutRaw(b: Buffer): Buffer {
  const lines = b.toString('utf8').split('\n');
  const start = lines.findIndex((l) => l === '*raw');
  if (start < 0) return b;
  const end = lines.findIndex((l, k) => k > start && l === 'COMMIT');
  return Buffer.from([...lines.slice(0, start), ...lines.slice(end + 1)].join('\n'));
}

describe.skipIf(!LAB_AVAILABLE)('NOTRACK in raw (lab notrack)', () => {
  const dir = useLabOutput('notrack');

  it('names the raw rule: one finding for app2\'s own traffic and its untranslated answers, confirmed, the rule deleted as the fix', async () => {
    const a = await analyze([dir()]);
    const app2 = readLabJson(dir()).addresses.app2;
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['snat-missing', 'confirmed']);
    expect(a.findings.filter((x) => x.severity === 'error')).toHaveLength(1);
    expect(f.title).toBe(`Traffic from ${app2} escapes NAT: the raw table exempts it from connection tracking`);
    expect(f.evidence[0]).toMatchObject({ kind: 'rule', table: 'raw', chain: 'PREROUTING', text: `-A PREROUTING -s ${app2}/32 -j CT --notrack` });
    expect(f.fix[0]).toBe(`iptables -t raw -D PREROUTING -s ${app2}/32 -j CT --notrack`);
    expect(f.fix.some((c) => c.includes('-j SNAT'))).toBe(false);
    expect(f.flows).toEqual(a.flows.filter((x) => x.disposition === 'forwarded-untranslated').map((x) => x.id));
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.includes(`reply left`) && e.summary.includes(`from ${app2}`))).toBe(true);
  });

  it('a snapshot without the raw table: the untranslated answers said as such, likely, with where to look', async () => {
    const d = editedBundle(dir(), join(tmp, 'no-raw'), { 'iptables-save.txt': withoutRaw, 'lab.json': null });
    const a = await analyze([d]);
    const replies = a.findings.find((x) => x.title.startsWith('Replies from'))!;
    expect([replies.check, replies.confidence]).toEqual(['snat-missing', 'likely']);
    expect(replies.fix[0]).toMatch(/^iptables-save -t raw -c/);
    expect(replies.flows.length).toBeGreaterThanOrEqual(2);
    // The pings (requests untranslated) keep the SNAT-missing face.
    expect(a.findings.some((x) => x.check === 'snat-missing' && x.title.includes('leaves') && x.title.includes('untranslated'))).toBe(true);
  });

  it.skipIf(!HAVE_NFT)("the same on a gateway whose rules are nftables' own: where to look, in nft's words", async () => {
    const bare = editedBundle(dir(), join(tmp, 'nft-no-raw-src'), { 'iptables-save.txt': withoutRaw, 'lab.json': null });
    const a = await analyze([withNftListing(bare, join(tmp, 'nft-no-raw'), asNativeTables(listedByNft(bare)))]);
    const replies = a.findings.find((x) => x.title.startsWith('Replies from'))!;
    expect([replies.check, replies.confidence]).toEqual(['snat-missing', 'likely']);
    expect(replies.fix[0]).toBe('nft list ruleset | grep -n notrack  # a notrack rule for these addresses');
    expect(replies.fix.some((c) => c.startsWith('iptables'))).toBe(false);
  });
});
