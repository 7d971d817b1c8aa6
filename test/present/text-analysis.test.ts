/**
 * The text a busy gateway's analysis prints: 150,000 flows, a finding that explains most of them. The flow table's
 * widths were Math.max(...column) — more arguments than a call takes ("Maximum call stack size exceeded") — and the
 * finding printed every flow id on one line of a megabyte.
 */
import { describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { renderText } from '../../src/present/text-analysis.js';
import { fieldSets } from '../support/field.js';

const set = fieldSets().find((s) => s.name === 'ip-forward-off');

describe.skipIf(!set)('renderText with 150,000 flows', () => {
  it('prints every flow in the table, and the first 40 of a finding’s flows with how many more', async () => {
    const a = await analyze([set!.dir]);
    const N = 150_000;
    const one = a.flows[0]!;
    const flows = Array.from({ length: N }, (_, i) => ({ ...one, id: `f${i + 1}` }));
    const big: Analysis = { ...a, flows, findings: [{ ...a.findings[0]!, flows: flows.map((f) => f.id) }] };
    const text = renderText(big);
    const flowsLine = text.split('\n').find((l) => l.startsWith('   Flows: '))!;
    expect(flowsLine).toBe(`   Flows: ${flows.slice(0, 40).map((f) => f.id).join(' ')} … and ${(N - 40).toLocaleString('en')} more (--format json lists them all)`);
    expect(text).toContain(`FLOWS (${N})`);
    expect(text.split('\n').filter((l) => /^f\d+ /.test(l))).toHaveLength(N);
  });

  it('a finding with few flows lists them all', async () => {
    const a = await analyze([set!.dir]);
    const text = renderText(a);
    expect(text).toContain(`   Flows: ${a.findings[0]!.flows.join(' ')}\n`);
  });
});
