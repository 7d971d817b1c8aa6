import { isInputError } from '../model/errors.js';

/** Exit codes: 0 ok, 1 packets stop (analysis found an error), 2 unusable input or usage, 3 internal error. */
export const EXIT = { OK: 0, PACKETS_STOP: 1, INPUT: 2, INTERNAL: 3 } as const;

/** Turn errors into words and an exit code. The only place (with the HTTP layer) that does so. */
export function reportError(e: unknown): number {
  if (isInputError(e)) {
    process.stderr.write(`natlens: ${e.where()}: ${e.message} [${e.code}]\n`);
    return EXIT.INPUT;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string') {
    process.stderr.write(`natlens: ${err.path}: ${err.message}\n`);
    return EXIT.INPUT;
  }
  process.stderr.write(`natlens: internal error: ${err?.stack ?? String(e)}\n`);
  return EXIT.INTERNAL;
}

/**
 * Wrap a command's action: the action returns its exit code; thrown errors are reported.
 * Output is flushed before exiting so piped output is never lost.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = await fn(...args);
    } catch (e) {
      code = reportError(e);
    }
    process.exitCode = code;
  };
}
