/**
 * Captures taken with different snaplens (`tcpdump -s 60` on one interface, full packets on the other): a
 * payload cut short cannot be hashed like its whole copy, so the correlation compares payload hashes only
 * where both cover the same bytes (fingerprint.ts, the correlator's scanPending). Real field captures, one
 * of them cut as tcpdump would have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys, pcapSnapped } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-snaplen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sets = ['healthy', 'snat-missing', 'dnat-wrong-backend', 'forward-drop'].filter((n) => fieldSets().some((s) => s.name === n));
const dirOf = (n: string): string => fieldSets().find((s) => s.name === n)!.dir;

describe.skipIf(sets.length === 0)('captures with different snaplens', () => {
  it.each(sets.flatMap((set) => [60, 96, 128].map((snaplen) => [set, snaplen] as const)))('%s, eth0 cut to %i bytes: the flows and findings of the whole captures', async (set, snaplen) => {
    const full = await analyze([dirOf(set)]);
    const a = await analyze([editedBundle(dirOf(set), join(tmp, `${set}-${snaplen}`), { 'eth0.pcap': (b) => pcapSnapped(b, snaplen) })]);
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
  });
});
