/**
 * Snapshots arrive incomplete: one command was not run, or its output was lost. Every lab scenario with one part
 * of its snapshot left out must still name its cause first (likely or possible where the missing part was the
 * proof), and a healthy gateway must stay healthy — except where the missing part is the only way to tell, listed
 * in UNTELLABLE with the reason and what natlens says instead.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readScenarios, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-partial-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Snapshot parts, by the files the lab writes for each. */
const PARTS: Record<string, readonly string[]> = {
  sysctls: ['sysctl.txt'],
  'ip addr': ['ip-addr.json', 'ip-addr.txt'],
  'ip route': ['ip-route.json', 'ip-route.txt'],
  'ip neigh': ['ip-neigh.json'],
  conntrack: ['conntrack.txt'],
  'every iptables listing': ['iptables-save.txt', 'iptables-nat-L.txt', 'iptables-filter-L.txt'],
  'the filter table (nat listing only)': ['iptables-save.txt', 'iptables-filter-L.txt'],
};

/** [scenario, part]: what is said instead, and why nothing better can be. */
const UNTELLABLE: Record<string, { warning?: string; instead?: string; present?: boolean; why: string }> = {
  'stale-conntrack|every iptables listing': { why: 'stale means "not what the rules say now": without rules, nothing to compare with' },
  'snat-ports-exhausted|every iptables listing': { why: 'the SNAT rule\'s port range is the proof: without rules, the stop stays unexplained (forward-chain-drop, likely)' },
  'eip-stale-arp-upstream|ip addr': { why: 'ip addr names the gateway\'s MACs: without it the frames sent to the old MAC are not told from its own, and the stop stays unexplained (forward-chain-drop, possible)' },
  'inside-no-carrier|every iptables listing': { why: 'every request was to an EIP: without the DNAT rules they are the gateway\'s own (local), and only the rules say they were to cross to the inside at all' },
  'port-forward-wrong-port|every iptables listing': { present: true, why: 'without rules the translation itself is unexplained: snapshot-backend-mismatch, a warning too, comes first; the refusal is still named' },
  'outside-link-down|ip addr': { instead: 'no-route', why: 'ip addr is where a down interface shows: without it, the missing route is what shows (no-route, confirmed)' },
  'port-forward-missing|every iptables listing': { why: 'the missing DNAT rule is the cause: without rules the refusals are the gateway answering for its own address, and nothing says the ports were to be forwarded' },
  'backend-stale-mac|every iptables listing': { why: 'without the DNAT rules nothing says the requests were for the backend: the stale entry they left by is not reached (upstream-no-reply, likely, names the backend)' },
  'null-route|ip route': { why: 'the blackhole route is the proof: without routes the stop stays unexplained (forward-chain-drop, possible)' },
  'policy-rule-port|ip route': { why: 'the blackhole route in the ip rule\'s table is the proof: without routes the stop stays unexplained (forward-chain-drop, possible)' },
  'rp-filter-drop|ip route': { why: 'the route back to the source is the proof; without routes the stop stays unexplained (forward-chain-drop, possible)' },
};

function without(from: string, to: string, files: readonly string[]): string {
  mkdirSync(to);
  for (const f of readdirSync(from)) if (!files.includes(f)) copyFileSync(join(from, f), join(to, f));
  return to;
}

describe.skipIf(!LAB_AVAILABLE)('lab bundles with one part of the snapshot left out', () => {
  const out = useLabOutput();

  for (const [name, s] of Object.entries(readScenarios())) {
    it(`${name}: ${s.check ?? 'healthy'}, whichever part is missing`, async () => {
      for (const [part, files] of Object.entries(PARTS)) {
        const a = await analyze([without(join(out(), name), join(tmp, `${name}-${part.replace(/\W+/g, '-')}`), files)]);
        const errors = a.findings.filter((f) => f.severity === 'error');
        const untellable = UNTELLABLE[`${name}|${part}`];
        if (untellable) {
          if (untellable.warning) expect(a.warnings.map((w) => w.code), `${name} without ${part}`).toContain(untellable.warning);
          if (untellable.instead) expect(errors[0]?.check, `${name} without ${part}`).toBe(untellable.instead);
          if (untellable.present) expect(a.findings.map((x) => x.check), `${name} without ${part}`).toContain(s.check);
          continue;
        }
        if (s.check === null) {
          expect(errors.map((f) => f.check), `${name} without ${part}`).toEqual([]);
          continue;
        }
        const f = a.findings.find((x) => x.check === s.check);
        expect(f, `${name} without ${part}: ${a.findings.map((x) => `${x.check}/${x.confidence}`).join(', ')}`).toBeDefined();
        expect(a.findings.find((x) => x.severity === f!.severity)!.check, `${name} without ${part}`).toBe(s.check);
      }
    }, 120_000);
  }
});
