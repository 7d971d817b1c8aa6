import { isInputError } from '../../model/errors.js';

/** Exit codes as the CLI defines them (src/cli/run-action.ts): 0 ok, 2 unusable input, 3 internal error. */
export const TUI_EXIT = { OK: 0, INPUT: 2, INTERNAL: 3 } as const;

/** Unusable input (InputError, or a file that cannot be read) exits 2; anything else is a bug: 3. */
export function exitCodeFor(e: unknown): number {
  if (isInputError(e)) return TUI_EXIT.INPUT;
  const err = e as { code?: unknown; path?: unknown } | null;
  return err && typeof err.code === 'string' && typeof err.path === 'string' ? TUI_EXIT.INPUT : TUI_EXIT.INTERNAL;
}
