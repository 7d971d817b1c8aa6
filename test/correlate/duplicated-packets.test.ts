/**
 * Captures that hold every packet twice — `tcpdump -i any` on a host where a bridge and its port both carry the
 * frame, a mirror port fed from both directions — give the analysis of the captures as taken once. A second copy
 * of a packet still waiting for its copy is seen as one at once; one of a packet already matched is remembered
 * from the first duplicate on (correlator.ts, recentMatchGap), or it would look like a packet that never left.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';
import { flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { HAVE_TSHARK } from '../support/tshark.js';

// Under this file's own TMPDIR (test/support/temp-root.ts removes it).
const tmp = mkdtempSync(join(tmpdir(), 'natlens-duplicated-'));

/** Bundle `dir` with each capture holding every packet twice, merged by mergecap (an independent writer). */
function doubled(dir: string): string {
  const out = join(tmp, dir.split('/').pop()!);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(dir)) {
    if (!/\.pcap(ng)?$/.test(f)) {
      copyFileSync(join(dir, f), join(out, f));
      continue;
    }
    const r = spawnSync('mergecap', ['-F', 'pcapng', '-w', join(out, f.replace(/\.pcap(ng)?$/, '.pcapng')), join(dir, f), join(dir, f)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mergecap ${f}: ${r.stderr}`);
  }
  return out;
}

const findings = (a: Analysis) => a.findings.map((f) => [f.check, f.severity, f.confidence, f.flows.length]);

async function same(dir: string): Promise<void> {
  const once = await analyze([dir]);
  const twice = await analyze([doubled(dir)]);
  expect(findings(twice)).toEqual(findings(once));
  expect(flowKeys(twice)).toEqual(flowKeys(once));
  expect(twice.flows.map((f) => f.lossRate)).toEqual(once.flows.map((f) => f.lossRate));
}

const field = ['healthy', 'snat-missing', 'dnat-wrong-backend'].filter((n) => fieldSets().some((s) => s.name === n));

describe.skipIf(!HAVE_TSHARK)('captures holding every packet twice', () => {
  it.skipIf(!field.length).each(field)('field %s: the analysis of the captures as taken', async (name) => {
    await same(fieldSets().find((s) => s.name === name)!.dir);
  });

  it.skipIf(!LAB_AVAILABLE).each(['hairpin', 'mss-clamp', 'segmentation-offload', 'intermittent-drop'])(
    'lab %s: the analysis of the captures as taken',
    async (scenario) => {
      await same(join(await labOutput(), scenario));
    },
    LAB_WAIT_MS,
  );
});
