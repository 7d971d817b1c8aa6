/**
 * The analysis read on the reading thread (NATLENS_READER_THREAD=1) and in place (=0), from the built dist/ (the
 * thread exists only as compiled JavaScript: `npm test` builds it first), for tests that must hold both ways.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REPO } from './field.js';

export const DIST = join(REPO, 'dist');

export async function dist<T>(module: string): Promise<T> {
  const path = join(DIST, module);
  if (!existsSync(path)) throw new Error(`${path} is missing: run the tests with npm test, which builds dist/ first`);
  return (await import(path)) as T;
}

type Analyze = (paths: string[]) => Promise<unknown>;

/** The analysis as JSON, or the error it stopped with: read on the thread (1) or in place (0). The variable is restored after. */
export async function runReadOn(dir: string, thread: '0' | '1'): Promise<string> {
  const { analyze } = await dist<{ analyze: Analyze }>('index.js');
  const saved = process.env.NATLENS_READER_THREAD;
  process.env.NATLENS_READER_THREAD = thread;
  try {
    return JSON.stringify(await analyze([dir]));
  } catch (e) {
    const x = e as { name: string; code?: string; file?: string; offset?: number; message: string };
    return JSON.stringify({ error: x.name, code: x.code, file: x.file, offset: x.offset, message: x.message });
  } finally {
    if (saved === undefined) delete process.env.NATLENS_READER_THREAD;
    else process.env.NATLENS_READER_THREAD = saved;
  }
}

/** The analysis read on the thread, once checked to be, byte for byte, the one read in place. */
export async function sameOnThread<T = { warnings: { code: string }[]; findings: { check: string }[]; summary: { verdict: string } }>(dir: string): Promise<T> {
  const threaded = await runReadOn(dir, '1');
  expect(threaded).toBe(await runReadOn(dir, '0'));
  return JSON.parse(threaded) as T;
}
