/**
 * A rules file of 160,000 rules natlens cannot model (options it does not know, as a garbage or hostile file, or a
 * newer iptables, would have): one warning per rule, and rules that may match in every flow's walk. Such a file
 * crashed the analysis (160,000 warnings spread into one call: "Maximum call stack size exceeded", exit 3), and once
 * past that, every walk listed 100,000 rules that may match and the analysis ran out of memory. Now the warnings
 * are all kept, the text shows the first of them and counts the rest, each walk lists the first 64 such rules and
 * counts the others, and the flows are judged as without the garbage (the real NAT rules come after it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { renderText } from '../../src/present/text-analysis.js';
import { MAX_MAY_MATCH } from '../../src/simulate/walk.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';

const BIN = join(REPO, 'bin/natlens');
const BUILT = existsSync(join(REPO, 'dist/cli/main.js'));

const healthy = fieldSets().find((s) => s.name === 'healthy');
const GARBAGE = 40_000;

/** `n` rules with an option no iptables knows, appended to `chain`, numbered from `from`. */
function garbage(chain: string, n: number, from: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`-A ${chain} --no-such-option ${from + i} -j SNAT --to-source 192.0.2.${i % 250}`);
  return out.join('\n');
}

describe.skipIf(!healthy)('a rules file of 160,000 rules natlens cannot model', () => {
  let plain: Analysis;
  let huge: Analysis;
  let dir: string;
  beforeAll(async () => {
    plain = await analyze([healthy!.dir]);
    dir = editedBundle(healthy!.dir, join(mkdtempSync(join(tmpdir(), 'natlens-huge-')), 'b'), {
      // The listing in the other form would disagree with this one; the test is about the save file.
      'iptables-nat-L.txt': null,
      'iptables-save.txt': (b) => {
        const lines = b.toString('utf8').split('\n');
        const at = (p: string): number => lines.findIndex((l) => l.includes(p));
        // Before the jumps to the real NAT chains, so that every walk passes over them; and a chain nothing jumps to.
        lines.splice(at('-A PREROUTING -j DNAT_FILTER'), 0, garbage('PREROUTING', GARBAGE, 0));
        lines.splice(at('-A POSTROUTING -j SNAT_FILTER'), 0, garbage('POSTROUTING', GARBAGE, GARBAGE));
        lines.splice(at(':SNAT_FILTER'), 0, ':UNUSED - [0:0]');
        lines.splice(at('COMMIT'), 0, garbage('UNUSED', 2 * GARBAGE, 2 * GARBAGE));
        // And past them on the way, a rule that may drop: still listed, for the diagnosis to cite.
        lines.push('*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -m statistic --mode random --probability 0.01 -j DROP', 'COMMIT', '');
        return Buffer.from(lines.join('\n'));
      },
    });
    huge = await analyze([dir]);
  }, 120_000);

  it('keeps every warning, and judges the flows as without the garbage', () => {
    expect(huge.warnings.filter((w) => w.code === 'rule-option' && w.file.endsWith('iptables-save.txt'))).toHaveLength(4 * GARBAGE);
    expect(huge.summary.verdict).toBe(plain.summary.verdict);
    expect(flowKeys(huge)).toEqual(flowKeys(plain));
  });

  it('lists the first 64 rules that may match in a walk, and counts the others', () => {
    const walked = huge.flows.filter((f) => f.trace && f.trace.steps.some((s) => s.verdict === 'may-match'));
    expect(walked.length).toBeGreaterThan(0);
    for (const f of walked) {
      const listed = f.trace!.steps.filter((s) => s.verdict === 'may-match');
      expect(listed.length).toBeLessThanOrEqual(MAX_MAY_MATCH + 1);
      expect(f.trace!.assumptions.join('\n')).toMatch(/[\d,]+ more rules may match this packet; only the first 64 are listed, and those that would drop it/);
    }
    // The rule that may drop, past the 64 listed, is listed too: in every walk that goes through FORWARD.
    const forwarded = walked.filter((f) => f.trace!.disposition.startsWith('forwarded'));
    expect(forwarded.length).toBeGreaterThan(0);
    for (const f of forwarded) expect(f.trace!.steps.filter((s) => s.verdict === 'may-match').at(-1)!.rule!.text).toContain('--probability 0.01 -j DROP');
  });

  it.skipIf(!BUILT)('natlens rules lists them all (160,000 rules and their warnings)', () => {
    const r = spawnSync(process.execPath, [BIN, 'rules', join(dir, 'iptables-save.txt')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`--no-such-option ${4 * GARBAGE - 1}`);
  });

  it('the text shows the first warnings of the kind and counts the rest', () => {
    const text = renderText(huge);
    const lines = text.split('\n').filter((l) => l.includes('[rule-option]'));
    expect(lines.length).toBeLessThanOrEqual(21);
    expect(text).toContain(`… and ${(4 * GARBAGE - 20).toLocaleString('en')} more [rule-option] (--format json lists them all)`);
  });
});
