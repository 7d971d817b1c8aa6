import { analyze } from '../../src/index.js';
import { InputError } from '../../src/model/errors.js';

/** The InputError `analyze(paths)` stops with; throws if it stops with anything else or does not stop. */
export async function analyzeError(paths: string[]): Promise<InputError> {
  try {
    await analyze(paths);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`expected an InputError from ${paths.join(' ')}`);
}
