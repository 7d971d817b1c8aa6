/**
 * Golden Markdown reports of the REAL analysis (analyze → renderMarkdown) of whole bundles: the field
 * captures (ip_forward off, and healthy) and, once the lab has made them, the bundled samples. Paths,
 * the version and the report time are normalised. After an intended change to the analysis or the report:
 * `UPDATE_GOLDEN=1 npx vitest run test/present/report-golden.test.ts`, then review the diff.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { renderHtml } from '../../src/present/html-report.js';
import { renderMarkdown } from '../../src/present/markdown-report.js';
import { expectGolden, normalise } from './golden.js';
import { FIELD, FIXED_NOW } from './report-fixtures.js';

const SAMPLES = resolve(new URL('../../samples', import.meta.url).pathname);

const bundles: { name: string; dir: string; verdict: 'ok' | 'packets-stop'; cause: string | null }[] = [
  { name: 'field-ip-forward-off', dir: `${FIELD}/ip-forward-off`, verdict: 'packets-stop', cause: 'ip-forward-disabled' },
  { name: 'field-healthy', dir: `${FIELD}/healthy`, verdict: 'ok', cause: null },
  { name: 'sample-seed-incident', dir: `${SAMPLES}/seed-incident`, verdict: 'packets-stop', cause: 'ip-forward-disabled' },
  { name: 'sample-healthy', dir: `${SAMPLES}/healthy`, verdict: 'ok', cause: null },
];

for (const b of bundles) {
  describe.skipIf(!existsSync(b.dir))(`report of ${b.name}`, () => {
    it('matches the golden Markdown and says what the bundle shows', async () => {
      const a = await analyze([b.dir]);
      expect(a.summary.verdict).toBe(b.verdict);
      const md = renderMarkdown(a, { now: FIXED_NOW });
      if (b.cause) {
        expect(md).toContain(`Check \`${b.cause}\``);
        expect(md).toContain('**Forwarding stopped** at ');
      } else {
        expect(md).toContain('No finding: nothing stops packets');
      }
      expectGolden(`${b.name}.md`, normalise(md, b.dir, a.tool.version));
      // The HTML of the same analysis stays self-contained.
      const html = renderHtml(a, { now: FIXED_NOW });
      expect(html).not.toMatch(/<script|@import|url\(|https?:\/\//i);
    });
  });
}
