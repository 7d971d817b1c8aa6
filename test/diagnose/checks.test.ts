/**
 * Table-driven, typescript-eslint style: every check is one file named by its id, carries its doc line, and
 * is tried on real captures — the lab bundle made for it must raise it (the passing case), and the healthy
 * bundles must not (the failing case).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/diagnose/checks/index.js';
import { CHECK_IDS } from '../../src/model/analysis.js';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readScenarios } from '../lab/lab-output.js';
import { REPO } from '../support/field.js';

describe('the check catalogue', () => {
  it('has one check per FAILURES.md id, each in a file named by its id, with a doc line', () => {
    expect(CHECKS.map((c) => c.id).sort()).toEqual([...CHECK_IDS].sort());
    const files = readdirSync(join(REPO, 'src/diagnose/checks')).filter((f) => f !== 'index.ts');
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...CHECK_IDS].sort());
    for (const c of CHECKS) expect(c.description.length, c.id).toBeGreaterThan(30);
  });
});

const scenarios = readScenarios();

describe.skipIf(!LAB_AVAILABLE)('each check on real lab captures', () => {
  let out = '';
  const analyses = new Map<string, Analysis>();
  const analysis = async (name: string): Promise<Analysis> => {
    let a = analyses.get(name);
    if (!a) {
      a = await analyze([join(out, name)]);
      analyses.set(name, a);
    }
    return a;
  };
  beforeAll(async () => {
    out = await labOutput();
  }, LAB_WAIT_MS);

  const healthy = Object.entries(scenarios)
    .filter(([, s]) => s.check === null)
    .map(([n]) => n);

  for (const check of CHECKS) {
    const made = Object.entries(scenarios)
      .filter(([, s]) => s.check === check.id)
      .map(([n]) => n);
    describe(check.id, () => {
      it('has a lab scenario', () => expect(made.length).toBeGreaterThan(0));
      for (const name of made) {
        it(`raises it on ${name}, first, with evidence, a fix and the flows it explains`, async () => {
          const a = await analysis(name);
          const f = a.findings.find((x) => x.check === check.id);
          expect(f, a.findings.map((x) => x.check).join(',')).toBeDefined();
          const first = a.findings.find((x) => x.severity === f!.severity);
          expect(first!.check).toBe(check.id);
          expect(f!.evidence.length).toBeGreaterThan(0);
          expect(f!.fix.length).toBeGreaterThan(0);
          expect(f!.flows.length).toBeGreaterThan(0);
          for (const id of f!.flows) expect(a.flows.some((x) => x.id === id)).toBe(true);
        });
      }
      for (const name of healthy) {
        it(`stays silent on ${name}`, async () => {
          const a = await analysis(name);
          expect(a.findings.filter((x) => x.check === check.id)).toEqual([]);
        });
      }
    });
  }
});
