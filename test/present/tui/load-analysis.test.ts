/**
 * A saved analysis (`natlens analyze --format json > a.json`) opened in the terminal UI. One of a hundred thousand
 * flows is over a GB: more than one string holds. That was an internal error (exit 3); it is now an input error
 * naming the file and what to open instead.
 */
import { closeSync, mkdtempSync, openSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSavedAnalysis } from '../../../src/present/tui/load-analysis.js';
import { isInputError } from '../../../src/model/errors.js';

describe('readSavedAnalysis', () => {
  it('a saved analysis larger than one string holds is an input error naming the file', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'natlens-saved-')), 'huge.json');
    // A sparse file: 560 MB that take no disk.
    const fd = openSync(p, 'w');
    ftruncateSync(fd, 560 * 1024 * 1024);
    closeSync(fd);
    let err: unknown;
    try {
      readSavedAnalysis([p]);
    } catch (e) {
      err = e;
    }
    expect(isInputError(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot read this analysis as one JSON text \(587,202,560 bytes\).*open the bundle it was made of instead/);
    expect((err as { file: string }).file).toBe(p);
  });
});
