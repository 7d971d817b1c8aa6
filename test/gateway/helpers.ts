import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB = fileURLToPath(new URL('../fixtures/gateway/lab/', import.meta.url));
export const FIELD = fileURLToPath(new URL('../../../shared/field/', import.meta.url));

export function lab(name: string): string {
  return readFileSync(join(LAB, name), 'utf8');
}

export function fieldScenarios(): string[] {
  try {
    return readdirSync(FIELD).sort();
  } catch {
    return [];
  }
}

export function field(scenario: string, name: string): string {
  return readFileSync(join(FIELD, scenario, name), 'utf8');
}
