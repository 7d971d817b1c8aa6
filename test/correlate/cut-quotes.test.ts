/**
 * ICMP errors whose quote the capture cut (`tcpdump -s 64`, or tcpdump's old default of 68 bytes): every error quotes
 * the IP header and 8 bytes past it (RFC 792), and a short snaplen keeps the quoted IP header and only 0 to 6 of those
 * bytes — not the ports, or not the echo id. The error is still tied to its flow, by the quoted addresses (and the
 * source port where it is kept); one whose quote is cut inside the quoted IP header (`-i any`, 20 bytes of link
 * header) is tied to nothing rather than taken for a flow of its own. Lab bundles whose diagnosis rests on ICMP errors
 * (a traceroute's time-exceeded, an upstream's port unreachable, frag-needed), every capture cut as tcpdump would have:
 * the flows and findings of the whole captures.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';
import { flowKeys } from '../support/bundle-edit.js';
import { HAVE_TSHARK } from '../support/tshark.js';

// Under this file's own TMPDIR (test/support/temp-root.ts removes it).
const tmp = mkdtempSync(join(tmpdir(), 'natlens-cut-quotes-'));

const SCENARIOS = ['traceroute', 'upstream-reject', 'backend-refuses', 'pmtu-blackhole', 'forward-unmodelled-match', 'mtu-exceeded-inbound', 'port-forward-missing', 'no-route'];

/** Bundle `dir` with every capture cut to `snaplen` bytes by editcap (an independent writer), the rest as it is. */
function snapped(dir: string, snaplen: number): string {
  const out = join(tmp, `${dir.split('/').pop()}-${snaplen}`);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(dir)) {
    if (/\.pcap(ng)?$/.test(f)) {
      const r = spawnSync('editcap', ['-s', String(snaplen), join(dir, f), join(out, f)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`editcap -s ${snaplen} ${f}: ${r.stderr}`);
    } else copyFileSync(join(dir, f), join(out, f));
  }
  return out;
}

const findings = (a: Analysis) => a.findings.map((f) => [f.check, f.severity, f.confidence, f.flows.length]);

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('ICMP errors whose quote the capture cut', () => {
  it.each(SCENARIOS.flatMap((s) => [64, 68].map((n) => [s, n] as const)))('%s cut to %i bytes: the analysis of the whole captures', async (scenario, snaplen) => {
    const dir = join(await labOutput(), scenario);
    const full = await analyze([dir]);
    const cut = await analyze([snapped(dir, snaplen)]);
    expect(findings(cut)).toEqual(findings(full));
    expect(flowKeys(cut)).toEqual(flowKeys(full));
  }, LAB_WAIT_MS);
});
