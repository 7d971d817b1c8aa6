/**
 * Captures taken with a filter that leaves ARP out (`tcpdump -i net1 icmp or tcp`, `host 203.0.113.9`) are common.
 * Every lab scenario, its captures re-written without ARP by tshark, must still name its cause first; the two
 * causes ARP proves (arp-disabled, egress-neighbor-unresolved) become likely, from the snapshot (NOARP, the
 * neighbour table) — never another cause, and never "no packets stop" (which is all that is left where ARP is the
 * only proof: UNTELLABLE).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readScenarios, useLabOutput } from '../lab/lab-output.js';
import { bundleFilteredByTshark, HAVE_TSHARK } from '../support/tshark.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-no-arp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PROVED_BY_ARP = new Set(['arp-disabled', 'egress-neighbor-unresolved']);

/** Scenarios ARP's cause proves as well without ARP: what the captures show besides stands in for it. */
const PROVED_WITHOUT_ARP: Record<string, string> = {
  'backend-stale-mac': "the backend's own packets through the gateway show its real MAC as its ARP does: still confirmed",
};

/** Scenarios whose only proof is ARP, with nothing in the snapshot to stand in for it: their stop is still said. */
const UNTELLABLE: Record<string, string> = {
  'nexthop-stale-mac':
    "the next hop's own ARP is the only sign of its real MAC: without it, no reply comes back (upstream-no-reply, likely), which names the static neighbour entry as the suspect",
  'eip-conflict-arp':
    'the conflicting announcement and the unanswered requests are the proof, and the router answered by the time the snapshot was taken: the stop stays unexplained (forward-chain-drop, possible)',
};

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('lab captures taken without ARP', () => {
  const out = useLabOutput();

  for (const [name, s] of Object.entries(readScenarios())) {
    it(`${name}: ${s.check ?? 'no error finding'} first${s.check && PROVED_BY_ARP.has(s.check) && !PROVED_WITHOUT_ARP[name] ? ', likely' : ''}`, async () => {
      const a = await analyze([bundleFilteredByTshark(join(out(), name), join(tmp, name), 'not arp')]);
      const errors = a.findings.filter((f) => f.severity === 'error');
      if (s.check === null) {
        expect(errors.map((f) => f.check)).toEqual([]);
        return;
      }
      if (UNTELLABLE[name]) {
        expect(a.summary.verdict, UNTELLABLE[name]).toBe('packets-stop');
        return;
      }
      // First among the findings of its severity (snapshot-backend-mismatch is a warning: the gateway is fine).
      const f = a.findings.find((x) => x.check === s.check);
      expect(f, a.findings.map((x) => x.check).join(',')).toBeDefined();
      expect(a.findings.find((x) => x.severity === f!.severity)!.check).toBe(s.check);
      if (PROVED_BY_ARP.has(s.check)) expect(f!.confidence, PROVED_WITHOUT_ARP[name]).toBe(PROVED_WITHOUT_ARP[name] ? 'confirmed' : 'likely');
    }, 60_000);
  }
});
