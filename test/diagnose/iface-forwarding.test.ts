/**
 * Forwarding off on one interface only (lab iface-forwarding-off: net.ipv4.conf.<inside>.forwarding = 0), with the
 * snapshot's sysctls lost: the pattern alone names it, likely where the snapshot shows the forward chain that
 * would otherwise be the suspect (iptables' filter table, or nftables' forward chain), possible where it does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';
import { asNativeTables, HAVE_NFT, listedByNft, withNftListing } from '../support/nft-listing.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-iface-forwarding-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILTER_ACCEPTS = 'table ip filter_native {\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n';

describe.skipIf(!LAB_AVAILABLE)('forwarding off on one interface, the sysctls not in the snapshot', () => {
  const dir = useLabOutput('iface-forwarding-off');

  it('with iptables\' filter table: likely, and the sysctl to confirm it', async () => {
    const { inside } = readLabJson(dir());
    const a = await analyze([editedBundle(dir(), join(tmp, 'no-sysctls'), { 'sysctl.txt': null, 'lab.json': null })]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence, f.title]).toEqual(['ip-forward-disabled', 'likely', `Most likely forwarding is off on ${inside}`]);
    expect(f.fix[0]).toBe(`sysctl net.ipv4.conf.${inside}.forwarding net.ipv4.ip_forward  # confirm first`);
    expect(f.detail).not.toContain('nor the filter table');
  });

  it('without any filter rules: possible, a FORWARD drop on that interface said to look the same', async () => {
    const a = await analyze([editedBundle(dir(), join(tmp, 'no-filter'), { 'sysctl.txt': null, 'lab.json': null, 'iptables-filter-L.txt': null })]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['ip-forward-disabled', 'possible']);
    expect(f.detail).toContain('nor the filter table');
  });

  it.skipIf(!HAVE_NFT)("with nftables' own forward chain in place of iptables' filter table: likely", async () => {
    const bare = editedBundle(dir(), join(tmp, 'nft-src'), { 'sysctl.txt': null, 'lab.json': null });
    const listing = asNativeTables(listedByNft(bare));
    for (const [name, extra, confidence] of [['nft-filter', FILTER_ACCEPTS, 'likely'], ['nft-no-filter', '', 'possible']] as const) {
      const f = (await analyze([withNftListing(bare, join(tmp, name), listing + extra)])).findings[0]!;
      expect([name, f.check, f.confidence]).toEqual([name, 'ip-forward-disabled', confidence]);
    }
  });
});
