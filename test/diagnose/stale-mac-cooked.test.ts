/**
 * A next hop (or DNAT backend) whose neighbour entry holds a MAC it no longer has, seen through `tcpdump -i any`:
 * a Linux cooked capture keeps the source link-layer address of each frame but not its destination, so the frames
 * the gateway addressed to the stale MAC cannot show it. The gateway's neighbour entry for the route's hop says
 * where the kernel sent them; the hop's own ARP says where it is. Lab bundles, their per-interface captures merged
 * into one cooked capture as the kernel would have written it (v1 and v2): the finding of the originals.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';
import { cookedBundle } from '../support/cooked-bundle.js';
import { HAVE_TSHARK } from '../support/tshark.js';

// Under this file's own TMPDIR (test/support/temp-root.ts removes it).
const tmp = mkdtempSync(join(tmpdir(), 'natlens-stale-mac-cooked-'));

/** Lab bundle `dir` with its two captures as one `-i any` capture. */
const cooked = (dir: string, version: 1 | 2): string => cookedBundle(dir, join(tmp, `${dir.split('/').pop()}-sll${version}`), version);

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('a stale neighbour MAC seen through -i any', () => {
  it.each(['nexthop-stale-mac', 'backend-stale-mac'].flatMap((s) => ([1, 2] as const).map((v) => [s, v] as const)))('%s as Linux cooked v%i: the finding of the per-interface captures', async (scenario, version) => {
    const dir = join(await labOutput(), scenario);
    const full = await analyze([dir]);
    const a = await analyze([cooked(dir, version)]);
    const stale = (x: typeof a) => x.findings.find((f) => f.check === 'egress-neighbor-unresolved');
    const want = stale(full)!;
    expect(want.confidence).toBe('confirmed');
    const got = stale(a);
    expect(got).toBeDefined();
    expect([got!.severity, got!.confidence, got!.title, got!.flows.length, got!.fix]).toEqual([want.severity, want.confidence, want.title, want.flows.length, want.fix]);
    expect(a.findings[0]!.check).toBe('egress-neighbor-unresolved');
    // Where the frames went is the entry's, and said to be.
    expect(got!.detail).toContain('the -i any capture keeps no destination MAC');
    expect(got!.evidence.some((e) => e.kind === 'frame' && e.summary.includes('by its neighbour entry (the capture keeps no destination MAC)'))).toBe(true);
  }, LAB_WAIT_MS);
});
