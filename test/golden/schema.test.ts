import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { analyze } from '../../src/index.js';
import { fieldSets, REPO } from '../support/field.js';

const schema = JSON.parse(readFileSync(join(REPO, 'docs/analysis.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const sets = fieldSets();

describe.skipIf(sets.length === 0)('analyze JSON follows docs/analysis.schema.json', () => {
  for (const s of sets) {
    test(s.name, async () => {
      const a = JSON.parse(JSON.stringify(await analyze([s.dir])));
      const ok = validate(a);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  test('the schema rejects a renamed field and an unknown check id', async () => {
    const a = JSON.parse(JSON.stringify(await analyze([sets[0]!.dir])));
    const renamed = { ...a, summary: { ...a.summary, verdict: undefined, outcome: 'ok' } };
    expect(validate(JSON.parse(JSON.stringify(renamed)))).toBe(false);
    const badCheck = { ...a, findings: [{ check: 'no-such-check', severity: 'error', confidence: 'likely', title: '', detail: '', evidence: [], fix: [], flows: [] }] };
    expect(validate(badCheck)).toBe(false);
  });
});
