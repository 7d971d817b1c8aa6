import { describe, expect, it } from 'vitest';
import { buildFlowTable, layoutColumns, matchesFilter, nextSortKey, selectFlows, SORT_KEYS, sortFlows, type SortKey } from '../../../src/present/tui/flow-table.js';
import { lineText } from '../../../src/present/tui/text-line.js';
import { fixture } from './tui-fixtures.js';

const a = fixture('ip-forward-off');
const b = fixture('delivered-and-partial');
const ids = (fs: readonly { id: string }[]) => fs.map((f) => f.id);

describe('flow filter', () => {
  it.each([
    ['tcp', ['f04', 'f06', 'f07', 'f09', 'f10', 'f12']],
    ['udp 53', ['f05', 'f08', 'f11']],
    ['8080', ['f06', 'f09', 'f12']],
    // A translated port counts too: the DNAT target 10.0.4.11:80 of the 8080 forwards.
    ['10.0.4.11', ['f01', 'f06', 'f09', 'f12']],
    ['icmp net1', ['f01', 'f02', 'f03']],
    ['icmp 20719', ['f03']],
    ['!eth0', []],
    ['stopped 203.0.113.71', ['f02', 'f03', 'f04', 'f05', 'f07', 'f08', 'f10', 'f11']],
  ])('%s', (q, want) => {
    expect(ids(a.flows.filter((f) => matchesFilter(f, q))).sort()).toEqual(want);
  });

  it('matches dispositions by part and negates with !', () => {
    expect(ids(b.flows.filter((f) => matchesFilter(f, 'partial')))).toEqual(['h2']);
    expect(ids(b.flows.filter((f) => matchesFilter(f, '!partial')))).toEqual(['h1']);
    // The observed translation is searched: the remapped echo id 59803 of h1.
    expect(ids(b.flows.filter((f) => matchesFilter(f, '59803')))).toEqual(['h1']);
  });
});

describe('flow sort', () => {
  it('cycles through every key and back', () => {
    let k: SortKey = SORT_KEYS[0]!;
    const seen = new Set<string>();
    for (let i = 0; i < SORT_KEYS.length; i++) {
      seen.add(k);
      k = nextSortKey(k);
    }
    expect(seen.size).toBe(SORT_KEYS.length);
    expect(k).toBe(SORT_KEYS[0]);
  });

  it('puts the worst disposition first and the most packets first', () => {
    expect(ids(sortFlows(b.flows, 'disposition'))).toEqual(['h2', 'h1']);
    expect(ids(sortFlows(a.flows, 'packets')).slice(0, 3)).toEqual(['f01', 'f02', 'f03']);
    expect(ids(sortFlows(a.flows, 'destination'))[0]).toBe('f01');
  });

  it('narrows to a scope before filtering', () => {
    expect(ids(selectFlows(a.flows, { sort: 'first', filter: 'tcp', scope: { label: 'x', ids: ['f01', 'f04', 'f06'] } }))).toEqual(['f04', 'f06']);
  });
});

describe('flow table layout', () => {
  it('fits 80 columns by dropping the least needed columns, keeps all at 160', () => {
    const narrow = layoutColumns(80).columns.map((c) => c.id);
    expect(narrow).toEqual(['proto', 'original', 'translated', 'ifaces', 'disposition', 'loss']);
    expect(layoutColumns(160).columns.map((c) => c.id)).toContain('latency');
    for (const w of [80, 100, 132, 200]) {
      const t = buildFlowTable(a.flows, { sort: 'first', filter: '', scope: null }, w);
      for (let i = 0; i < t.size; i++) expect(lineText(t.line(i)).length).toBeLessThanOrEqual(w);
      expect(lineText(t.header[0]!).length).toBeLessThanOrEqual(w);
    }
  });

  it('shows only what NAT changes when the tuple does not fit', () => {
    const t = buildFlowTable(a.flows, { sort: 'first', filter: '', scope: null }, 80);
    const rows = Array.from({ length: t.size }, (_, i) => lineText(t.line(i)));
    expect(rows[0]).toContain('SNAT 203.0.113.72*');
    expect(rows.filter((r) => r.includes('DNAT 10.0.4.11:80*'))).toHaveLength(3);
  });

  it('opens the flow under the cursor', () => {
    const t = buildFlowTable(a.flows, { sort: 'first', filter: 'udp', scope: null }, 100);
    expect(t.open(1)).toEqual({ kind: 'flow', id: 'f08' });
    expect(t.open(9)).toBeNull();
  });
});
