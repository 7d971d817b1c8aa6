/**
 * Two faults at once (lab two-faults): no SNAT rule at all, and a FORWARD rule dropping everything from app2. Each
 * explains flows the other does not, so both are errors, and the verdict names the second as well; a symptom of a
 * cause already named (explaining no new flow) is not counted as another cause.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { reportFacts } from '../../src/present/report-facts.js';
import { renderMarkdown } from '../../src/present/markdown-report.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson } from '../lab/lab-output.js';

describe.skipIf(!LAB_AVAILABLE)('two faults at once (lab two-faults)', () => {
  it('both causes named, each with its own flows, and the verdict says "also"', async () => {
    const dir = join(await labOutput(), 'two-faults');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const errors = a.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.check)).toEqual(['forward-chain-drop', 'snat-missing']);
    const [drop, snat] = errors as [typeof errors[0], typeof errors[0]];
    expect(drop.flows.filter((id) => snat.flows.includes(id))).toEqual([]);
    const byId = new Map(a.flows.map((f) => [f.id, f]));
    expect(drop.flows.every((id) => byId.get(id)!.original.src === lab.addresses.app2 || byId.get(id)!.observed?.dst === lab.addresses.app2)).toBe(true);
    expect(snat.flows.every((id) => byId.get(id)!.original.src === lab.addresses.app)).toBe(true);
    expect(a.summary.sentence).toMatch(new RegExp(`^Packets stop: ${drop.title}; also: ${snat.title} — `));
    // The postmortem puts both under its root causes, each with its fix.
    const f = reportFacts(a);
    expect(f.rootCauses.map((x) => x.check)).toEqual(['forward-chain-drop', 'snat-missing']);
    expect(f.otherFindings.map((x) => x.check)).not.toContain('snat-missing');
    const md = renderMarkdown(a);
    expect(md).toContain('## Root causes (2, each with its own fix)');
    expect(md.indexOf(`### ${snat.title}`)).toBeLessThan(md.indexOf('## Timeline'));
  }, LAB_WAIT_MS);

  it('one cause and its symptoms: no "also" (arp-disabled, whose flows upstream-no-reply would also name)', async () => {
    for (const name of ['arp-disabled', 'ip-forward-disabled', 'eip-conflict']) {
      const a = await analyze([join(await labOutput(), name)]);
      expect(a.summary.sentence, name).not.toContain('; also:');
    }
  }, LAB_WAIT_MS);
});
