/**
 * vitest setup file: every test file writes its temporary files under a directory of its own, removed when
 * the file is done, so that a test run leaves nothing in the machine's temp dir (CI runs on a machine that
 * later sessions get back). os.tmpdir() follows TMPDIR, so the tests' own mkdtempSync(join(tmpdir(), …))
 * calls, and the CLI processes they start, land there. What test files share across files (the netns lab's
 * output) goes to the machine's temp dir, NATLENS_SHARED_TMPDIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const shared = (process.env.NATLENS_SHARED_TMPDIR ??= tmpdir());
const mine = mkdtempSync(join(shared, 'natlens-test-'));
process.env.TMPDIR = mine;

// Registered before the test file's own hooks, so it runs after them (after-hooks run last-registered first).
afterAll(() => {
  process.env.TMPDIR = shared;
  rmSync(mine, { recursive: true, force: true });
});
