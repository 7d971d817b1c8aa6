import { describe, expect, it } from 'vitest';
import { buildInputs } from '../../../src/present/tui/inputs-lines.js';
import { lineText } from '../../../src/present/tui/text-line.js';
import { fixture } from './tui-fixtures.js';

describe('inputs view', () => {
  it('keeps long formats (a combined state file, a compressed capture) within the width', () => {
    const a = fixture('ip-forward-off');
    const inputs = a.inputs.map((i, k) =>
      k === 0 ? { ...i, format: 'pcapng+gzip' } : i.kind === 'snapshot' ? { ...i, format: 'combined: iptables-save, sysctl, ip-addr, ip-route, ip-neigh, conntrack' } : i,
    );
    const body = buildInputs({ ...a, inputs }, 80);
    const texts = [...body.header.map(lineText), ...Array.from({ length: body.size }, (_, i) => lineText(body.line(i)))];
    expect(texts.some((t) => t.includes('combined: ip'))).toBe(true);
    expect(texts.some((t) => t.includes('pcapng+gzip'))).toBe(true);
    // The file table's rows (the columns this view lays out itself) fit the width.
    const rows = texts.filter((t) => inputs.some((i) => t.includes(i.sha256.slice(0, 8))));
    expect(rows).toHaveLength(inputs.length);
    for (const t of rows) expect(t.length).toBeLessThanOrEqual(80);
  });
});
