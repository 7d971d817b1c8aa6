/**
 * The lab's segmentation-offload bundle (real captures: the senders' TSO over their veths hands the gateway
 * segments of many MSS, which leave cut into MSS-sized pieces): each merged arrival is paired with its pieces,
 * and every output says so — the packets in the JSON (valid against docs/analysis.schema.json), the flow
 * evidence, the evidence pcapng's comments.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { evidenceComments } from '../../src/present/evidence-pcapng.js';
import type { Analysis } from '../../src/model/analysis.js';
import { REPO } from '../support/field.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson } from './lab-output.js';

describe.skipIf(!LAB_AVAILABLE)('segmentation offload on real captures (lab scenario segmentation-offload)', () => {
  let a: Analysis;
  let dir = '';
  beforeAll(async () => {
    dir = join(await labOutput(), 'segmentation-offload');
    a = await analyze([dir]);
  }, LAB_WAIT_MS);

  it('pairs each sampled merged arrival with a smaller first piece on the other interface, and each piece with its arrival', () => {
    const lab = readLabJson(dir);
    const bulk = a.flows.filter((f) => f.proto === 'tcp' && (f.original.dport === lab.ports.bulkTcp || f.original.dport === lab.ports.bulkForwardTcp));
    expect(bulk).toHaveLength(2);
    for (const f of bulk) {
      expect(f.disposition).toBe('delivered');
      expect(f.lossRate).toBe(0);
      const merged = f.samples.filter((p) => p.offload === 'merged');
      expect(merged.length).toBeGreaterThan(0);
      for (const m of merged) {
        expect(m.match).not.toBeNull();
        expect(m.match!.iface).not.toBe(m.iface);
        const first = f.samples.find((p) => p.iface === m.match!.iface && p.frame === m.match!.frame);
        if (first) {
          expect(first.offload).toBe('piece');
          expect(first.length).toBeLessThan(m.length);
          expect(first.ipId).toBe(m.ipId);
          expect(first.ttl).toBe(m.ttl - 1);
        }
      }
      const pieces = f.samples.filter((p) => p.offload === 'piece');
      expect(pieces.length).toBeGreaterThan(merged.length);
      for (const p of pieces) expect(p.length).toBeLessThanOrEqual(1500);
    }
    expect(a.warnings.find((w) => w.code === 'segmentation-offload')?.message).toMatch(
      new RegExp(`arrived on ${lab.outside.replace('.', '\\.')} merged .* left by ${lab.inside} cut into \\d+ smaller ones`),
    );
  });

  it('follows docs/analysis.schema.json, the offload field included', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, 'docs/analysis.schema.json'), 'utf8')));
    const json = JSON.parse(JSON.stringify(a));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    // The schema does check the field: an unknown kind of offload is refused.
    const bad = structuredClone(json);
    bad.flows.find((f: { samples: { offload?: string }[] }) => f.samples.some((p) => p.offload))!.samples.find((p: { offload?: string }) => p.offload)!.offload = 'split';
    expect(validate(bad)).toBe(false);
  });

  it('says so in the flow evidence and in the evidence pcapng comments', () => {
    const evidence = a.flows.flatMap((f) => f.evidence.map((e) => ('summary' in e ? String(e.summary) : '')));
    const samples = a.flows.flatMap((f) => f.samples);
    const merged = samples.find((p) => p.offload === 'merged')!;
    const comments = evidenceComments(a);
    expect(comments.get(merged.file)?.get(merged.frame)?.comment).toMatch(/arrived merged .* cut into smaller segments, the first: frame \d+/);
    // A piece after a run's first (the first is named by its arrival's comment as "the first piece of …").
    const arrivalOf = (p: (typeof samples)[number]) => samples.find((m) => m.offload === 'merged' && m.iface === p.match?.iface && m.frame === p.match.frame);
    const piece = samples.find((p) => p.offload === 'piece' && p.match && arrivalOf(p) && arrivalOf(p)!.match?.frame !== p.frame)!;
    expect(comments.get(piece.file)?.get(piece.frame)?.comment).toMatch(new RegExp(`a piece of \\S+ frame ${piece.match!.frame} \\(segmentation offload`));
    // The flows' evidence lists their first packets (the handshake): pieces show there only when among them.
    expect(evidence.every((s) => !/no copy on the other side/.test(s))).toBe(true);
  });
});
