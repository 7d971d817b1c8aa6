import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from anywhere). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `../shared/field` beside the checkout: real captures from a real kernel. */
export const FIELD = resolve(REPO, '../shared/field');

export interface FieldSet {
  readonly name: string;
  readonly dir: string;
  readonly scenario: string;
}

export function fieldSets(): FieldSet[] {
  if (!existsSync(FIELD)) return [];
  return readdirSync(FIELD)
    .sort()
    .map((name) => {
      const dir = join(FIELD, name);
      const lab = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { scenario: string };
      return { name, dir, scenario: lab.scenario };
    });
}
