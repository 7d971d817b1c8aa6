/**
 * A PMTU black hole: packets above the egress MTU with DF set stop, but no ICMP fragmentation-needed comes back
 * (rate-limited, or dropped in the gateway's OUTPUT chain). The lab's mtu-exceeded captures with the gateway's
 * ICMP answers taken out (by tshark): still mtu-exceeded, by sizes and the egress MTU, and the fix looks for the
 * missing ICMP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, useLabOutput } from '../lab/lab-output.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';
import { asNativeTables, HAVE_NFT, listedByNft, withNftListing } from '../support/nft-listing.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-mtu-no-icmp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('mtu-exceeded without the ICMP answer (lab, lan plan)', () => {
  const out = useLabOutput();

  it('is still mtu-exceeded, confirmed by the egress MTU, and the fix looks for the missing ICMP', async () => {
    const from = join(out(), 'mtu-exceeded');
    const dir = bundleFilteredByTshark(from, join(tmp, 'mtu-no-icmp'), 'not (icmp.type == 3 && icmp.code == 4)');
    const original = await analyze([from]);
    const a = await analyze([dir]);
    expect(original.findings[0]!.fix.some((c) => c.includes('icmp_ratelimit'))).toBe(false);
    expect([a.findings[0]!.check, a.findings[0]!.confidence]).toEqual(['mtu-exceeded', 'confirmed']);
    expect(a.findings[0]!.flows).toEqual(original.findings[0]!.flows);
    expect(a.findings[0]!.evidence.some((e) => e.kind === 'frame' && e.summary.includes('ICMP type 3 code 4'))).toBe(false);
    expect(a.findings[0]!.evidence.some((e) => e.kind === 'interface')).toBe(true);
    expect(a.findings[0]!.fix).toContain('iptables -L OUTPUT -n -v; sysctl net.ipv4.icmp_ratelimit net.ipv4.icmp_ratemask  # let ICMP type 3 code 4 out to the senders');
  });

  it.skipIf(!HAVE_NFT)("on a gateway whose rules are nftables' own, the output chain to look at is nft's", async () => {
    const filtered = bundleFilteredByTshark(join(out(), 'mtu-exceeded'), join(tmp, 'mtu-no-icmp-nft-src'), 'not (icmp.type == 3 && icmp.code == 4)');
    // The lab's rules as nftables' own, and a filter table with an output chain.
    const listing = `${asNativeTables(listedByNft(filtered))}table ip filter_native {\n\tchain OUTPUT {\n\t\ttype filter hook output priority filter; policy accept;\n\t}\n}\n`;
    const a = await analyze([withNftListing(filtered, join(tmp, 'mtu-no-icmp-nft'), listing)]);
    expect(a.findings[0]!.check).toBe('mtu-exceeded');
    expect(a.findings[0]!.fix).toContain('nft list chain ip filter_native OUTPUT; sysctl net.ipv4.icmp_ratelimit net.ipv4.icmp_ratemask  # let ICMP type 3 code 4 out to the senders');
  });
});
