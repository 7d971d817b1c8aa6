/**
 * Lab bundles whose per-interface captures are merged into one `-i any` capture (Linux cooked v1, as tcpdump before
 * 4.99 writes it, and v2), with and without `ip addr` in the snapshot: the verdict, causes and dispositions of the
 * originals. Without `ip addr` a cooked v1 packet is placed by the neighbours and the routes, and with `ip rule`s
 * that route forwarded packets by their input interface (lab policy-routing: `iif lan1 lookup 100`), by the route
 * those take — the interfaces named by the routes, neighbours and rules, since no `ip addr` lists them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';
import { cookedBundle } from '../support/cooked-bundle.js';
import { HAVE_TSHARK } from '../support/tshark.js';

// Under this file's own TMPDIR (test/support/temp-root.ts removes it).
const tmp = mkdtempSync(join(tmpdir(), 'natlens-cooked-lab-'));

const gist = (a: Analysis) => ({
  verdict: a.summary.verdict,
  causes: a.findings.filter((f) => f.severity === 'error').map((f) => [f.check, f.confidence]),
  byDisposition: a.summary.byDisposition,
});

const CASES = ['policy-routing', 'healthy', 'snat-missing', 'rp-filter-drop'].flatMap((s) => ([1, 2] as const).flatMap((v) => [true, false].map((addr) => [s, v, addr] as const)));

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('lab bundles captured with -i any', () => {
  it.each(CASES)('%s as Linux cooked v%i (ip addr given: %s): the analysis of the per-interface captures', async (scenario, version, withAddr) => {
    const dir = join(await labOutput(), scenario);
    const out = join(tmp, `${scenario}-v${version}-${withAddr ? 'addr' : 'noaddr'}`);
    const a = await analyze([cookedBundle(dir, out, version, (name) => withAddr || !name.startsWith('ip-addr.'))]);
    const b = await analyze([dir]);
    expect(gist(a)).toEqual(gist(b));
  }, LAB_WAIT_MS);
});
