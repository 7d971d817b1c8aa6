/**
 * `natlens packets` agrees with tshark field by field on every field capture and every capture we
 * generate (see packets-tshark-compare.ts for the fields).
 */
import { describe, expect, it } from 'vitest';
import { capturesUnderTest } from '../ingest/captures-under-test.js';
import { HAVE_TSHARK } from '../support/tshark.js';
import { compareWithTshark } from './packets-tshark-compare.js';

describe.skipIf(!HAVE_TSHARK)('natlens packets agrees with tshark', () => {
  for (const c of capturesUnderTest()) {
    it(c.path.replace(/^.*\/(field|natlens-generated-[^/]+)\//, ''), () => {
      expect(compareWithTshark(c.path, c.ipAddrJson)).toBeGreaterThan(0);
    });
  }
});
