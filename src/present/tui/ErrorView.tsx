/** Unusable input: say which file and where, in the same words as the batch commands (exit code 2). */
import { Box, Text } from 'ink';
import { InputError } from '../../model/errors.js';
import { exitCodeFor } from './exit-code.js';

export interface ErrorViewProps {
  readonly error: unknown;
  readonly width: number;
}

export function errorText(e: unknown): { where: string; message: string; code: string } {
  if (e instanceof InputError) return { where: e.where(), message: e.message, code: e.code };
  const err = e as { message?: unknown; code?: unknown; path?: unknown };
  return {
    where: typeof err?.path === 'string' ? err.path : '',
    message: typeof err?.message === 'string' ? err.message : String(e),
    code: typeof err?.code === 'string' ? err.code : 'internal',
  };
}

export function ErrorView({ error, width }: ErrorViewProps) {
  const t = errorText(error);
  const code = exitCodeFor(error);
  return (
    <Box flexDirection="column" width={width} paddingLeft={1}>
      <Text color="red" bold>
        {code === 2 ? '✖ natlens cannot use this input' : '✖ natlens failed (a bug: please report it)'} (exit code {code})
      </Text>
      <Text wrap="wrap">
        natlens: {t.where ? <Text color="cyan">{t.where}: </Text> : null}
        {t.message} <Text dimColor>[{t.code}]</Text>
      </Text>
    </Box>
  );
}
