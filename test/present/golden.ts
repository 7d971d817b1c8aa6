/**
 * Golden files under test/golden/reports/: compared byte for byte; `UPDATE_GOLDEN=1 npx vitest run …`
 * rewrites them (then review the diff before committing).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

export function expectGolden(name: string, actual: string): void {
  const url = new URL(`../golden/reports/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(url)) {
    if (process.env.CI) throw new Error(`golden file ${name} is missing; run UPDATE_GOLDEN=1 locally and review it`);
    writeFileSync(url, actual);
  }
  expect(actual).toBe(readFileSync(url, 'utf8'));
}

/** Replace the bundle directory and the version so goldens hold only what the report says. */
export function normalise(text: string, bundleDir: string, version: string): string {
  return text.replaceAll(bundleDir.replace(/\/?$/, '/'), '<bundle>/').replaceAll(`natlens ${version}`, 'natlens <version>');
}
